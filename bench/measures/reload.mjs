/**
 * Reload: 8 workers in 100 ms tasks are moved to new code (the version file the apps read on load
 * goes from v to v+1, then the system's reload is triggered), `reloads` times in one session.
 * Measures the time from each trigger until every id is held by a new-code worker and every old
 * worker is gone, the longest stretch any id had no process running a task, and tasks cut.
 *
 * With `floorRounds`, each reload is followed (interleaved, so both see the same machine) by that
 * many runs of the hand-over floor (apps/handover.cjs): old process ends its task and exits, the
 * parent sees the exit and tells a loaded new process, which starts its task — and the same with
 * the new process told at the old one's last task instead of its exit.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readyPids } from '../lib/events.mjs';
import { APPS } from '../lib/paths.mjs';
import { isAlive, waitGone } from '../lib/procs.mjs';
import { msBetween, round, sleep, spread } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';
import { cutTasks, longestGapMs, tasksOf } from '../lib/tasks.mjs';

/** Gaps (ms) of `rounds` bare hand-overs, `how` = exit | message (see apps/handover.cjs). */
export function handoverFloor(rounds, how) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(APPS, 'handover.cjs'), String(rounds), how], { timeout: 60_000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout));
    });
  });
}

/** One reload of a running session from version `v` to `v + 1`; returns its figures. */
async function reloadOnce(system, session, { workers, versionFile, v, timeoutMs }) {
  const old = readyPids(session.events).filter((e) => e.v === String(v) && isAlive(e.pid));
  writeFileSync(versionFile, `${v + 1}\n`);
  const reloadNs = process.hrtime.bigint();
  await system.reload.trigger(session.running);
  const fresh = await session.events.waitFor(
    (log) => {
      const byId = new Map(readyPids(log, reloadNs).filter((e) => e.v === String(v + 1)).map((e) => [e.id, e]));
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
  const tasks = tasksOf(session.events).filter((t) => t.startNs < stopNs && (t.endNs === undefined || t.endNs > reloadNs));
  const ids = [...new Set(old.map((e) => e.id))].sort((a, b) => Number(a) - Number(b));
  const gaps = ids.map((id) => longestGapMs(tasks, id, reloadNs, doneNs, stopNs));
  return {
    moveMs: msBetween(reloadNs, doneNs),
    oldStillRunning: old.filter((e) => isAlive(e.pid)).length,
    maxGapMs: Math.max(...gaps),
    gapsMs: gaps.map((g) => round(g, 2)),
    cut: cutTasks(tasks).length,
  };
}

/** Reloads `system` `reloads` times; `system.reload.trigger(running)` starts a reload. */
export async function measureReload(system, { workers = 8, reloads = 1, floorRounds = 0, tmp, timeoutMs = 60_000 }) {
  const versionFile = join(tmp, `${system.id}-version`);
  writeFileSync(versionFile, '1\n');
  const session = startSession(system, { n: workers, mode: 'busy', taskMs: 100, versionFile }, tmp);
  try {
    await session.waitReady(workers, 30_000);
    session.drive(workers);
    await session.events.waitFor((log) => new Set(log.of('start').map((e) => e.id)).size >= workers, 10_000, 'every id in a task');
    await sleep(300);
    const each = [];
    const floorExit = [];
    const floorMessage = [];
    for (let r = 0; r < reloads; r++) {
      each.push(await reloadOnce(system, session, { workers, versionFile, v: r + 1, timeoutMs }));
      if (floorRounds > 0) {
        floorExit.push(...(await handoverFloor(floorRounds, 'exit')));
        floorMessage.push(...(await handoverFloor(floorRounds, 'message')));
      }
    }
    const allGaps = each.flatMap((e) => e.gapsMs);
    return {
      workers,
      reloads: each.length,
      // The median reload's figures (the single reload's when reloads = 1), then their spread.
      moveMs: round(spread(each.map((e) => e.moveMs), 1).median, 1),
      maxGapMs: round(spread(each.map((e) => e.maxGapMs), 2).median, 2),
      maxGapSpread: spread(each.map((e) => e.maxGapMs), 2),
      moveSpread: spread(each.map((e) => e.moveMs), 1),
      idGapSpread: spread(allGaps, 2),
      gapsMs: each.length === 1 ? each[0].gapsMs : each.map((e) => e.gapsMs),
      cut: each.reduce((n, e) => n + e.cut, 0),
      oldStillRunning: each.reduce((n, e) => n + e.oldStillRunning, 0),
      ...(floorRounds > 0 ? { floorExitMs: spread(floorExit, 2), floorMessageMs: spread(floorMessage, 2) } : {}),
    };
  } finally {
    await session.stop();
  }
}
