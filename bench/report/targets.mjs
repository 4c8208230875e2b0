/** The targets for supervise, checked against a run's results. */

/** A measurement's value, or undefined when it was skipped, failed or is absent. */
function measured(value) {
  return value === undefined || value === null || value.skipped || value.error ? undefined : value;
}

/** Why a measurement has no value (skipped / failed / not run). */
function missing(value) {
  return value?.skipped ?? (value?.error ? `failed: ${value.error}` : 'not measured in this run');
}

/**
 * One row per target: { name, target, value, met } where met is true/false, or null with `why`
 * when the figure could not be measured.
 */
export function checkTargets(results) {
  const bySystem = (id) => results.systems.find((s) => s.id === id && !s.skipped);
  const cold = bySystem('supervise');
  const spare = bySystem('supervise-spares');
  const floor = results.floor?.nodeColdMs;
  /** Builds a row from a measurement, a value picker and a test. */
  const row = (name, target, source, pick, test, unit) => {
    const m = measured(source);
    if (m === undefined) return { name, target, value: null, met: null, why: source === undefined && !cold ? 'supervise not measured' : missing(source) };
    const value = pick(m);
    return { name, target, value, unit, met: value === null || value === undefined ? false : test(value, m) };
  };
  return [
    row('respawn, cold (median)', `≤ node floor + 15 ms (${floor === undefined ? '?' : (floor + 15).toFixed(1)} ms)`, cold?.respawn, (m) => m.medianMs, (v) => v <= floor + 15, 'ms'),
    row('respawn with --spares 1 (median)', '≤ 5 ms', spare?.respawn ?? (cold ? spareWhy(results) : undefined), (m) => m.medianMs, (v) => v <= 5, 'ms'),
    row('idle workers gone after master death', '≤ 20 ms, no orphan', cold?.death?.idle, (m) => m.goneMs, (v, m) => v <= 20 && m.orphans === 0, 'ms'),
    row('tasks cut by master death (200 ms tasks)', '0 cut, 0 orphans', cold?.death?.busy, (m) => m.cut, (v, m) => v === 0 && m.orphans === 0, 'tasks'),
    row('master idle CPU, 32 workers, --poll 1', '< 0.5 %', cold?.cost, (m) => m.cpuPct, (v) => v < 0.5, '%'),
    row('task-loop overhead vs bare loop (median by CPU time)', '< 5 %', cold?.overhead, (m) => m.overheadCpuPct?.median ?? m.overheadPct, (v) => v < 5, '%'),
    row('reload: longest gap of any id (median reload)', '≤ 5 ms', cold?.reload, (m) => m.maxGapMs, (v, m) => v <= 5 && m.cut === 0, 'ms'),
  ];
}

/** The skip reason of the spares row, as a measurement-shaped object. */
function spareWhy(results) {
  const entry = results.systems.find((s) => s.id === 'supervise-spares');
  return { skipped: entry?.skipped ?? 'supervise --spares 1 not run' };
}
