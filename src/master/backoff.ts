/**
 * When to respawn an id that keeps failing: at once the first time, then exponentially later,
 * never later than the poll interval, so a broken app never spins a CPU and a fixed one comes back
 * within one poll.
 */

/** First delayed respawn waits this long; each further failure doubles it. */
export const BACKOFF_BASE_MS = 100;
/** A worker that ran this long after ready has proven itself: its failure count resets. */
export const HEALTHY_AFTER_MS = 1000;

/** Milliseconds to wait before respawning after `failures` consecutive early failures. */
export function backoffDelay(failures: number, capMs: number): number {
  if (failures <= 1) return 0;
  return Math.min(capMs, BACKOFF_BASE_MS * 2 ** Math.min(failures - 2, 30));
}

/** Signals that mean someone stopped the worker on purpose, rather than the app failing. */
const DELIBERATE_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT']);

/**
 * Whether an exit counts toward backoff: it came before the worker was ready, or soon after, and
 * was not a kill from outside (an operator's SIGKILL of a healthy worker is respawned at once).
 */
export function isEarlyFailure(readyAt: number | undefined, exitedAt: number, signal: string | null): boolean {
  if (readyAt === undefined) return true;
  if (signal !== null && DELIBERATE_SIGNALS.has(signal)) return false;
  return exitedAt - readyAt < HEALTHY_AFTER_MS;
}
