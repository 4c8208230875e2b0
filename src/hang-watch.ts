/**
 * --timeout and recycling limits as pure functions: which workers are hung, how often workers
 * beat, and each worker's jittered limits.
 */
import type { WorkerLimits } from './protocol.cjs';

/** How often workers send heartbeats (and the master checks them) for a given timeout. */
export function heartbeatInterval(timeoutSeconds: number): number {
  return Math.round(Math.min(1000, Math.max(25, (timeoutSeconds * 1000) / 4)));
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
