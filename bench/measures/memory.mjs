/**
 * Memory of a whole pool: PSS (proportional set size: each shared page charged 1/k to each of the
 * k processes mapping it, so a pool's PSS adds up to what it really uses) summed over the master
 * and every process it leads, and per worker; USS and the RSS sum beside it. Read from
 * /proc/<pid>/smaps_rollup with supervise's own reader (src/services/process-stats.ts, built),
 * the same for every system, after the N workers are ready and idle.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../lib/paths.mjs';
import { descendants } from '../lib/procs.mjs';
import { round, sleep } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';

const MIB = 1024 * 1024;

/** supervise's smaps_rollup reader, from the build. */
async function reader() {
  const mod = await import(pathToFileURL(join(ROOT, 'dist', 'services', 'process-stats.js')).href);
  return mod.readProcessMemory;
}

/** The pool memory of a session whose `n` workers are ready: { totalPssMib, masterPssMib, perWorkerPssMib, … }. */
export async function memoryOf(session, n) {
  const read = await reader();
  await sleep(1000); // start-up garbage collected, pages settled
  const master = session.running.pid;
  const pids = [master, ...descendants(master)];
  const mem = pids.map((pid) => read(pid)).filter((m) => m !== undefined);
  const sum = (key) => mem.reduce((a, m) => a + m[key], 0);
  const m0 = read(master);
  if (m0 === undefined) throw new Error(`${session.system.label} master gone before its memory was read`);
  const workers = pids.length - 1;
  return {
    workers: n,
    processes: pids.length,
    totalPssMib: round(sum('pssBytes') / MIB, 1),
    totalUssMib: round(sum('ussBytes') / MIB, 1),
    rssSumMib: round(sum('rssBytes') / MIB, 1),
    masterPssMib: round(m0.pssBytes / MIB, 1),
    // Everything but the master, per worker (a system's helper processes, pm2's or a fork server's, count in).
    perWorkerPssMib: round((sum('pssBytes') - m0.pssBytes) / MIB / Math.max(1, n), 2),
    otherProcesses: Math.max(0, workers - n),
  };
}

/** Boots `system` once per N in `sizes` and reads its pool memory; returns { [N]: figures }. */
export async function measureMemory(system, { sizes, tmp }) {
  const result = {};
  for (const n of sizes) {
    const session = startSession(system, { n, mode: 'idle', idleMs: 100, poll: 1 }, tmp);
    try {
      await session.waitReady(n, 30_000 + n * 500);
      result[n] = await memoryOf(session, n);
    } finally {
      await session.stop();
    }
  }
  return result;
}
