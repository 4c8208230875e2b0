#!/usr/bin/env node
/**
 * The seed scenario of --concurrency: 256 I/O-bound task loops (each task waits 1 s), run as
 * 256 processes × 1, 16 × 16 and 8 × 32. For each: boot time (start → "master ready"), the pool's
 * memory from `status --json` (PSS summed over master and workers, RSS summed for contrast) and
 * tasks per second over a window. Run it under the bench lock:
 *
 *   flock /work/bench.lock node bench/slots.mjs [--shapes 256x1,16x16,8x32] [--task-ms 1000] [--window 10]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { APPS, CLI } from './lib/paths.mjs';

const { values } = parseArgs({ options: { shapes: { type: 'string', default: '256x1,16x16,8x32' }, 'task-ms': { type: 'string', default: '1000' }, window: { type: 'string', default: '10' } } });
const shapes = values.shapes.split(',').map((s) => s.split('x').map(Number));

/** `supervise status --json` of the master at `socket`. */
function status(socket) {
  const r = spawnSync(process.execPath, [CLI, 'status', '--json', '--control', socket], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const mib = (b) => (b / 1048576).toFixed(0);
const rows = [];
for (const [workers, concurrency] of shapes) {
  const dir = mkdtempSync(join(tmpdir(), 'supervise-slots-'));
  const socket = join(dir, 'control.sock');
  const started = performance.now();
  const master = spawn(process.execPath, [CLI, '--app', join(APPS, 'worker.cjs'), '--workers', String(workers), '--concurrency', String(concurrency), '--control', socket, '--boot-timeout', '300'], {
    env: { ...process.env, BENCH_MODE: 'busy', BENCH_TASK_MS: values['task-ms'] },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const ready = await new Promise((resolve, reject) => {
    master.stderr.on('data', (chunk) => {
      err += chunk;
      if (/master ready/.test(err)) resolve(performance.now() - started);
    });
    master.on('exit', (code) => reject(new Error(`master exited ${code}: ${err.slice(-500)}`)));
  });
  await new Promise((r) => setTimeout(r, 2000)); // every loop in its first task
  const first = status(socket);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(values.window) * 1000));
  const last = status(socket);
  const rate = (last.tasks - first.tasks) / ((performance.now() - t0) / 1000);
  const busy = last.workers.reduce((sum, w) => sum + w.busySlots, 0);
  master.kill('SIGTERM');
  await new Promise((r) => master.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  rows.push({ shape: `${workers}×${concurrency}`, bootMs: ready, pss: last.memory.pssBytes, uss: last.memory.ussBytes, rss: last.memory.rssBytes, rate, busy });
  console.error(`${workers}×${concurrency}: boot ${ready.toFixed(0)} ms, pool PSS ${mib(last.memory.pssBytes)} MiB, ${rate.toFixed(1)} tasks/s, ${busy} busy slots`);
}
const base = rows[0];
console.log(`| shape (processes × slots) | boot ms | pool PSS MiB | pool USS MiB | RSS sum MiB | tasks/s | PSS vs ${base.shape} |`);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.shape} | ${r.bootMs.toFixed(0)} | ${mib(r.pss)} | ${mib(r.uss)} | ${mib(r.rss)} | ${r.rate.toFixed(1)} | ×${(r.pss / base.pss).toFixed(3)} |`);
