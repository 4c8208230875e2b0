/**
 * Unicorn (Debian package `unicorn`, Ruby) serving apps/config.ru on a Unix socket, with
 * preload_app on or off. Its unit of work is a request, so in busy mode the harness keeps one
 * request in flight per worker (lib/http-driver.mjs); idle workers simply wait for one.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { launch } from '../lib/launch.mjs';
import { APPS, workerEnv } from '../lib/paths.mjs';

/** Installed unicorn's version, or undefined. */
function unicornVersion() {
  try {
    return execFileSync('unicorn', ['-v'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

/** Builds the Unicorn row with preload on or off. */
function unicornSystem(preload) {
  return {
    id: preload ? 'unicorn-preload' : 'unicorn',
    label: preload ? 'Unicorn (preload_app)' : 'Unicorn (no preload)',
    drivenByRequests: true,
    async probe() {
      const version = unicornVersion();
      if (version === undefined) return { ok: false, why: 'unicorn is not installed: make bench-peers installs Debian\'s unicorn' };
      return { ok: true, version };
    },
    start(opts) {
      const socket = join(opts.dir, 'unicorn.sock');
      const env = { ...workerEnv(opts), BENCH_SOCKET: socket, BENCH_PRELOAD: preload ? '1' : '0', RACK_ENV: 'none' };
      const running = launch('unicorn', ['-c', join(APPS, 'unicorn.conf.rb'), join(APPS, 'config.ru')], { env, dir: opts.dir, name: 'unicorn' });
      return Object.assign(running, { socket });
    },
    stopSignal: 'SIGTERM',
    reload: preload
      ? { skip: 'with preload_app, HUP does not load new app code (Unicorn needs USR2+QUIT)' }
      : { trigger: async (running) => void process.kill(running.pid, 'SIGHUP') },
  };
}

/** Unicorn loading the app in each worker. */
export const unicorn = unicornSystem(false);
/** Unicorn loading the app in the master and forking. */
export const unicornPreload = unicornSystem(true);
