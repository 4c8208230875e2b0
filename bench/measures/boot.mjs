/** Boot: from spawning the master to all N workers ready, for each N. */
import { msBetween, round } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';

/**
 * Boots `system` once per N in `sizes`; returns { [N]: ms }. `whileUp[N]`, if given, is awaited
 * with the booted session before it stops (the master-cost measurement reuses the 32-worker
 * boot instead of paying for another).
 */
export async function measureBoot(system, { sizes, tmp, whileUp = {} }) {
  const result = {};
  for (const n of sizes) {
    const session = startSession(system, { n, mode: 'idle', idleMs: 100, poll: 1 }, tmp);
    try {
      const ready = await session.waitReady(n, 30_000 + n * 500);
      result[n] = round(msBetween(session.running.spawnedNs, ready[n - 1].ns), 1);
      await whileUp[n]?.(session);
    } finally {
      await session.stop();
    }
  }
  return result;
}
