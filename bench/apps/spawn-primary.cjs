'use strict';
/**
 * The floor of boot and cold respawn: a primary that does nothing but spawn N plain `node`
 * processes running the shared loop (standalone.cjs) — no IPC channel, no cluster module — and
 * spawn one again under the same id when it exits. Nothing a supervisor does can cost less.
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const script = join(__dirname, 'standalone.cjs');
/** Spawns the process of `id`, and again whenever it exits. */
function start(id) {
  const child = spawn(process.execPath, [script], { env: { ...process.env, BENCH_ID: String(id) }, stdio: 'ignore' });
  child.on('exit', () => start(id));
}
for (let id = 0; id < Number(process.env.BENCH_WORKERS); id++) start(id);
// On SIGTERM the children get it too (the harness signals every descendant), and this exits.
process.on('SIGTERM', () => process.exit(0));
