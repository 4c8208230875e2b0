'use strict';
/**
 * The floor of boot and cold respawn: a primary that does nothing but spawn N plain `node`
 * processes running the shared loop (standalone.cjs) — no IPC channel, no cluster module — and
 * spawn one again under the same id when it exits. Nothing a supervisor does can cost less.
 * BENCH_SETSID=1: each child in its own session (setsid, Node's `detached`), as supervise spawns
 * its workers. With the kernel's autogroup scheduling on (sched_autogroup_enabled), a session is a
 * scheduling group of its own, so on a busy machine N such children get N shares of the CPU
 * against the other groups' one each: this floor shows how much of a boot that is.
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const script = join(__dirname, 'standalone.cjs');
const detached = process.env.BENCH_SETSID === '1';
/** Spawns the process of `id`, and again whenever it exits. */
function start(id) {
  const child = spawn(process.execPath, [script], { env: { ...process.env, BENCH_ID: String(id) }, stdio: 'ignore', detached });
  child.on('exit', () => start(id));
}
for (let id = 0; id < Number(process.env.BENCH_WORKERS); id++) start(id);
// On SIGTERM the children get it too (the harness signals every descendant), and this exits.
process.on('SIGTERM', () => process.exit(0));
