/** What a pool acquires before its first worker, in order: log files, pid file, services, the preloaded app. */
import type { ControlTarget } from '../services/control-server.js';
import type { MetricsTarget } from '../services/metrics-server.js';
import type { DashboardTarget } from '../services/dashboard.js';
import { PoolServices } from '../services/pool-services.js';
import type { LogFiles } from '../shared/log-files.js';
import { Logger } from '../shared/log.js';
import type { ResolvedOptions } from '../shared/options.js';
import type { Launcher } from './launcher.js';
import { acquirePidFile, checkPidFile } from './pid-file.js';
import type { UpgradeHandoff } from './upgrade-handoff.js';

/** The parts of a pool that start-up opens. */
export interface StartParts {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly logFiles: LogFiles | undefined;
  readonly services: PoolServices;
  /** What the control socket and dashboard drive, and the metrics and probes read. */
  readonly pool: ControlTarget & MetricsTarget & DashboardTarget;
  readonly launcher: Launcher;
  /**
   * In an upgrade's new master: the old master may hold the pid file until this one is ready
   * (completeHandoff writes it then), and its control socket is bound aside until then.
   */
  readonly handoff?: UpgradeHandoff | undefined;
}

/**
 * Opens the log files (logging where the rest goes), claims the pid file, logs the start, opens
 * the services asked for and, with --preload, loads the app. Throws or rejects with the first
 * failure (E_LOG, E_PID_FILE, E_CONTROL, E_OPTION, E_APP_LOAD…), the log files closed again; the
 * caller releases the rest. Returns undefined when nothing needs waiting for, so that a pool with
 * neither spawns its ids within start()'s own call and `fork` follows at once.
 */
export function acquireStartParts(parts: StartParts): Promise<void> | undefined {
  const { options, log, logFiles } = parts;
  const { app, workers, preload, pidFile } = options;
  logFiles?.open();
  if (logFiles !== undefined) {
    // The one line left where the operator started us: where the others went.
    new Logger(options.logFormat, options.quiet, options.logStream).info('logs', `logging to ${logFiles.dir} (master.log, worker-<id>.log)`, { dir: logFiles.dir });
  }
  const closeOnFailure = (error: unknown): never => {
    logFiles?.close();
    throw error;
  };
  // The pid file before the first lifecycle line: a --pid-file that cannot be written (a bad
  // value) or that a live master holds is then the one line printed, as for any other bad value.
  try {
    if (pidFile !== undefined && parts.handoff !== undefined) checkPidFile(pidFile, parts.handoff.from);
    else if (pidFile !== undefined) acquirePidFile(pidFile);
  } catch (error) {
    closeOnFailure(error);
  }
  log.info('start', `master starting pid=${process.pid} workers=${workers} app=${app}${preload ? ' preload' : ''}`, { pid: process.pid, workers, app, preload });
  if (!PoolServices.wanted(options) && !preload) return undefined;
  return (async () => {
    if (PoolServices.wanted(options)) await parts.services.open(options, parts.pool, log, parts.handoff && { stageControl: parts.handoff.control !== undefined && parts.handoff.control === options.control });
    if (preload) await parts.launcher.preload(0);
  })().catch(closeOnFailure);
}
