/**
 * Master cost: CPU time and RSS of the master process alone over `seconds` of idle with 32
 * workers (supervise with --poll 1; peers with their defaults), from /proc/<pid>/stat and status.
 */
import { cpuTicks, rssMb } from '../lib/procs.mjs';
import { round, sleep } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';

/** Clock ticks per second of /proc's CPU times on Linux. */
const TICKS_PER_S = 100;

/** Measures the master of a session whose `workers` workers are all ready and idle. */
export async function masterCostOf(session, { workers, seconds }) {
  await sleep(1000); // let start-up work (logging, timers) settle
  const pid = session.running.pid;
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = cpuTicks(pid);
  const wallMs = performance.now() - t0;
  if (c0 === undefined || c1 === undefined) throw new Error(`${session.system.label} master died during the measurement`);
  const cpuMs = ((c1 - c0) * 1000) / TICKS_PER_S;
  return { workers, seconds: round(wallMs / 1000, 1), cpuMs, cpuPct: round((cpuMs / wallMs) * 100, 3), rssMb: round(rssMb(pid), 1) };
}

/** Starts `system` with `workers` idle workers and measures its master. */
export async function measureMasterCost(system, { workers = 32, seconds, tmp }) {
  const session = startSession(system, { n: workers, mode: 'idle', idleMs: 100, poll: 1 }, tmp);
  try {
    await session.waitReady(workers, 60_000);
    return await masterCostOf(session, { workers, seconds });
  } finally {
    await session.stop();
  }
}
