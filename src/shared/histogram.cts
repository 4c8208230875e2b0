/**
 * Fixed-bucket histograms in Prometheus's shape (upper bounds in seconds, plus +Inf), small enough
 * for a worker to keep per task and to send whole to the master.
 */

/** A histogram's counts at one moment: `counts[i]` observations ≤ `bounds[i]` and above the bound before; the last count is above every bound. */
export interface HistogramSnapshot {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  /** Sum of every observed value. */
  readonly sum: number;
  /** How many values were observed. */
  readonly count: number;
}

/** Bounds of the task duration histogram, seconds. */
export const TASK_SECONDS_BOUNDS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Bounds of the respawn latency histogram (a worker's exit to its replacement ready), seconds. */
export const RESPAWN_SECONDS_BOUNDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Counts observations into fixed buckets; `observe` costs a few comparisons for small values. */
export class Histogram {
  readonly bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts `times` observations of `value` (default once). */
  observe(value: number, times = 1): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.#counts[i]! += times;
    this.#sum += value * times;
    this.#count += times;
  }

  /** Adds another histogram's counts (same bounds) into this one. */
  add(other: HistogramSnapshot): void {
    if (other.counts.length !== this.#counts.length) return;
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i]! += other.counts[i] ?? 0;
    this.#sum += other.sum;
    this.#count += other.count;
  }

  /** A copy of the counts now. */
  snapshot(): HistogramSnapshot {
    return { bounds: this.bounds, counts: [...this.#counts], sum: this.#sum, count: this.#count };
  }
}

/** The sum of several snapshots with `bounds` (for a pool's processes, live and gone). */
export function sumHistograms(bounds: readonly number[], parts: Iterable<HistogramSnapshot | undefined>): HistogramSnapshot {
  const total = new Histogram(bounds);
  for (const part of parts) if (part !== undefined) total.add(part);
  return total.snapshot();
}
