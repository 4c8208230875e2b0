/** Cell formatting for the report: values with their ratio to the best peer and to the floor. */

/** A number with at most `digits` decimals, or an em dash. */
export function num(value, digits = 1) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  return value.toFixed(digits).replace(/\.0+$/, '');
}

/** "a/b" as "×r", or an em dash when either side is missing or the divisor is 0. */
export function ratio(value, base) {
  if (typeof value !== 'number' || typeof base !== 'number' || !Number.isFinite(value) || !(base > 0)) return '—';
  const r = value / base;
  return `×${r >= 10 ? r.toFixed(0) : r.toFixed(2)}`;
}

/** "12.3 (×1.05, ×2.4)": value, ratio to the best peer, ratio to the floor. */
export function cell(value, best, floor, digits = 1) {
  if (typeof value !== 'number') return '—';
  return `${num(value, digits)} (${ratio(value, best)}, ${ratio(value, floor)})`;
}

/** What to show for a measurement that has no value: its skip or error reason. */
export function reason(value) {
  if (value?.skipped) return `skipped: ${value.skipped}`;
  if (value?.error) return `failed: ${value.error}`;
  return 'not run';
}

/** True when a measurement has a value. */
export function ok(value) {
  return value !== undefined && value !== null && !value.skipped && !value.error;
}

/** The best (lowest, or highest with `higher`) of `pick` over the peers (systems other than supervise) that have it. */
export function bestPeer(systems, pick, higher = false) {
  const values = systems
    .filter((s) => !s.id.startsWith('supervise'))
    .map((s) => {
      try {
        return pick(s);
      } catch {
        return undefined;
      }
    })
    .filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (values.length === 0) return undefined;
  return higher ? Math.max(...values) : Math.min(...values);
}
