/**
 * Starting and stopping one system under test: its master runs with output to a log file in the
 * run's temp dir (never a pipe: workers that outlive the master must not die of EPIPE), every
 * process it leads is tracked, and a stop always ends with SIGKILL of whatever is left, by pid.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { descendants, isAlive, signal, track, waitGone } from './procs.mjs';

/**
 * @typedef {object} Running
 * @property {number} pid            the master's pid
 * @property {bigint} spawnedNs      hrtime just before the spawn
 * @property {Promise<void>} exited  resolves when the master has exited
 * @property {() => string} log      the master's output so far
 */

/** Spawns `command args` as a system's master, output to `<dir>/<name>.log`. */
export function launch(command, args, { env, dir, name, cwd }) {
  const logFile = join(dir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const spawnedNs = process.hrtime.bigint();
  const child = spawn(command, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', out, out] });
  closeSync(out);
  track(child.pid);
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {}); // a missing binary shows as an early exit; probes catch it first
  return { pid: child.pid, child, spawnedNs, exited, log: () => readFileSync(logFile, 'utf8') };
}

/**
 * Stops a system: `stopSignal` to the master, up to `graceMs` for it and its workers to go, then
 * SIGKILL to every process left that it led or that announced itself in `workerPids`.
 */
export async function shutdown(running, { stopSignal = 'SIGTERM', graceMs = 5000, workerPids = [] } = {}) {
  const all = [...new Set([running.pid, ...descendants(running.pid), ...workerPids])];
  for (const pid of all) track(pid);
  signal(running.pid, stopSignal);
  const gone = await waitGone(all, graceMs, 10);
  if (gone === undefined) {
    for (const pid of all) if (isAlive(pid)) signal(pid, 'SIGKILL');
    await waitGone(all, 2000, 10);
  }
  await Promise.race([running.exited, new Promise((r) => setTimeout(r, 1000))]);
}
