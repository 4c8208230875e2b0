/**
 * Reload: 8 workers in 100 ms tasks are moved to new code (the version file the apps read on load
 * goes from 1 to 2, then the system's reload is triggered). Measures the time from the trigger
 * until every id is held by a new-code worker and every old worker is gone, the longest stretch
 * any id had no process running a task, and tasks cut.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readyPids } from '../lib/events.mjs';
import { isAlive, waitGone } from '../lib/procs.mjs';
import { msBetween, round, sleep } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';
import { cutTasks, longestGapMs, tasksOf } from '../lib/tasks.mjs';

/** Reloads `system` once; `system.reload.trigger(running)` starts the reload. */
export async function measureReload(system, { workers = 8, tmp, timeoutMs = 60_000 }) {
  const versionFile = join(tmp, `${system.id}-version`);
  writeFileSync(versionFile, '1\n');
  const session = startSession(system, { n: workers, mode: 'busy', taskMs: 100, versionFile }, tmp);
  try {
    const old = await session.waitReady(workers, 30_000);
    session.drive(workers);
    await session.events.waitFor((log) => new Set(log.of('start').map((e) => e.id)).size >= workers, 10_000, 'every id in a task');
    await sleep(300);
    writeFileSync(versionFile, '2\n');
    const reloadNs = process.hrtime.bigint();
    await system.reload.trigger(session.running);
    const fresh = await session.events.waitFor(
      (log) => {
        const byId = new Map(readyPids(log, reloadNs).filter((e) => e.v === '2').map((e) => [e.id, e]));
        return byId.size >= workers && [...byId.values()];
      },
      timeoutMs,
      `${workers} ids on new code`,
    );
    const oldGoneNs = await waitGone(old.map((e) => e.pid), timeoutMs, 1);
    const lastReady = fresh.reduce((a, e) => (e.ns > a ? e.ns : a), 0n);
    const doneNs = oldGoneNs === undefined || lastReady > oldGoneNs ? lastReady : oldGoneNs;
    await sleep(300);
    const stopNs = process.hrtime.bigint();
    session.events.poll();
    const tasks = tasksOf(session.events).filter((t) => t.startNs < stopNs);
    const ids = [...new Set(old.map((e) => e.id))];
    const gaps = ids.map((id) => longestGapMs(tasks, id, reloadNs, doneNs, stopNs));
    return {
      workers,
      moveMs: round(msBetween(reloadNs, doneNs), 1),
      oldStillRunning: old.filter((e) => isAlive(e.pid)).length,
      maxGapMs: round(Math.max(...gaps), 2),
      gapsMs: gaps.map((g) => round(g, 2)),
      cut: cutTasks(tasks).length,
    };
  } finally {
    await session.stop();
  }
}
