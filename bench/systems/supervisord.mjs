/**
 * supervisord (Debian package `supervisor`) in the foreground, one [program] with numprocs=N
 * running the shared worker as a plain program (apps/standalone.cjs).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../lib/launch.mjs';
import { APPS, workerEnv } from '../lib/paths.mjs';

/** Writes the config for one start and returns its path. */
function writeConfig(opts) {
  const file = join(opts.dir, 'supervisord.conf');
  writeFileSync(
    file,
    [
      '[supervisord]',
      'nodaemon=true',
      `logfile=${join(opts.dir, 'supervisord-main.log')}`,
      `pidfile=${join(opts.dir, 'supervisord.pid')}`,
      `childlogdir=${opts.dir}`,
      'loglevel=warn',
      '',
      '[program:w]',
      `command=${process.execPath} ${join(APPS, 'standalone.cjs')}`,
      'process_name=w_%(process_num)d',
      `numprocs=${opts.n}`,
      'numprocs_start=0',
      // The rest of the workers' env is inherited from supervisord's own.
      'environment=BENCH_ID="%(process_num)d"',
      'autorestart=true',
      'startsecs=0',
      'startretries=1000000',
      'stopsignal=TERM',
      'stopwaitsecs=5',
      'stdout_logfile=NONE',
      'stderr_logfile=NONE',
      '',
    ].join('\n'),
  );
  return file;
}

/** The supervisord row. */
export const supervisord = {
  id: 'supervisord',
  label: 'supervisord',
  async probe() {
    try {
      const v = execFileSync('supervisord', ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
      return { ok: true, version: v };
    } catch {
      return { ok: false, why: 'supervisord is not installed: make bench-peers installs Debian\'s supervisor' };
    }
  },
  start: (opts) => launch('supervisord', ['-n', '-c', writeConfig(opts)], { env: workerEnv(opts), dir: opts.dir, name: 'supervisord' }),
  reload: { skip: 'supervisord restarts programs (stop, then start) rather than reloading them' },
};
