/**
 * --timeout and recycling limits as pure functions: which workers are hung, how often workers
 * beat, and each worker's jittered limits.
 */
import type { WorkerLimits } from './protocol.cjs';

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
export function hangReason(worker: Watched, now: number, timeoutMs: number, beatMs: number): string | undefined {
  if (worker.readyAt === undefined) return undefined;
  if (worker.busySince !== null && now - worker.busySince > timeoutMs) {
    return `task running ${((now - worker.busySince) / 1000).toFixed(1)}s`;
  }
  if (now - worker.heardAt > timeoutMs + beatMs) {
    return `no heartbeat for ${((now - worker.heardAt) / 1000).toFixed(1)}s (event loop blocked)`;
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
