/** Stopping a pool: graceful (tasks finish) or quick (grace, then SIGKILL), and making a stop under way quicker. */
import type { Logger } from '../shared/log.js';
import type { WorkerHandle } from './worker-handle.js';

/** What a stop does to its pool. */
export interface StopHost {
  readonly log: Logger;
  /** --grace, seconds, as in force now (a HUP may change it). */
  grace(): number;
  /** Every live process of the pool, with or without an id. */
  live(): WorkerHandle[];
  /** Marks the pool stopping (timers cleared, pending waits rejected); returns whether it had started at all. */
  begin(): boolean;
  /** Resolves once no exited process has a child left in its group. */
  settled(): Promise<void>;
  /** Releases what the pool held, after its last process is gone. */
  finish(started: boolean): void;
}

/** One pool's stop: asked for once, made quicker by each later quick request. */
export class PoolStop {
  readonly #host: StopHost;
  #stopping: Promise<void> | undefined;
  #graceful = false;
  #done = false;

  constructor(host: StopHost) {
    this.#host = host;
  }

  /** Starts the stop, or (under way) makes it quicker: graceful → quick, quick → SIGKILL now. Resolves when it is done. */
  request(graceful: boolean): Promise<void> {
    if (this.#stopping === undefined) this.#stopping = this.#run(graceful);
    else if (!graceful && !this.#done) this.#escalate();
    return this.#stopping;
  }

  async #run(graceful: boolean): Promise<void> {
    const host = this.#host;
    this.#graceful = graceful;
    const started = host.begin();
    const handles = host.live();
    if (started) {
      host.log.info('stop', `master stopping (${graceful ? 'graceful: tasks finish' : `quick: grace ${host.grace()}s`}) workers=${handles.length}`, {
        graceful,
        workers: handles.length,
      });
    }
    for (const handle of handles) handle.stop(graceful, host.grace() * 1000);
    await Promise.all(handles.map((handle) => handle.exited));
    // The pool is stopped only when no worker's child is left either.
    await host.settled();
    this.#done = true;
    host.finish(started);
  }

  #escalate(): void {
    const host = this.#host;
    if (this.#graceful) {
      this.#graceful = false;
      host.log.info('stop', `master stopping quickly now (grace ${host.grace()}s)`);
      for (const handle of host.live()) handle.stop(false, host.grace() * 1000);
    } else {
      host.log.info('stop', 'master killing every worker now');
      for (const handle of host.live()) handle.kill();
    }
  }
}
