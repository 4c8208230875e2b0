/**
 * --timeout, --boot-timeout and recycling limits: which processes are hung (pure functions, and
 * the sweep that kills them), how often workers beat, and each worker's jittered limits.
 */
import type { Logger } from '../shared/log.js';
import type { WorkerLimits } from '../shared/protocol.cjs';

/** A quarter of `limitSeconds` in ms, kept within 25 ms..1 s: how often to look for something due after that limit. */
function checkEvery(limitSeconds: number): number {
  return Math.round(Math.min(1000, Math.max(25, (limitSeconds * 1000) / 4)));
}

/** How often workers send heartbeats (and the master checks them) for a given timeout. */
export function heartbeatInterval(timeoutSeconds: number): number {
  return checkEvery(timeoutSeconds);
}

/** What the watch needs to know of a worker. */
export interface Watched {
  readonly readyAt: number | undefined;
  readonly busySince: number | null;
  readonly heardAt: number;
}

/**
 * Why `worker` must be killed, or undefined when it is fine: its task has run longer than
 * `timeoutMs`, or it has been silent longer than `timeoutMs` plus a beat (a synchronous hang
 * blocks its heartbeat too).
 */
export function hangReason(worker: Watched, now: number, timeoutMs: number, beatMs: number, resumedAt = Number.NEGATIVE_INFINITY): string | undefined {
  if (worker.readyAt === undefined) return undefined;
  // After the master itself was stopped or starved (resumedAt), only a report read since then
  // says what the worker is doing; silence counts from then, not from before the master's gap.
  if (worker.busySince !== null && worker.heardAt >= resumedAt && now - worker.busySince > timeoutMs) {
    return `task running ${((now - worker.busySince) / 1000).toFixed(1)}s`;
  }
  const heard = Math.max(worker.heardAt, resumedAt);
  if (now - heard > timeoutMs + beatMs) {
    return `no heartbeat for ${((now - heard) / 1000).toFixed(1)}s (event loop blocked)`;
  }
  return undefined;
}

/** How often the master looks for hung workers: every heartbeat with --timeout, else often enough for --boot-timeout; undefined when neither is on. */
export function watchInterval(heartbeatMs: number | undefined, bootTimeoutSeconds: number): number | undefined {
  if (heartbeatMs !== undefined) return heartbeatMs;
  if (bootTimeoutSeconds === 0) return undefined;
  return checkEvery(bootTimeoutSeconds);
}

/**
 * Why a process on its way to ready (since `bootingSince`, see WorkerHandle) must be killed, or
 * undefined: it has taken longer than `limitMs` (0: no limit). `holdsId` says whether afterFork is
 * part of the way (a spare loads the app only).
 */
export function bootHangReason(bootingSince: number | undefined, holdsId: boolean, now: number, limitMs: number): string | undefined {
  if (bootingSince === undefined || limitMs === 0 || now - bootingSince <= limitMs) return undefined;
  const seconds = ((now - bootingSince) / 1000).toFixed(1);
  return holdsId ? `not ready after ${seconds}s (loading the app or in afterFork)` : `app not loaded after ${seconds}s`;
}

/**
 * One worker's recycling limits: up to 10% more tasks and 5% more RSS than configured, drawn per
 * worker, so a pool started together does not recycle together.
 */
export function workerLimits(maxTasks: number | undefined, maxRssMiB: number | undefined, random: () => number = Math.random): WorkerLimits {
  return {
    ...(maxTasks !== undefined ? { maxTasks: maxTasks + Math.floor(random() * Math.ceil(maxTasks / 10)) } : {}),
    ...(maxRssMiB !== undefined ? { maxRssBytes: Math.round(maxRssMiB * 1048576 * (1 + random() * 0.05)) } : {}),
  };
}

/** The limits the master's watch enforces. */
export interface WatchLimits {
  /** --timeout, seconds. */
  readonly timeout: number | undefined;
  /** --boot-timeout, seconds (0: none). */
  readonly bootTimeout: number;
  /** The heartbeat interval, ms, when --timeout is set. */
  readonly heartbeatMs: number | undefined;
  /**
   * The --timeout in force before a HUP changed it, and when (epoch ms): a task begun before then
   * is judged by the longer of the two (no limit counts as longest), so a change applies to the
   * next tasks and never cuts a running one sooner than it was promised.
   */
  readonly earlier?: { readonly timeout: number | undefined; readonly until: number };
}

/** The --timeout (seconds) a task begun at `busySince` is judged by; undefined: none. */
export function taskTimeout(limits: WatchLimits, busySince: number | null): number | undefined {
  const { timeout, earlier } = limits;
  if (earlier === undefined || busySince === null || busySince >= earlier.until) return timeout;
  if (timeout === undefined || earlier.timeout === undefined) return undefined;
  return Math.max(timeout, earlier.timeout);
}

/** What the watch reads of a live process, and how it kills one. */
export interface WatchedProcess extends Watched {
  readonly id: number | undefined;
  readonly pid: number | undefined;
  readonly bootingSince: number | undefined;
  readonly killReason: string | undefined;
  kill(reason: string): void;
}

/**
 * Kills processes that never got ready within --boot-timeout (spares and reload candidates
 * included), and workers whose task outlived --timeout (or whose heartbeat stopped), logging
 * each kill; `nameOf` names a process holding no id.
 */
export function killHung(
  handles: Iterable<WatchedProcess>,
  limits: WatchLimits,
  now: number,
  nameOf: (handle: WatchedProcess) => string,
  log: Logger,
  resumedAt = Number.NEGATIVE_INFINITY,
): void {
  const { bootTimeout, heartbeatMs: beat } = limits;
  for (const handle of handles) {
    if (handle.killReason !== undefined) continue; // killed already, its exit is on the way
    const id = handle.id;
    const booting = handle.bootingSince === undefined ? undefined : Math.max(handle.bootingSince, resumedAt);
    const boot = bootHangReason(booting, id !== undefined, now, bootTimeout * 1000);
    const limit = taskTimeout(limits, handle.busySince);
    const task = boot === undefined && id !== undefined && limit !== undefined && beat !== undefined ? hangReason(handle, now, limit * 1000, beat, resumedAt) : undefined;
    const reason = boot ?? task;
    if (reason === undefined) continue;
    const name = id !== undefined ? `worker[${id}]` : `${nameOf(handle)} pid=${handle.pid}`;
    const why = `timed out: ${reason}, over ${boot !== undefined ? `--boot-timeout ${bootTimeout}s` : `--timeout ${limit}s`}`;
    log.error('timeout', `${name} ${why}; killing pid=${handle.pid}`, { worker: id, pid: handle.pid, timeout: boot !== undefined ? bootTimeout : limit });
    handle.kill(why);
  }
}

/** A check later than its interval by this much (and by at least the interval again) means the master itself was stopped or starved. */
export const LATE_CHECK_MS = 1000;

/**
 * The master's watch over its own clock: a check that runs far later than scheduled means this
 * process was stopped (SIGSTOP, a frozen cgroup, a paused VM, a debugger) or starved. Timers run
 * before the IPC messages queued meanwhile are read, so what the master knows of its workers is
 * then stale: that check judges nobody, and later checks count silence and boot time from the
 * moment it caught up (Unicorn's t/heartbeat-timeout.t: no worker dies of its master's pause).
 */
export class HangWatch {
  readonly #intervalMs: number;
  readonly #log: Logger;
  /** performance.now() of the previous check. */
  #lastCheck = performance.now();
  /** Epoch ms when the master last caught up after a gap; -Infinity when it never had one. */
  #resumedAt = Number.NEGATIVE_INFINITY;

  constructor(intervalMs: number, log: Logger) {
    this.#intervalMs = intervalMs;
    this.#log = log;
  }

  /** Epoch ms the master last caught up after being stopped or starved (-Infinity: never). */
  get resumedAt(): number {
    return this.#resumedAt;
  }

  /**
   * One check: false (and the gap noted, and logged) when it comes too late to trust what the
   * master knows of its workers; true when the watch may judge them now.
   */
  onTime(): boolean {
    const now = performance.now();
    const gap = now - this.#lastCheck;
    this.#lastCheck = now;
    if (gap <= this.#intervalMs * 2 + LATE_CHECK_MS) return true;
    this.#resumedAt = Date.now();
    this.#log.info('resumed', `master was stopped or starved for ${(gap / 1000).toFixed(1)}s: workers are judged by what they report from now on`, { gapMs: Math.round(gap) });
    return false;
  }
}
