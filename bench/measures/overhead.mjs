/**
 * Task-loop overhead: tasks per second of an empty task run by a supervise worker against the same
 * function awaited in a bare loop in plain Node (apps/bare-loop.cjs). Best of `rounds` each,
 * alternating, so a burst of load from elsewhere on the machine does not decide the figure.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { APPS } from '../lib/paths.mjs';
import { round } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';

/** Calls per second of the bare loop over `seconds` (after 1 s of warm-up). */
function bareRate(seconds) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, BENCH_MODE: 'empty', BENCH_SECONDS: String(seconds) };
    execFile(process.execPath, [join(APPS, 'bare-loop.cjs')], { env, timeout: (seconds + 10) * 1000 }, (error, stdout) => {
      if (error) return reject(error);
      const { calls, ns } = JSON.parse(stdout);
      resolve(calls / (Number(ns) / 1e9));
    });
  });
}

/** Tasks per second of one supervise worker over `seconds` (after 1 s of warm-up), from its count events. */
async function supervisedRate(system, seconds, tmp) {
  const session = startSession(system, { n: 1, mode: 'empty' }, tmp);
  try {
    const [ready] = await session.waitReady(1, 30_000);
    const from = await session.events.waitFor((log) => log.of('count').find((e) => e.ns >= ready.ns + 1_000_000_000n), 10_000, 'warm-up');
    const windowNs = BigInt(seconds * 1e9);
    const to = await session.events.waitFor((log) => log.of('count').find((e) => e.ns >= from.ns + windowNs), (seconds + 10) * 1000, 'count');
    return (Number(to.extra) - Number(from.extra)) / (Number(to.ns - from.ns) / 1e9);
  } finally {
    await session.stop();
  }
}

/** Measures the overhead of `system`'s task loop; returns both rates and the overhead in %. */
export async function measureOverhead(system, { seconds = 1.5, rounds = 2, tmp }) {
  let bare = 0;
  let supervised = 0;
  for (let i = 0; i < rounds; i++) {
    bare = Math.max(bare, await bareRate(seconds));
    supervised = Math.max(supervised, await supervisedRate(system, seconds, tmp));
  }
  return { tasksPerS: Math.round(supervised), bareTasksPerS: Math.round(bare), overheadPct: round((1 - supervised / bare) * 100, 1) };
}
