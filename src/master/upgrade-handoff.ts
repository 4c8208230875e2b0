/**
 * The new master's side of an upgrade (see master-upgrade.ts): what the old master passed in
 * SUPERVISE_UPGRADE (its pid, the sockets it hands over, its control socket) and the one line the
 * new master writes back on fd 3: `ready` once its pool is up, or `failed <why>`.
 */
import { closeSync, writeSync } from 'node:fs';
import { firstLine } from '../shared/errors.cjs';
import type { Logger } from '../shared/log.js';
import type { PoolServices } from '../services/pool-services.js';
import { acquirePidFile } from './pid-file.js';
import type { UpgradeHandoff } from './upgrade-types.js';

export type { UpgradeHandoff } from './upgrade-types.js';

/** The variable an old master sets for the new one. (Node cannot know a child's pid before it runs, so no LISTEN_PID: the parent's pid is checked instead.) */
export const UPGRADE_VARIABLE = 'SUPERVISE_UPGRADE';

/** The fd on which the new master reports to the old one: after stdio, before the sockets. */
export const REPORT_FD = 3;

/**
 * The handoff in `env` (removed from it, so that workers never see it), or undefined when there is
 * none, it is malformed, or it was not meant for this process: its `from` is not our parent (a
 * supervise started by a worker of a new master would inherit it otherwise).
 */
export function takeUpgradeHandoff(env: NodeJS.ProcessEnv = process.env, parent = process.ppid): UpgradeHandoff | undefined {
  const text = env[UPGRADE_VARIABLE];
  delete env[UPGRADE_VARIABLE];
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as UpgradeHandoff;
    const listenersOk = Array.isArray(value.listeners) && value.listeners.every((l) => Number.isSafeInteger(l.fd) && (l.asked === undefined || typeof l.asked === 'string'));
    if (value.from !== parent || !listenersOk || (value.control !== undefined && typeof value.control !== 'string')) return undefined;
    return { from: value.from, listeners: value.listeners, ...(value.control !== undefined && { control: value.control }) };
  } catch {
    return undefined;
  }
}

let reported = false;

/**
 * Writes the one report line to the old master and closes the fd: `ready`, or `failed` with the
 * first line of `error`. Never throws: an old master that is gone (EPIPE) has nobody to tell.
 */
export function reportToOldMaster(error?: unknown): void {
  // Once: after the close, fd 3 may be any file this process opens next.
  if (reported) return;
  reported = true;
  try {
    writeSync(REPORT_FD, error === undefined ? 'ready\n' : `failed ${firstLine(error)}\n`);
  } catch {
    // the old master is gone
  }
  try {
    closeSync(REPORT_FD);
  } catch {
    // already closed
  }
}

/**
 * In an upgrade's new master, once its pool is ready: writes the pid file (the old master's until
 * now), then, on the next turn of the event loop (after the CLI's READY=1 and MAINPID= to systemd),
 * tells the old master, which stops, and takes its control socket, dashboard and metrics over.
 */
export function completeHandoff(handoff: UpgradeHandoff, pidFile: string | undefined, services: PoolServices, log: Logger): void {
  try {
    if (pidFile !== undefined) acquirePidFile(pidFile, handoff.from);
  } catch (error) {
    log.error('upgrade', error instanceof Error ? error.message : String(error));
  }
  log.info('upgrade', `took over from the old master pid=${handoff.from}, which now stops gracefully`, { from: handoff.from });
  setImmediate(() => {
    // The control socket at once (renamed over: a `status` after `ctl upgrade` finds this master);
    // the dashboard and metrics once the old master, told next, has freed their ports.
    services.takeOver(log);
    reportToOldMaster();
  });
}
