/** Small statistics for the measurements: quantiles and rounding. */

/** The q-quantile (0..1) of `values` by linear interpolation; undefined when empty. */
export function quantile(values, q) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Median of `values`. */
export function median(values) {
  return quantile(values, 0.5);
}

/** Rounds to `digits` decimals (numbers only; undefined passes through). */
export function round(value, digits = 1) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Milliseconds between two hrtime bigints. */
export function msBetween(fromNs, toNs) {
  return Number(toNs - fromNs) / 1e6;
}

/** Resolves after `ms`. */
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * @typedef {object} Spread
 * @property {number} n
 * @property {number} median
 * @property {number} q1     25th percentile
 * @property {number} q3     75th percentile
 * @property {number} min
 * @property {number} max
 */

/** Median, quartiles and range of `values`, rounded to `digits`; undefined when empty. */
export function spread(values, digits = 2) {
  if (values.length === 0) return undefined;
  const r = (v) => round(v, digits);
  return { n: values.length, median: r(median(values)), q1: r(quantile(values, 0.25)), q3: r(quantile(values, 0.75)), min: r(Math.min(...values)), max: r(Math.max(...values)) };
}
