/**
 * A steady tasks/s: the tasks finished over a sliding window (60 s) of counter samples the master
 * takes at each status(), not the difference of two samples a second apart (which reads 5.9, 0.0,
 * 12 at a true 8/s, as workers report their counts in bursts).
 */

/** One sample of the pool's task counter. */
interface Sample {
  /** Epoch ms. */
  readonly at: number;
  readonly tasks: number;
}

/** The rate over the window, and the span it was measured over. */
export interface TaskRateReading {
  /** Tasks per second over `windowSeconds`; undefined until two samples lie at least `minSpanMs` apart. */
  readonly perSecond: number | undefined;
  /** Seconds between the oldest sample used and the newest (at most the window). */
  readonly windowSeconds: number;
}

/** The sliding window of one pool's task counter; memory bounded by `maxSamples`. */
export class TaskRate {
  readonly #windowMs: number;
  readonly #minSpanMs: number;
  readonly #minGapMs: number;
  readonly #maxSamples: number;
  readonly #samples: Sample[] = [];

  /**
   * `windowMs`: how far back the rate looks (60 s). `minSpanMs`: the shortest span a rate is given
   * for (2 s). `minGapMs`: samples closer than this to the previous one replace it, so a burst of
   * status calls does not crowd the window. Memory: windowMs / minGapMs samples at most.
   */
  constructor(windowMs = 60_000, minSpanMs = 2_000, minGapMs = 500) {
    this.#windowMs = windowMs;
    this.#minSpanMs = minSpanMs;
    this.#minGapMs = minGapMs;
    // Kept samples lie at least minGapMs apart, plus the one before the window and the newest.
    this.#maxSamples = Math.ceil(windowMs / minGapMs) + 4;
  }

  /**
   * Records the total of finished tasks at `at` (epoch ms) and returns the rate over the window
   * ending there. A total below the last one (it never goes back) or a clock that jumped back
   * starts the window afresh.
   */
  sample(at: number, tasks: number): TaskRateReading {
    const samples = this.#samples;
    const last = samples.at(-1);
    if (last !== undefined && (tasks < last.tasks || at < last.at)) samples.length = 0;
    const previous = samples.at(-2);
    // Keep the older of two close samples' time base: replace the newest when it is too close to the one before.
    if (samples.length >= 2 && previous !== undefined && at - previous.at < this.#minGapMs) samples[samples.length - 1] = { at, tasks };
    else samples.push({ at, tasks });
    // Keep one sample at or just beyond the window's start, so the window is covered in full.
    while (samples.length > 2 && samples[1]!.at <= at - this.#windowMs) samples.shift();
    while (samples.length > this.#maxSamples) samples.shift();
    return this.reading();
  }

  /** The rate over the samples held, without taking one. */
  reading(): TaskRateReading {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (first === undefined || last === undefined) return { perSecond: undefined, windowSeconds: 0 };
    const span = last.at - first.at;
    const windowSeconds = Math.round(span / 100) / 10;
    if (span < this.#minSpanMs) return { perSecond: undefined, windowSeconds };
    return { perSecond: ((last.tasks - first.tasks) * 1000) / span, windowSeconds };
  }
}
