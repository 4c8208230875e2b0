/** Warm spares (--spares): processes that loaded the app and wait for an id, kept topped up with backoff. */
import { backoffDelay } from './backoff.js';
import type { Logger } from '../shared/log.js';
import { describeFailure } from './worker-failure.js';
import type { WorkerHandle } from './worker-handle.js';

/** What the pool lends its spares: how to spawn one, and what is current. */
export interface SpareHost {
  /** Spawns a process holding no id; undefined if the OS refused. */
  spawn(): WorkerHandle | undefined;
  /** True while spares are wanted (the pool runs; not while it starts or stops). */
  running(): boolean;
  /** The code generation spares must load to be of use. */
  generation(): number;
}

/** Keeps `want` spares of the current code waiting, handing one out when an id needs a process. */
export class SparePool {
  readonly #handles = new Set<WorkerHandle>();
  readonly #want: number;
  readonly #pollMs: number;
  readonly #host: SpareHost;
  readonly #log: Logger;
  /** Spares in a row that died before they loaded: they back off like an id's respawns. */
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;

  constructor(want: number, pollMs: number, host: SpareHost, log: Logger) {
    this.#want = want;
    this.#pollMs = pollMs;
    this.#host = host;
    this.#log = log;
  }

  /** How many spares are loaded and waiting for an id right now. */
  get ready(): number {
    return [...this.#handles].filter((h) => h.state === 'spare').length;
  }

  /** Every spare process, loaded or still loading. */
  get handles(): ReadonlySet<WorkerHandle> {
    return this.#handles;
  }

  /** A loaded spare of the current code, now no longer a spare; undefined if none is ready. */
  take(): WorkerHandle | undefined {
    const generation = this.#host.generation();
    const spare = [...this.#handles].find((h) => h.state === 'spare' && h.generation === generation);
    if (spare !== undefined) this.#handles.delete(spare);
    return spare;
  }

  /** Stops spares of code older than the current (a reload): they would hand out the old code. */
  retireStale(graceMs: number): void {
    const generation = this.#host.generation();
    for (const spare of this.#handles) if (spare.generation < generation) spare.stop(false, graceMs);
  }

  /** Spawns spares up to the number wanted, unless the pool is not running or a backoff is pending. */
  topUp(): void {
    if (!this.#host.running() || this.#retry !== undefined) return;
    const generation = this.#host.generation();
    const current = [...this.#handles].filter((h) => h.generation === generation).length;
    for (let i = current; i < this.#want; i++) {
      const handle = this.#host.spawn();
      if (handle === undefined) return;
      this.#handles.add(handle);
      handle.on('loaded', () => {
        this.#failures = 0;
        this.#log.info('spare', `spare pid=${handle.pid} loaded, waiting for an id`, { pid: handle.pid });
      });
      handle.on('failed', (message) => this.#log.error('failed', `spare pid=${handle.pid} ${describeFailure(message)}`));
      handle.on('exit', () => this.#onExit(handle));
    }
  }

  /** Cancels a pending top-up (the pool is stopping). */
  clearTimer(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  /** Replaces a spare that died while waiting, later each time spares keep dying before they load. */
  #onExit(handle: WorkerHandle): void {
    if (!this.#handles.delete(handle)) return; // it took an id: the slot handles its exit
    if (!this.#host.running() || handle.generation < this.#host.generation()) return;
    this.#failures = handle.loadedAt !== undefined ? 0 : this.#failures + 1;
    const delay = backoffDelay(this.#failures, this.#pollMs);
    if (delay === 0) return this.topUp();
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.topUp();
    }, delay);
  }
}
