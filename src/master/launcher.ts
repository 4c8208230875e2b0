/** Starts worker processes for the pool and routes their output: the preloaded app's beforeFork, spawn, log file per id, the group sweep after exit. */
import { closeSync } from 'node:fs';
import { loadApp, type App } from '../shared/app-loader.cjs';
import { firstLine } from '../shared/errors.cjs';
import { workerLogName, type LogFiles } from '../shared/log-files.js';
import type { Logger } from '../shared/log.js';
import type { RuntimeConfig } from '../shared/protocol.cjs';
import type { Account } from './account.js';
import type { Listeners } from './listeners.js';
import type { PoolState } from './pool-state.js';
import { workerLimits } from './hang-watch.js';
import { describeSpawnError } from './spawn-error.js';
import type { SpawnWorker } from './spawn-worker.js';
import { WorkerHandle, type ChildLike, type SignalGroup } from './worker-handle.js';

/** How often log files are checked against --log-max-bytes. */
export const LOG_CHECK_MS = 1000;

/** What every launch of one pool shares. */
export interface LaunchSetup {
  /** The limits in force, the runtime settings every worker gets (grace, heartbeat) and the size (a program's SUPERVISE_WORKERS). */
  readonly pool: PoolState;
  readonly log: Logger;
  readonly logFiles: LogFiles | undefined;
  readonly account: Account | undefined;
  readonly spawnWorker: SpawnWorker;
  readonly signalGroup: SignalGroup;
  /** With --listen: the shared sockets every process inherits. */
  readonly listeners?: Listeners;
}

/** Spawns the pool's processes; tracks each exited one until its process group is empty. */
export class Launcher {
  readonly #setup: LaunchSetup;
  /** Exited processes whose own children (their process group) are still being ended. */
  readonly #sweeps = new Set<Promise<void>>();

  /** Why the last spawn that threw at once failed, in words (see describeSpawnError). */
  lastSpawnError: string | undefined;

  /** With --preload: the app as loaded in the master, for beforeFork. */
  #app: App | undefined;

  constructor(setup: LaunchSetup) {
    this.#setup = setup;
  }

  /** Loads the app (of code `generation`) in this process, for beforeFork; rejects as loadApp does. */
  async preload(generation: number): Promise<void> {
    this.#app = await loadApp(this.#setup.pool.options.app, generation, (this.#setup.listeners?.fds.length ?? 0) > 0);
  }

  /** Runs the preloaded app's beforeFork(id) in this process; its failure is logged, never fatal. */
  beforeFork(id: number): void {
    if (this.#app?.beforeFork === undefined) return;
    try {
      this.#app.beforeFork(id);
    } catch (error) {
      this.#setup.log.error('beforeFork', `worker[${id}] beforeFork threw in the master: ${firstLine(error)}`, { worker: id });
    }
  }

  /** Resolves once no exited process has a child left in its group. */
  settled(): Promise<void> {
    return Promise.all(this.#sweeps).then(() => undefined);
  }

  /** Spawns a process for `id` (or a spare, id undefined) of code `generation`; undefined if the OS refused. */
  spawn(id: number | undefined, generation: number, paused: boolean): WorkerHandle | undefined {
    const { log, logFiles, account } = this.#setup;
    const { options, runtime } = this.#setup.pool;
    const name = id === undefined ? 'spare' : `worker[${id}]`;
    log.info('spawning', `${name} spawning`, { worker: id });
    if (id !== undefined) this.beforeFork(id);
    const config: RuntimeConfig = {
      ...runtime,
      ...(id !== undefined && { limits: workerLimits(options.maxTasks, options.maxRss), paused }),
      ...(logFiles !== undefined && { logFile: logFiles.path(workerLogName(id)) }),
      ...(runtime.program !== undefined && { program: { ...runtime.program, workers: this.#setup.pool.size } }),
      ...(this.#setup.listeners !== undefined && this.#setup.listeners.fds.length > 0 && { listeners: this.#setup.listeners.configs }),
    };
    let child: ChildLike;
    let outputFd: number | undefined;
    try {
      outputFd = logFiles?.openForWorker(workerLogName(id));
      child = this.#setup.spawnWorker(id, options, config, { outputFd, account, listenFds: this.#setup.listeners?.fds });
    } catch (error) {
      this.lastSpawnError = error instanceof Error ? describeSpawnError(error) : firstLine(error);
      log.error('spawn', `${name} could not be spawned: ${this.lastSpawnError}`, { worker: id });
      return undefined;
    } finally {
      // The child has its own copy of the fd now.
      if (outputFd !== undefined) closeSync(outputFd);
    }
    const handle = new WorkerHandle(id, child, this.#setup.signalGroup, generation, options.grace * 1000);
    if (handle.pid !== undefined) log.info('spawned', `${name} spawned pid=${handle.pid}`, { worker: id, pid: handle.pid });
    handle.on('exit', () => {
      const sweep = handle.groupGone;
      this.#sweeps.add(sweep);
      void sweep.then(() => this.#sweeps.delete(sweep));
    });
    handle.on('orphans', () => {
      const who = handle.id !== undefined ? `worker[${handle.id}]` : 'spare';
      log.error('orphans', `${who} pid=${handle.pid} exited, but processes of its group ignored SIGTERM for ${options.grace}s: SIGKILL`, { worker: handle.id, pid: handle.pid });
    });
    return handle;
  }

  /** With --log-dir: the log file of `id`'s worker, ready for a process taking the id; else undefined. */
  logFileFor(id: number): string | undefined {
    const { logFiles: files, log } = this.#setup;
    if (files === undefined) return undefined;
    const name = workerLogName(id);
    try {
      files.prepareForWorker(name);
    } catch (error) {
      log.error('logs', `cannot open ${files.path(name)}: ${firstLine(error)}`, { worker: id });
    }
    return files.path(name);
  }

  /** Rotates log files past --log-max-bytes; the processes writing a rotated file move to the new one. */
  rotateLogs(live: readonly WorkerHandle[]): void {
    const files = this.#setup.logFiles;
    if (files === undefined) return;
    const rotated = new Set(files.rotateOversized(live.map((h) => workerLogName(h.id))));
    for (const handle of live) {
      const name = workerLogName(handle.id);
      if (rotated.has(name)) handle.reopenLogs(files.path(name));
    }
  }

  /** Reopens master.log and has every process in `live` reopen its own file (USR2, after logrotate). */
  reopenLogs(live: readonly WorkerHandle[]): void {
    const { logFiles: files, log } = this.#setup;
    if (files === undefined) return;
    try {
      files.reopenMaster();
    } catch (error) {
      log.error('logs', `cannot reopen ${files.dir}/master.log: ${firstLine(error)}`);
    }
    for (const handle of live) handle.reopenLogs(files.path(workerLogName(handle.id)));
    log.info('logs', `log files reopened in ${files.dir}`);
  }
}
