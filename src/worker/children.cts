/**
 * A worker's own child processes (those the app started, in the process group the worker leads):
 * ended with the worker, however it exits, so none is left behind as an orphan. Runs in workers.
 */
import { readFileSync } from 'node:fs';

/** How often the wait for this worker's own children looks again. */
const CHILDREN_POLL_MS = 20;

/**
 * Pids of this process's children still in its process group (only the main thread forks: Node's
 * own threads never do). A child the app detached into a group of its own is meant to outlive us.
 */
function ownChildren(): number[] {
  let pids: number[];
  try {
    pids = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return pids.filter((pid) => processGroupOf(pid) === process.pid);
}

/** The process group of `pid`, from /proc/<pid>/stat (after the command name, which may hold anything). */
function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** Sends `signal` to each of `pids`, some of which may be gone already. */
function signalEach(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/**
 * Before a clean exit: asks the children the app started to end, waits up to `graceMs`, then
 * SIGKILLs those left, so none outlives this worker, even when its master is gone and cannot do
 * it. One small read when there are none. (Grandchildren get the group's SIGTERM at exit.)
 */
export async function endChildren(graceMs: number): Promise<void> {
  let left = ownChildren();
  if (left.length === 0) return;
  signalEach(left, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resume) => setTimeout(resume, CHILDREN_POLL_MS));
    left = ownChildren();
  }
  signalEach(left, 'SIGKILL');
}

/**
 * However this process exits (a stop, a failure, its master's death), its own children, the rest
 * of the process group it leads, get SIGTERM: none outlives it as an orphan. The SIGTERM reaches
 * this process too, which is exiting anyway; its exit code stands.
 */
export function endOwnGroupOnExit(): void {
  process.on('exit', () => {
    try {
      process.kill(-process.pid, 'SIGTERM');
    } catch {
      // Not a group leader (run by hand), or nothing to signal.
    }
  });
}
