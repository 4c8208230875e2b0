/** The master's timer over hung processes: runs killHung at the interval the limits in force need, re-armed when a HUP changes them. */
import type { Logger } from '../shared/log.js';
import { HangWatch, killHung, watchInterval, type WatchLimits, type WatchedProcess } from './hang-watch.js';

/** What the timer reads of the pool at each check. */
export interface HangTimerHost {
  readonly log: Logger;
  /** The limits in force now (a HUP may change them). */
  limits(): WatchLimits;
  /** Every live process, with or without an id. */
  live(): Iterable<WatchedProcess>;
  /** How the log names a process holding no id ("spare", "reload candidate"). */
  nameOf(handle: WatchedProcess): string;
}

/** Looks for hung processes every heartbeat (--timeout), else often enough for --boot-timeout; not at all without either. */
export class HangTimer {
  readonly #host: HangTimerHost;
  #timer: NodeJS.Timeout | undefined;
  #intervalMs: number | undefined;

  constructor(host: HangTimerHost) {
    this.#host = host;
  }

  /** Starts the timer at the interval the limits need now, or restarts it when that interval changed. */
  arm(): void {
    const { heartbeatMs, bootTimeout } = this.#host.limits();
    const ms = watchInterval(heartbeatMs, bootTimeout);
    if (this.#timer !== undefined && ms === this.#intervalMs) return;
    this.stop();
    this.#intervalMs = ms;
    if (ms === undefined) return;
    const host = this.#host;
    const watch = new HangWatch(ms, host.log);
    this.#timer = setInterval(() => watch.onTime() && killHung(host.live(), host.limits(), Date.now(), (h) => host.nameOf(h), host.log, watch.resumedAt), ms);
  }

  /** Stops looking. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
