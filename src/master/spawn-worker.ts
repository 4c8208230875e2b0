/**
 * How a worker process is started: a fresh `node` running the worker entry, leader of its own
 * process group, with its output inherited (or sent to its log file) and, with --user, its account.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Account } from './account.js';
import type { ResolvedOptions } from '../shared/options.js';
import type { RuntimeConfig } from '../shared/protocol.cjs';
import type { ChildLike } from './worker-handle.js';

/** Where a worker's output goes and whom it runs as, beyond the options. */
export interface SpawnPlacement {
  /** With --log-dir: an open fd of the worker's log file, for its stdout and stderr. */
  readonly outputFd?: number | undefined;
  /** With --user/--group: the account the worker runs as. */
  readonly account?: Account | undefined;
  /** With --listen: the master's fds of the shared sockets, given to the worker as fds 4, 5, … */
  readonly listenFds?: readonly number[] | undefined;
}

/** Starts the process for one id, or (id undefined) a spare that loads the app and waits for one. */
export type SpawnWorker = (id: number | undefined, options: ResolvedOptions, config: RuntimeConfig, placement?: SpawnPlacement) => ChildLike;

/** The worker runtime's file, which every worker process runs (and so must be able to read). */
export const WORKER_ENTRY = fileURLToPath(new URL('../worker/entry.cjs', import.meta.url));

/** Spawns a real worker: a fresh node running the worker entry, leader of its own process group. */
export const spawnWorkerProcess: SpawnWorker = (id, options, config, placement = {}) => {
  const { outputFd, account, listenFds = [] } = placement;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, SUPERVISE_WORKER_ID: id === undefined ? '' : String(id) };
  // The dashboard's secret is the master's: app code (perhaps another user's, with --user) never sees it.
  delete env['SUPERVISE_DASHBOARD_TOKEN'];
  if (account?.name !== undefined) Object.assign(env, { USER: account.name, LOGNAME: account.name, HOME: account.home });
  const output = outputFd ?? 'inherit';
  return spawn(process.execPath, [...options.nodeArgs, WORKER_ENTRY, config.program !== undefined ? '' : options.app, JSON.stringify(config)], {
    cwd: options.cwd,
    env,
    // stdin is nobody's; stdout/stderr are inherited (or a log file) so a worker's output survives the master.
    // With --listen, the shared sockets follow the IPC channel (fd 3) as fds 4, 5, …
    stdio: ['ignore', output, output, 'ipc', ...listenFds],
    // Its own process group: terminal signals reach only the master, which stops workers in order,
    // and a stop can signal the worker's own children with it.
    detached: true,
    ...(account !== undefined && { uid: account.uid, gid: account.gid }),
  });
};
