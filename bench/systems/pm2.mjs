/**
 * pm2 (npm), from bench/node_modules, as pm2-runtime in the foreground (never a daemon), cluster
 * mode with N instances of the shared worker (apps/pm2-worker.cjs). PM2_HOME is the start's temp
 * dir, so nothing touches ~/.pm2 and nothing outlives the run.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../lib/launch.mjs';
import { APPS, BENCH, workerEnv } from '../lib/paths.mjs';
import { isAlive, signal, track } from '../lib/procs.mjs';

const PM2 = join(BENCH, 'node_modules', 'pm2');

/** PM2_HOME for a start. */
function home(dir) {
  return join(dir, 'pm2-home');
}

/** Writes the ecosystem file for one start and returns its path. */
function writeEcosystem(opts) {
  const file = join(opts.dir, 'ecosystem.json');
  const app = {
    name: 'bench',
    script: join(APPS, 'pm2-worker.cjs'),
    instances: opts.n,
    exec_mode: 'cluster',
    autorestart: true,
    // Kills come every few hundred ms per id: without these pm2 would mark the app errored.
    max_restarts: 1_000_000,
    min_uptime: 0,
    restart_delay: 0,
    kill_timeout: 5000,
    out_file: '/dev/null',
    error_file: '/dev/null',
    env: workerEnv(opts),
  };
  writeFileSync(file, JSON.stringify({ apps: [app] }, null, 2));
  return file;
}

/** Runs the pm2 CLI against the runtime's PM2_HOME, bounded; then kills any daemon it may have started. */
export function pm2Cli(running, args) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PM2_HOME: running.pm2Home };
    execFile(process.execPath, [join(PM2, 'bin', 'pm2'), ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      // If the CLI found no runtime to talk to, it spawned a daemon: never leave one around.
      const pidFile = join(running.pm2Home, 'pm2.pid');
      if (existsSync(pidFile)) {
        const daemon = Number(readFileSync(pidFile, 'utf8'));
        if (daemon !== running.pid && isAlive(daemon)) {
          track(daemon);
          signal(daemon, 'SIGKILL');
        }
      }
      if (error) reject(new Error(`pm2 ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The pm2-runtime row. */
export const pm2 = {
  id: 'pm2',
  label: 'pm2-runtime (cluster)',
  async probe() {
    if (!existsSync(join(PM2, 'package.json'))) return { ok: false, why: 'pm2 is not installed: run npm ci --prefix bench (make bench does)' };
    return { ok: true, version: JSON.parse(readFileSync(join(PM2, 'package.json'), 'utf8')).version };
  },
  start(opts) {
    const pm2Home = home(opts.dir);
    mkdirSync(pm2Home, { recursive: true });
    const running = launch(process.execPath, [join(PM2, 'bin', 'pm2-runtime'), 'start', writeEcosystem(opts)], {
      env: { PM2_HOME: pm2Home, PM2_DISABLE_VERSION_CHECK: 'true' },
      dir: opts.dir,
      name: 'pm2-runtime',
    });
    return Object.assign(running, { pm2Home });
  },
  reload: {
    // A pm2 reload of 8 takes over 10 s here: one per run.
    once: true,
    trigger: (running) => pm2Cli(running, ['reload', 'bench']),
  },
};
