#!/usr/bin/env node
/**
 * The worker side of a cold respawn: from spawning the worker runtime (dist/worker/entry.cjs, as
 * the master does, with an IPC channel) to its `ready` message, for one or more builds in
 * interleaved rounds, against the time of `node -e 0` with an IPC channel; medians.
 *
 *   node bench/worker-start.mjs [--rounds 20] [--app bench/apps/worker.cjs] [--dist dist --dist /tmp/before/dist …]
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { APPS, ROOT } from './lib/paths.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' }, app: { type: 'string' }, dist: { type: 'string', multiple: true } } });
const app = resolve(values.app ?? join(APPS, 'worker.cjs'));
const dists = (values.dist ?? [join(ROOT, 'dist')]).map((d) => resolve(d));

/** ms from spawn to the first message matching `ready` (or to exit for node -e 0). */
function once(args) {
  return new Promise((done, fail) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, SUPERVISE_WORKER_ID: '0', BENCH_MODE: 'idle' } });
    const elapsed = () => Number(process.hrtime.bigint() - start) / 1e6;
    child.on('message', (m) => {
      if (m?.type !== 'ready') return;
      const ms = elapsed();
      child.kill('SIGKILL');
      done(ms);
    });
    child.on('exit', (code) => (args[0] === '-e' ? done(elapsed()) : fail(new Error(`worker exited ${code} before ready`))));
  });
}

const commands = [['node -e 0 (ipc)', ['-e', '0']], ...dists.map((d) => [`ready [${d}]`, [join(d, 'worker', 'entry.cjs'), app, '{}']])];
const samples = new Map(commands.map(([name]) => [name, []]));
for (const [, args] of commands) await once(args);
for (let r = 0; r < Number(values.rounds); r++) for (const [name, args] of commands) samples.get(name).push(await once(args));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const floor = median(samples.get('node -e 0 (ipc)'));
console.log(`${values.rounds} interleaved rounds, node ${process.version}, app ${app}; median (min–max) ms, ratio to node -e 0`);
for (const [name, xs] of samples) console.log(`${name.padEnd(50)} ${median(xs).toFixed(1).padStart(7)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})  ×${(median(xs) / floor).toFixed(2)}`);
