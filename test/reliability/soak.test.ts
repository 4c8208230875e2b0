/**
 * Soak (issue 5, point 1): 8 workers, respawned again and again by SIGKILL of a random worker as
 * soon as one is back. After warm-up the master's open fds and RSS stay flat, no zombie child is
 * left, ids stay exactly 0..7, and no id is ever held by two live processes. SOAK_RESPAWNS sets
 * the count (make check: 250; make soak: 10,000).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, killStarted, sleep } from '../helpers.js';
import {
  Master,
  PoolSampler,
  Random,
  describeProcs,
  fdCount,
  heldIds,
  killLeftovers,
  percentile,
  recordFigures,
  rssKiB,
  runMarker,
  runtimeDir,
  seed,
  settleLeftovers,
  size,
  within,
} from './harness.js';

const WORKERS = 8;
const RESPAWNS = size('SOAK_RESPAWNS', 250, 10_000);
const WARMUP = Math.max(50, Math.round(RESPAWNS / 10));
const marker = runMarker('soak');
const run = runtimeDir();

after(() => {
  killStarted();
  killLeftovers(marker);
  run.remove();
});

/** Median of a few readings of the master's fds and RSS once every id is back and ready. */
async function quiescentReading(master: Master): Promise<{ fds: number; rssKiB: number }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const held = heldIds(master.pid);
    const exact = held.size === WORKERS && [...held].every(([id, procs]) => id < WORKERS && procs.length === 1);
    if (exact && master.readyIds().length === WORKERS) break;
    if (Date.now() > deadline) throw new Error(`pool did not settle at ids 0..${WORKERS - 1}: ${JSON.stringify([...held.keys()])}`);
    await sleep(20);
  }
  await sleep(300);
  const fds: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < 5; i++) {
    fds.push(fdCount(master.pid) ?? Number.NaN);
    rss.push(rssKiB(master.pid) ?? Number.NaN);
    await sleep(100);
  }
  return { fds: percentile(fds, 0.5), rssKiB: percentile(rss, 0.5) };
}

describe('soak: respawn by SIGKILL, over and over', () => {
  it(`${WORKERS} workers, ${RESPAWNS} respawns: master fds and RSS flat after warm-up, no zombie, ids exactly 0..${WORKERS - 1}, never one id twice`, async () => {
    const rng = new Random(seed('SOAK_SEED'));
    const context = `(SOAK_SEED=${rng.seed} SOAK_RESPAWNS=${RESPAWNS})`;
    const master = new Master(['--app', fixture('busy.cjs'), '--workers', String(WORKERS), '--poll', '1'], {
      ...marker.env,
      XDG_RUNTIME_DIR: run.dir,
    });
    await master.waitForLine(/master ready/, 30_000);
    const sampler = new PoolSampler(master.pid, () => WORKERS);
    sampler.start();

    // Respawn latency: from our SIGKILL to the id's next `ready` line.
    const killedAt = new Map<number, number>();
    const latencies: number[] = [];
    master.on('line', (line) => {
      const ready = /worker\[(\d+)\] ready$/.exec(line);
      const since = ready !== null ? killedAt.get(Number(ready[1])) : undefined;
      if (since === undefined) return;
      latencies.push(Date.now() - since);
      killedAt.delete(Number(ready![1]));
    });

    let kills = 0;
    const rssSeries: Array<{ respawns: number; rssKiB: number | undefined; fds: number | undefined }> = [];
    const killUntil = async (target: number): Promise<void> => {
      while (kills < target) {
        const ready = master.readyIds();
        if (ready.length === 0) {
          await master.waitForLine(/worker\[\d+\] ready$/, 45_000, master.lines.length);
          continue;
        }
        const id = rng.pick(ready);
        const worker = master.workers.get(id)!;
        worker.ready = false;
        killedAt.set(id, Date.now());
        process.kill(worker.pid, 'SIGKILL');
        kills++;
        if (kills % Math.max(1, Math.round(RESPAWNS / 20)) === 0) rssSeries.push({ respawns: kills, rssKiB: rssKiB(master.pid), fds: fdCount(master.pid) });
        await new Promise((r) => setImmediate(r));
      }
    };

    const began = Date.now();
    await killUntil(WARMUP);
    const warm = await quiescentReading(master);
    const mainBegan = Date.now();
    await killUntil(RESPAWNS);
    const mainMs = Date.now() - mainBegan;
    const end = await quiescentReading(master);
    const figures = await sampler.stop();
    const held = heldIds(master.pid);
    const loggedIds = new Set(master.lines.flatMap((l) => [...l.matchAll(/worker\[(\d+)\]/g)].map((m) => Number(m[1]))));
    const spawned = master.lines.filter((l) => /worker\[\d+\] spawned pid=/.test(l)).length;

    master.child.kill('SIGTERM');
    const exit = await within(master.exited, 30_000, 'no exit within 30 s');
    const left = await settleLeftovers(marker, 5000);

    recordFigures('soak', {
      workers: WORKERS,
      respawns: kills,
      warmupRespawns: WARMUP,
      seed: rng.seed,
      durationMs: Date.now() - began,
      respawnsPerSecond: Math.round(((kills - WARMUP) * 1000) / mainMs),
      respawnLatencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: percentile(latencies, 1) },
      workerProcessesSpawned: spawned,
      masterAtWarmup: warm,
      masterAtEnd: end,
      masterRssKiBMax: figures.masterRssKiBMax,
      masterFdsRange: [figures.masterFdsMin, figures.masterFdsMax],
      rssSeries,
      samples: figures.samples,
      zombiesSeen: figures.zombiesSeen,
      maxZombieMs: figures.maxZombieMs,
      lingeringZombies: figures.lingeringZombies.length,
      doubleHeldIds: figures.doubles.length,
      idsOutOfRange: figures.outOfRange.length,
      idsAtEnd: [...held.keys()].sort((a, b) => a - b),
      exit,
      leftBehind: left.length,
    });

    assert.equal(kills, RESPAWNS);
    assert.deepEqual(figures.doubles, [], `never two live processes for one id ${context}`);
    assert.deepEqual(figures.outOfRange, [], `no id outside 0..${WORKERS - 1} ${context}`);
    assert.deepEqual(figures.lingeringZombies, [], `no zombie child left unreaped ${context}`);
    assert.ok(figures.samples > 20, `sampled /proc ${figures.samples} times`);
    assert.deepEqual([...held.keys()].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7], `ids exactly 0..7 at the end ${context}`);
    assert.deepEqual([...loggedIds].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7], `the log names ids 0..7 only ${context}`);
    assert.ok(spawned >= WORKERS + RESPAWNS, `a process spawned per respawn: ${spawned}`);
    // Flat: one IPC channel per worker, so the quiescent fd count must come back to the same value;
    // RSS may wobble with the garbage collector, but not grow with the respawn count.
    assert.ok(end.fds <= warm.fds + 2, `master fds after warm-up ${warm.fds}, at the end ${end.fds} ${context}`);
    assert.ok(end.rssKiB <= warm.rssKiB + 32 * 1024, `master RSS after warm-up ${warm.rssKiB} KiB, at the end ${end.rssKiB} KiB ${context}`);
    assert.deepEqual(exit, { code: 0, signal: null }, 'TERM stops the master with 0');
    assert.deepEqual(left, [], `nothing left behind: ${describeProcs(left)}`);
  });
});
