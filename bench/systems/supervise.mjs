/**
 * supervise itself, from the built CLI (dist/cli/supervise.cjs), cold and with `--spares 1`. Features still
 * being built (--spares, HUP reload) are detected at run time, so the rows fill in when they land.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventLog } from '../lib/events.mjs';
import { launch, shutdown } from '../lib/launch.mjs';
import { APPS, CLI, ROOT, workerEnv } from '../lib/paths.mjs';
import { sleep } from '../lib/stats.mjs';

/** The CLI's --help text, or undefined when it is not built. */
function helpText() {
  if (!existsSync(CLI)) return undefined;
  return execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 10_000 });
}

/** Version of the checkout's package. */
function version() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
}

/** Starts the CLI on the shared worker app (`opts.cli`: another build's CLI, for a comparison). */
function start(opts, extra = []) {
  const args = [opts.cli ?? CLI, '--app', join(APPS, 'worker.cjs'), '--workers', String(opts.n), '--poll', String(opts.poll ?? 1), ...extra, ...(opts.args ?? [])];
  return launch(process.execPath, args, { env: workerEnv(opts), dir: opts.dir, name: 'supervise' });
}

/** Whether HUP makes the master log a reload: one worker, one HUP, up to 3 s to see the line. */
async function probeReload(dir) {
  const events = new EventLog(join(dir, 'probe-events'));
  const running = start({ n: 1, mode: 'idle', events: events.file, dir });
  try {
    await events.waitFor((l) => l.of('ready').length > 0, 10_000, 'probe worker ready');
    process.kill(running.pid, 'SIGHUP');
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      if (/reload/i.test(running.log())) return { ok: true };
      if (running.child.exitCode !== null || running.child.signalCode !== null) break;
      await sleep(20);
    }
    return { ok: false, why: 'supervise does not reload on HUP yet (no reload logged; issue 4)' };
  } finally {
    await shutdown(running, { graceMs: 3000, workerPids: events.of('ready').map((e) => e.pid) });
    events.close();
  }
}

/** Builds the supervise system row, cold or with spares. */
function superviseSystem(spares) {
  return {
    id: spares ? 'supervise-spares' : 'supervise',
    label: spares ? 'supervise --spares 1' : 'supervise (cold)',
    supervise: true,
    async probe() {
      const help = helpText();
      if (help === undefined) return { ok: false, why: `${CLI} is missing: run make build` };
      if (spares && !help.includes('--spares')) return { ok: false, why: 'supervise has no --spares option yet (issue 4)' };
      return { ok: true, version: version() };
    },
    start: (opts) => start(opts, spares ? ['--spares', '1'] : []),
    reload: spares
      ? undefined
      : {
          probe: probeReload,
          trigger: async (running) => void process.kill(running.pid, 'SIGHUP'),
        },
  };
}

/** supervise, every worker a cold node start. */
export const supervise = superviseSystem(false);
/** supervise keeping one spare process warm. */
export const superviseSpares = superviseSystem(true);
