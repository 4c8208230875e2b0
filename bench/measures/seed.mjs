/**
 * The seed scenario of --concurrency: 256 I/O-bound task loops, each task a 1 s wait, as 256
 * processes × 1 loop, 16 × 16 and 8 × 32 under supervise, beside supervisord running 256
 * processes of the same Node loop (apps/standalone.cjs, the loop of worker.cjs). For each: boot
 * (spawn of the master to every process in its first task), the pool's PSS (master + all, see
 * memory.mjs) and tasks per second counted from the tasks' own `end` events over a window.
 */
import { memoryOf } from './memory.mjs';
import { msBetween, round, sleep } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';

/** Boots one shape and measures it. */
async function shape(system, { processes, slots, taskMs, windowS, tmp, args = [] }) {
  const session = startSession(system, { n: processes, mode: 'busy', taskMs, args }, tmp);
  try {
    const ready = await session.waitReady(processes, 300_000);
    const bootMs = msBetween(session.running.spawnedNs, ready[processes - 1].ns);
    const memory = await memoryOf(session, processes); // waits 1 s: every loop is in a task by then
    await sleep(taskMs);
    const fromNs = process.hrtime.bigint();
    await sleep(windowS * 1000);
    const toNs = process.hrtime.bigint();
    const ends = session.events.of('end').filter((e) => e.ns > fromNs && e.ns <= toNs).length;
    return {
      shape: `${processes}×${slots}`,
      processes,
      slots,
      bootMs: round(bootMs, 0),
      tasksPerS: round(ends / (Number(toNs - fromNs) / 1e9), 1),
      totalPssMib: memory.totalPssMib,
      totalUssMib: memory.totalUssMib,
      rssSumMib: memory.rssSumMib,
      perProcessPssMib: memory.perWorkerPssMib,
    };
  } finally {
    await session.stop();
  }
}

/**
 * Runs the shapes under `supervise` and, when given, 256 plain processes under `supervisord`;
 * returns { loops, taskMs, windowS, rows }.
 */
export async function measureSeed({ supervise, supervisord }, { loops = 256, shapes = [[256, 1], [16, 16], [8, 32]], taskMs = 1000, windowS = 10, tmp }) {
  const rows = [];
  for (const [processes, slots] of shapes) {
    const args = ['--boot-timeout', '300', ...(slots > 1 ? ['--concurrency', String(slots)] : [])];
    rows.push({ system: supervise.label, ...(await shape(supervise, { processes, slots, taskMs, windowS, tmp, args })) });
  }
  if (supervisord !== undefined) {
    const probe = await supervisord.probe();
    if (probe.ok) rows.push({ system: `supervisord ${probe.version}`, ...(await shape(supervisord, { processes: loops, slots: 1, taskMs, windowS, tmp })) });
    else rows.push({ system: 'supervisord', skipped: probe.why });
  }
  return { loops, taskMs, windowS, rows };
}
