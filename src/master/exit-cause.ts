/** Why a worker's process ended, in one word: a reload's or a stop's asked-for exit told apart from a crash. */
import type { ExitCause } from '../services/pool-status.js';

/** The killReason a kill asked for by a user (the dashboard's Kill button) leaves on the process. */
export const KILL_ASKED = 'killed on request (SIGKILL)';

/** What the master knew of a process when it exited. */
export interface ExitFacts {
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: string | null;
  /** Why the id was being handed to a new process when the old one exited (a reload, a one-id restart), if it was. */
  readonly handOver: 'reload' | 'restart' | undefined;
  /** The master asked the process to stop (gracefully or quickly). */
  readonly stopAsked: boolean;
  /** The pool itself is stopping. */
  readonly poolStopping: boolean;
  /** The id is at or above the pool's size: it retires (a scale down). */
  readonly retiring: boolean;
  /** The worker said it leaves at a recycling limit (--max-tasks, --max-rss). */
  readonly recycling: boolean;
  /** Why the master killed it, if it did (a timeout, or KILL_ASKED). */
  readonly killReason: string | undefined;
  /** The worker reported an error it exits with (a load failure, a throw in a task). */
  readonly failed: boolean;
}

/**
 * The cause of an exit. Asked for: `reload`, `restart`, `stop`, `retire`, `recycle`, `killed` (a
 * user's kill). Not asked for: `timeout` (the master killed a hung task or boot), `crash` (a
 * reported failure, a signal, a non-zero code), `exit` (code 0 though nobody asked: the app ended
 * its own process). A kill asked for (stop's SIGKILL past the grace included) keeps the reason it
 * was asked for: a signal after a stop is not a crash.
 */
export function exitCause(facts: ExitFacts): ExitCause {
  if (facts.killReason === KILL_ASKED) return 'killed';
  if (facts.killReason !== undefined) return 'timeout';
  if (facts.handOver !== undefined && facts.stopAsked) return facts.handOver;
  if (facts.poolStopping && facts.stopAsked) return 'stop';
  if (facts.retiring && facts.stopAsked) return 'retire';
  if (facts.recycling && !facts.failed) return 'recycle';
  if (facts.stopAsked && !facts.failed) return 'stop';
  if (facts.failed || facts.signal !== null || facts.code !== 0) return 'crash';
  return 'exit';
}

/** True for an exit the master asked for and let happen (a reload, a restart, a stop, a retire, a recycle); false for a crash, a timeout, a kill, an unasked exit. */
export function isCleanExit(cause: ExitCause): boolean {
  return cause === 'reload' || cause === 'restart' || cause === 'stop' || cause === 'retire' || cause === 'recycle';
}
