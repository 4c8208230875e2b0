/**
 * The task loops of a worker run with --concurrency c > 1: c slots in one process, each calling
 * workerStart(id, ctx) with its own `ctx.slot` in a loop of its own, sharing the event loop. (With
 * c = 1 the worker keeps its single, tuned loop in entry.cts: this one reads the clock around every
 * task, which a pool of I/O-bound tasks, the reason to have slots, never notices.)
 */
import type { App, WorkerContext } from '../shared/app-loader.cjs';

/** Longest run of instant tasks before the slots yield, so IPC and signals are seen within ~10 ms. */
const YIELD_AFTER_MS = 5;

/** What the slots need of the worker runtime around them. */
export interface SlotHost {
  /** True once no slot may start another task (stop, recycling, master gone). */
  stopping(): boolean;
  /** True while the pool is paused: a slot holds between tasks. */
  paused(): boolean;
  /** Resolves when the hold ends (resumed or stopping); shared by every slot that holds. */
  hold(): Promise<void>;
  /** Counts one finished task of `seconds` (and may ask the loops to end: --max-tasks). */
  finished(seconds: number): void;
  /** Ends every slot after its current task (a slot's task failed). */
  stop(): void;
}

/** The c slots of one worker: their loops and which of them are busy. */
export class TaskSlots {
  /** performance.now() when each slot's running task started; NaN while the slot is between tasks. */
  readonly #startedAt: number[];
  #busy = 0;

  /** `concurrency`: how many slots, at least 2. */
  constructor(readonly concurrency: number) {
    this.#startedAt = new Array<number>(concurrency).fill(Number.NaN);
  }

  /** How many slots run a task now. */
  get busy(): number {
    return this.#busy;
  }

  /** performance.now() at which the oldest running task started, or undefined when none runs. */
  oldestStart(): number | undefined {
    let oldest = Number.POSITIVE_INFINITY;
    for (const at of this.#startedAt) if (at < oldest) oldest = at;
    return oldest === Number.POSITIVE_INFINITY ? undefined : oldest;
  }

  /**
   * Runs every slot's loop, each with `base` and its `slot` as ctx, until the host is stopping; resolves once each slot has finished its
   * task. A task's throw or rejection stops the other slots after their current task, then rejects
   * with the first error (the caller decides whether it is a failure or a quick stop's abort).
   */
  async run(app: App & Required<Pick<App, 'workerStart'>>, base: WorkerContext, host: SlotHost): Promise<void> {
    // Every slot's ctx is the process's (id, signal, the --listen sockets, which are per process) plus its slot.
    const { id } = base;
    const workerStart = app.workerStart.bind(app);
    let lastTurn = performance.now();
    let turnPending = false;
    const markTurned = (): void => {
      turnPending = false;
      lastTurn = performance.now();
    };
    let failed: { error: unknown } | undefined;

    const loop = async (slot: number): Promise<void> => {
      const ctx: WorkerContext = Object.freeze({ ...base, slot });
      while (!host.stopping()) {
        if (host.paused()) {
          await host.hold();
          continue;
        }
        const startedAt = performance.now();
        this.#startedAt[slot] = startedAt;
        this.#busy++;
        try {
          await workerStart(id, ctx);
        } finally {
          this.#busy--;
          this.#startedAt[slot] = Number.NaN;
        }
        const now = performance.now();
        host.finished((now - startedAt) / 1000);
        if (!turnPending) {
          turnPending = true;
          setImmediate(markTurned);
        } else if (now - lastTurn >= YIELD_AFTER_MS) {
          // Tasks that return at once never let the event loop turn: make it turn.
          await new Promise<void>((resume) => setImmediate(resume));
        }
      }
    };

    const loops: Promise<void>[] = [];
    for (let slot = 0; slot < this.concurrency; slot++) {
      loops.push(
        loop(slot).catch((error: unknown) => {
          failed ??= { error };
          host.stop();
        }),
      );
    }
    await Promise.all(loops);
    if (failed !== undefined) throw failed.error;
  }
}
