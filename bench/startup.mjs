#!/usr/bin/env node
/**
 * Start-up cost of the CLI against `node -e 0`, interleaved so that a busy moment of the machine
 * falls on every command alike: `supervise --version` and `supervise status` (against a live
 * master of one idle worker), each round running every command once, in turn; medians and ratios.
 *
 *   node bench/startup.mjs [--rounds 20] [--cli dist/cli/supervise.cjs] [--cli /tmp/before/dist/cli/main.js …]
 *
 * Each --cli is timed on its own commands in the same rounds (before/after in one run). The master
 * serving `status` is started from the first --cli.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { APPS, CLI } from './lib/paths.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' }, cli: { type: 'string', multiple: true } } });
const rounds = Number(values.rounds);
const clis = (values.cli ?? [CLI]).map((p) => resolve(p));

const dir = mkdtempSync(join(tmpdir(), 'supervise-startup-'));
const socket = join(dir, 'control.sock');
const master = spawn(process.execPath, [clis[0], '--app', join(APPS, 'worker.cjs'), '--workers', '1', '--control', socket, '--quiet'], {
  env: { ...process.env, BENCH_MODE: 'idle' },
  stdio: 'ignore',
});
const deadline = Date.now() + 30_000;
while (!existsSync(socket)) {
  if (Date.now() > deadline) throw new Error('the master never served its control socket');
  await new Promise((r) => setTimeout(r, 20));
}

/** Wall time of one run of `args`, ms; throws if it fails. */
function time(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const commands = [['node -e 0', ['-e', '0']]];
for (const cli of clis) {
  const tag = clis.length > 1 ? ` [${cli}]` : '';
  commands.push([`--version${tag}`, [cli, '--version']], [`status${tag}`, [cli, 'status', '--control', socket]]);
}
const samples = new Map(commands.map(([name]) => [name, []]));
try {
  for (const [, args] of commands) time(args); // warm the page cache
  for (let round = 0; round < rounds; round++) for (const [name, args] of commands) samples.get(name).push(time(args));
} finally {
  master.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const floor = median(samples.get('node -e 0'));
console.log(`${rounds} interleaved rounds, node ${process.version}; median (min–max) ms, ratio to node -e 0`);
for (const [name, xs] of samples) {
  const m = median(xs);
  console.log(`${name.padEnd(clis.length > 1 ? 60 : 12)} ${m.toFixed(1).padStart(7)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})  ×${(m / floor).toFixed(2)}`);
}
