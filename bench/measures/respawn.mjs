/**
 * Respawn: SIGKILL of one worker (sent by the harness) to its replacement announcing ready, over
 * `kills` kills, oldest worker first, with a pause between kills so each starts from a settled pool
 * (long enough, with spares, for the spare used by the last kill to be replaced and warm).
 */
import { readyPids } from '../lib/events.mjs';
import { signal } from '../lib/procs.mjs';
import { median, msBetween, quantile, round, sleep } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';

/** Measures respawn latency of `system` with `workers` workers; returns samples, median and p95 in ms. */
export async function measureRespawn(system, { workers = 4, kills, settleMs, tmp }) {
  const session = startSession(system, { n: workers, mode: 'idle', idleMs: 100 }, tmp);
  try {
    const live = [...(await session.waitReady(workers, 30_000))];
    await sleep(settleMs);
    const samples = [];
    for (let k = 0; k < kills; k++) {
      const victim = live.shift();
      const known = new Set(readyPids(session.events).map((e) => e.pid));
      const killedNs = process.hrtime.bigint();
      signal(victim.pid, 'SIGKILL');
      const fresh = await session.events.waitFor(
        (log) => readyPids(log, killedNs).find((e) => !known.has(e.pid)),
        10_000,
        `a replacement for pid ${victim.pid}`,
      );
      samples.push(round(msBetween(killedNs, fresh.ns), 2));
      live.push(fresh);
      await sleep(settleMs);
    }
    return { workers, kills, samplesMs: samples, medianMs: round(median(samples), 2), p95Ms: round(quantile(samples, 0.95), 2) };
  } finally {
    await session.stop();
  }
}
