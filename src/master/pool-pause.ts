/** Pausing a pool (Unicorn's WINCH): every worker holds after its current task until resumed. */
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import type { Logger } from '../shared/log.js';
import type { PoolState } from './pool-state.js';
import type { Waiters } from './waiters.js';
import type { WorkerHandle } from './worker-handle.js';

/** What pausing needs of the pool. */
export interface PauseHost {
  readonly log: Logger;
  readonly waiters: Waiters;
  readonly pool: PoolState;
  /** Live processes that hold an id. */
  held(): WorkerHandle[];
}

/** The pool's pause switch; workers spawned while it is on hold too (they are told at spawn). */
export class PoolPause {
  #paused = false;

  constructor(readonly host: PauseHost) {}

  /** True while paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** See Supervisor.pause. */
  pause(): Promise<void> {
    const { host } = this;
    if (!host.pool.active) return Promise.reject(host.pool.stoppedError('pause'));
    const options = host.pool.options;
    if (options.command !== undefined && options.pauseSignal === undefined) {
      const error = new SuperviseError(ErrorCode.OPTION, 'cannot pause: a program run after -- holds only with --pause-signal and --resume-signal (Laravel queue:work: USR2 and CONT)');
      host.log.error('pause', error.message);
      return Promise.reject(error);
    }
    this.#set(true);
    return host.waiters.until('pause', () => !this.#paused || host.held().every((h) => h.holding || h.state === 'stopping'));
  }

  /** See Supervisor.resume. */
  resume(): Promise<void> {
    if (!this.host.pool.active) return Promise.reject(this.host.pool.stoppedError('resume'));
    this.#set(false);
    this.host.waiters.notify();
    return Promise.resolve();
  }

  #set(paused: boolean): void {
    if (this.#paused === paused) return;
    this.#paused = paused;
    if (paused) this.host.log.info('pause', `pausing: workers hold after their current task`);
    else this.host.log.info('resume', `resuming: workers start tasks again`);
    for (const handle of this.host.held()) handle.setPaused(paused);
  }
}
