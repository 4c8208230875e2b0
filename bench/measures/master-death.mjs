/**
 * Master death: SIGKILL of the master to every process it led gone (workers, and spares if any), with idle workers (an empty queue
 * polled every 10 ms) and with busy ones (200 ms tasks). Counts tasks in flight at the kill, how
 * many finished, how many were cut, tasks started after the master was gone, and orphans: workers
 * still running 3 s later (killed by the harness afterwards).
 */
import { readyPids } from '../lib/events.mjs';
import { descendants, isAlive, signal, track, waitGone } from '../lib/procs.mjs';
import { msBetween, round, sleep } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';
import { cutTasks, tasksOf } from '../lib/tasks.mjs';

/** How long a worker may outlive its master before it counts as an orphan. */
const ORPHAN_AFTER_MS = 3000;

/** One scenario: start, (get every worker into a task), kill the master, watch. */
async function scenario(system, { workers, busy, tmp }) {
  const opts = busy ? { n: workers, mode: 'busy', taskMs: 200 } : { n: workers, mode: 'idle', idleMs: 10 };
  const session = startSession(system, opts, tmp);
  try {
    const ready = await session.waitReady(workers, 30_000);
    if (busy) {
      session.drive(workers);
      await session.events.waitFor((log) => new Set(log.of('start').map((e) => e.pid)).size >= workers, 10_000, 'every worker in a task');
      await sleep(70); // tasks now at assorted points of their 200 ms
    } else {
      await sleep(300);
    }
    // Every process the master leads counts, not only the workers: a spare must not outlive it either.
    const pids = [...new Set([...ready.map((e) => e.pid), ...descendants(session.running.pid)])].filter(isAlive);
    for (const pid of pids) track(pid);
    const killedNs = process.hrtime.bigint();
    signal(session.running.pid, 'SIGKILL');
    const sentNs = process.hrtime.bigint(); // the master is certainly doomed from here on
    session.stopDriving();
    const goneNs = await waitGone(pids, ORPHAN_AFTER_MS, 1);
    const orphans = pids.filter(isAlive);
    for (const pid of orphans) signal(pid, 'SIGKILL'); // counted; nothing more to learn from them
    session.events.poll();
    const tasks = tasksOf(session.events);
    const inFlight = tasks.filter((t) => t.startNs < killedNs && (t.endNs === undefined || t.endNs > killedNs));
    const result = {
      processes: pids.length,
      goneMs: goneNs === undefined ? null : round(msBetween(killedNs, goneNs), 1),
      orphans: orphans.length,
      respawnedAfter: readyPids(session.events, killedNs).length,
    };
    if (!busy) return result;
    return {
      ...result,
      inFlight: inFlight.length,
      finished: inFlight.filter((t) => t.endNs !== undefined).length,
      cut: cutTasks(inFlight).length,
      startedAfter: tasks.filter((t) => t.startNs > sentNs).length,
      // How long after the kill those tasks started: a start within a ms or two is a worker that
      // could not have heard of the death yet; later ones are a worker carrying on regardless.
      startedAfterMs: tasks.filter((t) => t.startNs > sentNs).slice(0, 10).map((t) => round(msBetween(sentNs, t.startNs), 2)),
    };
  } finally {
    await session.stop();
  }
}

/** Both scenarios for `system`. */
export async function measureMasterDeath(system, { workers = 8, tmp, scenarios = ['idle', 'busy'] }) {
  const result = {};
  for (const name of scenarios) result[name] = await scenario(system, { workers, busy: name === 'busy', tmp });
  return result;
}
