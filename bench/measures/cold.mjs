/**
 * Cold start-up side by side: supervise against a minimal cluster primary doing the same
 * respawn-under-id (apps/cluster-primary.cjs) and against the floor, a primary that only spawns
 * plain `node` processes (apps/spawn-primary.cjs), once as it is and once with each child in its
 * own session as supervise's workers are (which, under autogroup scheduling, is worth CPU). In one run, round by round, the order rotated
 * every round: boot of N workers (spawn of the master to the N-th ready) for each N, and cold
 * respawn (SIGKILL of a worker to its replacement ready), the three pools up at once and idle,
 * one kill in each in turn. Reports each system's median with quartiles and range, and its ratio
 * to the floor and to cluster, both medians of the per-round ratios.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readyPids } from '../lib/events.mjs';
import { launch } from '../lib/launch.mjs';
import { APPS, workerEnv } from '../lib/paths.mjs';
import { signal } from '../lib/procs.mjs';
import { median, msBetween, round, sleep, spread } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';

/** The floor as a system row. */
export const spawnFloor = {
  id: 'spawn-floor',
  label: 'floor: plain node spawns',
  start: (opts) => launch(process.execPath, [join(APPS, 'spawn-primary.cjs')], { env: workerEnv(opts), dir: opts.dir, name: 'spawn-floor' }),
};

/** The floor with each child in its own session, as supervise's workers are (see apps/spawn-primary.cjs). */
export const spawnFloorSetsid = {
  id: 'spawn-floor-setsid',
  label: 'floor, each child setsid (as supervise)',
  start: (opts) => launch(process.execPath, [join(APPS, 'spawn-primary.cjs')], { env: { ...workerEnv(opts), BENCH_SETSID: '1' }, dir: opts.dir, name: 'spawn-floor-setsid' }),
};

/** Whether the kernel schedules each session as a group of its own (autogroup). */
function autogroup() {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** `list` rotated left by `k`. */
function rotate(list, k) {
  const n = k % list.length;
  return [...list.slice(n), ...list.slice(0, n)];
}

/** Per-system figures from per-round samples { [id]: number[] } (rounds aligned), with ratios. */
function summarise(samples, ids) {
  const out = {};
  const ratios = (id, base) => {
    const r = samples[id].map((v, i) => v / samples[base][i]).filter(Number.isFinite);
    return r.length === 0 ? undefined : round(median(r), 2);
  };
  for (const id of ids) out[id] = { ...spread(samples[id], 1), vsFloor: ratios(id, 'spawn-floor'), vsCluster: ids.includes('cluster') ? ratios(id, 'cluster') : undefined };
  return out;
}

/** Boots each of `systems` `rounds` times with `n` idle workers, interleaved; returns per-id samples. */
async function boots(systems, n, rounds, tmp) {
  const samples = Object.fromEntries(systems.map((s) => [s.id, []]));
  for (let r = 0; r < rounds; r++) {
    for (const system of rotate(systems, r)) {
      const session = startSession(system, { n, mode: 'idle', idleMs: 100, poll: 1 }, tmp);
      try {
        const ready = await session.waitReady(n, 30_000 + n * 500);
        samples[system.id].push(msBetween(session.running.spawnedNs, ready[n - 1].ns));
      } finally {
        await session.stop();
      }
    }
  }
  return samples;
}

/** The three pools of `workers` up at once; `kills` rounds of one kill in each, in turn. */
async function respawns(systems, workers, kills, settleMs, tmp) {
  const sessions = systems.map((s) => startSession(s, { n: workers, mode: 'idle', idleMs: 100 }, tmp));
  const samples = Object.fromEntries(systems.map((s) => [s.id, []]));
  try {
    const live = new Map();
    for (const s of sessions) live.set(s, [...(await s.waitReady(workers, 60_000))]);
    await sleep(500);
    for (let k = 0; k < kills; k++) {
      for (const s of rotate(sessions, k)) {
        const pool = live.get(s);
        const victim = pool.shift();
        const known = new Set(readyPids(s.events).map((e) => e.pid));
        const killedNs = process.hrtime.bigint();
        signal(victim.pid, 'SIGKILL');
        const fresh = await s.events.waitFor((log) => readyPids(log, killedNs).find((e) => !known.has(e.pid)), 10_000, `a replacement for pid ${victim.pid}`);
        samples[s.system.id].push(msBetween(killedNs, fresh.ns));
        pool.push(fresh);
        await sleep(settleMs);
      }
    }
  } finally {
    for (const s of sessions) await s.stop();
  }
  return samples;
}

/**
 * Runs the comparison for `systems` (supervise and cluster rows; the floor is added first).
 * `rounds` maps N to its boot rounds.
 */
export async function measureCold(systems, { sizes = [4, 32, 128], rounds = { 4: 5, 32: 3, 128: 3 }, kills = 12, workers = 4, settleMs = 150, tmp }) {
  const all = [spawnFloor, spawnFloorSetsid, ...systems];
  const ids = all.map((s) => s.id);
  const boot = {};
  for (const n of sizes) boot[n] = summarise(await boots(all, n, rounds[n] ?? 3, tmp), ids);
  const respawn = summarise(await respawns(all, workers, kills, settleMs, tmp), ids);
  return { systems: all.map((s) => ({ id: s.id, label: s.label })), sizes, rounds, boot, respawn, respawnWorkers: workers, kills, autogroup: autogroup() };
}
