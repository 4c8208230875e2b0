/**
 * The floors every figure is compared with, measured in the same run: a cold `node -e 0` (the
 * least any cold Node worker start can cost) and the RSS of an idle plain node process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { median, round, sleep } from '../lib/stats.mjs';
import { rssMb, signal, track } from '../lib/procs.mjs';

/** Wall time of `node -e 0`, `runs` times; returns the median and the samples in ms. */
export async function measureFloor({ runs = 10 } = {}) {
  const samples = [];
  spawnSync(process.execPath, ['-e', '0']); // warm the page cache once, as a respawn finds it
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore', timeout: 10_000 });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  track(idle.pid);
  await sleep(500);
  const rss = rssMb(idle.pid);
  signal(idle.pid, 'SIGKILL');
  return { nodeColdMs: round(median(samples), 2), nodeColdSamplesMs: samples.map((s) => round(s, 2)), nodeIdleRssMb: round(rss, 1) };
}
