/**
 * The master: a slot per id, each holding at most one live worker; respawn on exit with per-id
 * backoff, a poll sweep as backstop, scaling, and stopping. Signals are not handled here (see
 * signals.ts); the CLI and embedders drive this class through its methods.
 */
import { closeSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { onExit } from 'signal-exit';
import { resolveAccount, type Account } from './account.js';
import { loadApp, type App } from './app-loader.cjs';
import { backoffDelay, isEarlyFailure } from './backoff.js';
import { ErrorCode, SuperviseError, firstLine } from './errors.cjs';
import { bootHangReason, hangReason, heartbeatInterval, watchInterval, workerLimits } from './hang-watch.js';
import { Histogram, RESPAWN_SECONDS_BOUNDS, TASK_SECONDS_BOUNDS, sumHistograms } from './histogram.cjs';
import { LogFiles, workerLogName } from './log-files.js';
import { Logger, trace } from './log.js';
import { integerOption, resolveOptions, type ResolvedOptions, type SupervisorOptions } from './options.js';
import { PoolServices } from './pool-services.js';
import { acquirePidFile, releasePidFile } from './pid-file.js';
import type { LastExit, PoolStatus, WorkerStatus } from './pool-status.js';
import { CpuMeter, readProcessStats } from './process-stats.js';
import type { FailedMessage, RuntimeConfig } from './protocol.cjs';
import { installSignalHandlers } from './signals.js';
import type { StopOptions, SupervisorEvents, SupervisorState, WorkerInfo } from './supervisor-types.js';
import { SparePool } from './spare-pool.js';
import { spawnWorkerProcess, type SpawnWorker } from './spawn-worker.js';
import { describeFailure, workerFailure } from './worker-failure.js';
import { WorkerHandle, signalProcessGroup, type ChildLike, type SignalGroup, type WorkerExit } from './worker-handle.js';

export type { SpawnPlacement, SpawnWorker } from './spawn-worker.js';
export type { SlotState, StopOptions, SupervisorEvents, SupervisorState, WorkerFailure, WorkerInfo } from './supervisor-types.js';

/** Seams for unit tests; not part of the public contract. @internal */
export interface SupervisorInternals {
  readonly spawnWorker?: SpawnWorker;
  readonly signalGroup?: SignalGroup;
}

/** What the pool keeps per id. */
interface Slot {
  readonly id: number;
  handle: WorkerHandle | undefined;
  restarts: number;
  failures: number;
  retryTimer: NodeJS.Timeout | undefined;
  /** A reload is moving this id to a new process: its exit must not trigger a respawn. */
  handingOver: boolean;
  /** Tasks done by this id's earlier processes. */
  tasksBefore: number;
  lastExit: LastExit | undefined;
  /** Epoch ms of the exit a respawn is replacing, until the replacement is ready. */
  respawnFrom: number | undefined;
}

/** How long `status()` waits for busy workers to report their counters. */
const STATUS_REPLY_MS = 250;
/** How often log files are checked against --log-max-bytes. */
const LOG_CHECK_MS = 1000;

/**
 * A preforking pool: keeps `workers` processes alive, each with a stable id, each calling the app's
 * `workerStart(id, ctx)` in a loop. Construct, attach listeners, then `await start()`.
 *
 * @example
 * const sv = new Supervisor({ app: './app.js', workers: 4 });
 * sv.on('exit', (w, e) => console.log(`worker ${w.id} exited`, e));
 * await sv.start();
 * // …
 * await sv.stop({ graceful: true });
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly #options: ResolvedOptions;
  readonly #log: Logger;
  readonly #spawnWorker: SpawnWorker;
  readonly #signalGroup: SignalGroup;
  readonly #runtime: RuntimeConfig;
  readonly #slots = new Map<number, Slot>();
  readonly #spares: SparePool;
  /** Processes holding no id that load the new code of a reload. */
  readonly #candidates = new Set<WorkerHandle>();
  readonly #waiters = new Set<() => void>();
  /** Exited processes whose own children (their process group) are still being ended. */
  readonly #sweeps = new Set<Promise<void>>();
  #state: SupervisorState = 'idle';
  #target: number;
  #generation = 0;
  #app: App | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #hangTimer: NodeJS.Timeout | undefined;
  #startFailure: SuperviseError | undefined;
  #queue: Promise<void> = Promise.resolve();
  #queuedReload: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #stopGraceful = false;
  #removeExitHook: (() => void) | undefined;
  #removeSignalHandlers: (() => void) | undefined;
  readonly #account: Account | undefined;
  readonly #logFiles: LogFiles | undefined;
  #logTimer: NodeJS.Timeout | undefined;
  readonly #services = new PoolServices();
  #paused = false;
  #startedAt: Date | undefined;
  /** Tasks and task durations of processes that have exited. */
  #tasksGone = 0;
  readonly #durationsGone = new Histogram(TASK_SECONDS_BOUNDS);
  readonly #respawnSeconds = new Histogram(RESPAWN_SECONDS_BOUNDS);
  readonly #cpu = new CpuMeter();

  /**
   * Validates `options` at once: throws SuperviseError E_OPTION (quoting the bad value, or naming
   * a `user`/`group` that does not exist or a master that is not root) or E_APP_NOT_FOUND. Starts
   * nothing; call `start()`.
   */
  constructor(options: SupervisorOptions, internals: SupervisorInternals = {}) {
    super();
    this.#options = resolveOptions(options);
    this.#target = this.#options.workers;
    const { logDir, logMaxBytes, logBackups, user, group } = this.#options;
    this.#account = resolveAccount(user, group);
    this.#logFiles = logDir !== undefined ? new LogFiles(logDir, logMaxBytes, logBackups, this.#account) : undefined;
    this.#log = new Logger(this.#options.logFormat, this.#options.quiet, this.#logFiles?.masterStream ?? this.#options.logStream);
    this.#spawnWorker = internals.spawnWorker ?? spawnWorkerProcess;
    this.#signalGroup = internals.signalGroup ?? signalProcessGroup;
    const { timeout } = this.#options;
    const graceMs = this.#graceMs();
    this.#runtime = timeout !== undefined ? { graceMs, heartbeatMs: heartbeatInterval(timeout) } : { graceMs };
    const host = { spawn: () => this.#spawnProcess(undefined), running: () => this.#state === 'running', generation: () => this.#generation };
    this.#spares = new SparePool(this.#options.spares, this.#options.poll * 1000, host, this.#log);
  }

  /** The pool's own state. */
  get state(): SupervisorState {
    return this.#state;
  }

  /** How many workers the pool keeps (changes with `scale`). */
  get size(): number {
    return this.#target;
  }

  /** How many warm spares are loaded and waiting for an id right now. */
  get readySpares(): number {
    return this.#spares.ready;
  }

  /** True between `pause()` and `resume()`: workers hold between tasks. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The options in force, defaults applied and `app` absolute. */
  get options(): ResolvedOptions {
    return this.#options;
  }

  /** With `dashboard`, once started: the URL it is served at (its port resolved when 0 was asked for). */
  get dashboardUrl(): string | undefined {
    return this.#services.dashboardUrl;
  }

  /** With `metrics`, once started: the URL of the metrics (its port resolved when 0 was asked for). */
  get metricsUrl(): string | undefined {
    return this.#services.metricsUrl;
  }

  /** One entry per id the pool holds (retiring ids included until they exit), sorted by id. */
  get workers(): WorkerInfo[] {
    return [...this.#slots.values()].sort((a, b) => a.id - b.id).map((slot) => this.#info(slot, slot.handle));
  }

  /**
   * Starts the pool: (with `pidFile`) claims the pid file, (with `preload`) loads the app in this
   * process, then spawns ids 0..N-1, and spares once those are ready. Resolves when every worker has
   * loaded the app and run afterFork. Rejects with SuperviseError E_APP_LOAD or E_APP_EXPORTS if
   * the app cannot load (no task has run; every process is stopped), E_PID_FILE, E_LOG (the log
   * directory), E_CONTROL (the control socket), E_OPTION (the dashboard or metrics address cannot be bound), E_STOPPED if `stop()` came first, E_STATE if
   * called twice.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new SuperviseError(ErrorCode.STATE, `start() called on a supervisor that is ${this.#state}`);
    this.#state = 'starting';
    this.#startedAt = new Date();
    const { app, workers, poll, preload, pidFile } = this.#options;
    try {
      this.#logFiles?.open();
    } catch (error) {
      this.#finish();
      throw error;
    }
    if (this.#logFiles !== undefined) {
      // The one line left where the operator started us: where the others went.
      new Logger(this.#options.logFormat, this.#options.quiet, this.#options.logStream).info('logs', `logging to ${this.#logFiles.dir} (master.log, worker-<id>.log)`, { dir: this.#logFiles.dir });
    }
    this.#log.info('start', `master starting pid=${process.pid} workers=${workers} app=${app}${preload ? ' preload' : ''}`, {
      pid: process.pid,
      workers,
      app,
      preload,
    });
    try {
      if (pidFile !== undefined) acquirePidFile(pidFile);
      // Awaited only when asked for: otherwise the ids spawn within start()'s own call, so `fork` follows at once.
      if (PoolServices.wanted(this.#options)) await this.#services.open(this.#options, this, this.#log);
      if (preload) this.#app = await loadApp(app);
    } catch (error) {
      this.#finish();
      this.#logFiles?.close();
      throw error;
    }
    if (this.#state !== 'starting') throw this.#stoppedError('start');
    if (this.#options.handleSignals) this.#removeSignalHandlers ??= installSignalHandlers(this);
    this.#removeExitHook = onExit(() => this.#cleanUpOnExit(), { alwaysLast: true });
    this.#pollTimer = setInterval(() => this.#sweep(), poll * 1000);
    const watchMs = watchInterval(this.#runtime.heartbeatMs, this.#options.bootTimeout);
    if (watchMs !== undefined) this.#hangTimer = setInterval(() => this.#killHung(), watchMs);
    if (this.#logFiles !== undefined) this.#logTimer = setInterval(() => this.#rotateLogs(), LOG_CHECK_MS).unref();
    for (let id = 0; id < this.#target; id++) this.#fill(this.#slot(id));
    try {
      await this.#until('start', () => this.#startFailure ?? this.#converged());
    } catch (error) {
      if (this.#startFailure !== undefined) await this.stop();
      throw error;
    }
    this.#state = 'running';
    this.#log.info('ready', `master ready pid=${process.pid} workers=${this.#target}`, { pid: process.pid, workers: this.#target });
    this.#spares.topUp();
  }

  /**
   * Changes the pool size to `n` (a whole number ≥ 0): new ids are spawned at once; the highest
   * ids retire after their current task. Resolves when every id below `n` is running and every id
   * at or above it has exited; rejects with E_STOPPED if the pool stops first, E_OPTION for a bad `n`.
   */
  scale(n: number): Promise<void> {
    let size: number;
    try {
      size = integerOption('workers', n, this.#target, 0);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#state !== 'running' && this.#state !== 'starting') return Promise.reject(this.#stoppedError('scale'));
    if (size !== this.#target) this.#log.info('scale', `scaling from ${this.#target} to ${size} workers`, { from: this.#target, to: size });
    this.#target = size;
    for (const slot of this.#slots.values()) {
      if (slot.id < size) continue;
      clearTimeout(slot.retryTimer);
      slot.retryTimer = undefined;
      if (slot.handle === undefined) this.#slots.delete(slot.id);
      else slot.handle.stop(true, this.#graceMs());
    }
    this.#sweep();
    return this.#until('scale', () => this.#converged());
  }

  /**
   * Rolling reload (HUP): new processes load the app from disk first; only when one is loaded does
   * an old worker finish its current task and hand its id over, one id at a time, so at no instant
   * do two processes hold an id and at least N-1 workers run tasks throughout. Resolves when every
   * id runs the new code. If the new code fails to load, the reload is abandoned, the old workers
   * keep running, and it rejects with E_RELOAD. A reload asked for while one runs is queued (and
   * shared with any other asked for meanwhile).
   */
  reload(): Promise<void> {
    if (this.#state !== 'running') return Promise.reject(this.#stoppedError('reload'));
    this.#queuedReload ??= this.#enqueue(() => {
      this.#queuedReload = undefined;
      return this.#reload();
    });
    return this.#queuedReload;
  }

  /**
   * Stops the pool (see StopOptions for graceful vs quick). Resolves when every worker has exited.
   * Calling it again while a stop is under way never slows it: graceful becomes quick, and a second
   * quick stop SIGKILLs every worker at once.
   */
  stop(options: StopOptions = {}): Promise<void> {
    const graceful = options.graceful ?? false;
    if (this.#stopping !== undefined) {
      this.#escalate(graceful);
      return this.#stopping;
    }
    this.#stopping = this.#stopAll(graceful);
    return this.#stopping;
  }

  /**
   * Pauses the pool (Unicorn's WINCH): every worker finishes its current task and then holds, the
   * master and the processes stay up; workers spawned meanwhile (respawns, scaling, reloads) hold
   * too. Resolves once every worker holds (or `resume()` came first); rejects with E_STOPPED if
   * the pool stops first.
   */
  pause(): Promise<void> {
    if (!this.#active()) return Promise.reject(this.#stoppedError('pause'));
    if (!this.#paused) {
      this.#paused = true;
      this.#log.info('pause', `pausing: workers hold after their current task`);
      for (const handle of this.#heldHandles()) handle.setPaused(true);
    }
    return this.#until('pause', () => !this.#paused || this.#heldHandles().every((h) => h.holding || h.state === 'stopping'));
  }

  /** Ends a pause: every worker starts tasks again. Resolves at once (E_STOPPED if the pool is stopping). */
  resume(): Promise<void> {
    if (!this.#active()) return Promise.reject(this.#stoppedError('resume'));
    if (this.#paused) {
      this.#paused = false;
      this.#log.info('resume', `resuming: workers start tasks again`);
      for (const handle of this.#heldHandles()) handle.setPaused(false);
    }
    this.#notify();
    return Promise.resolve();
  }

  /**
   * A snapshot of the pool: per id its process, state, uptime, tasks, restarts, last exit, RSS
   * and CPU %, plus totals and the task-duration and respawn-latency histograms. Asks every
   * worker for its counters first, waiting at most a quarter second for busy ones.
   */
  async status(): Promise<PoolStatus> {
    await Promise.all(this.#heldHandles().map((handle) => handle.refresh(STATUS_REPLY_MS)));
    const now = Date.now();
    const slots = [...this.#slots.values()].sort((a, b) => a.id - b.id);
    const workers = slots.map((slot) => this.#workerStatus(slot, now));
    const live = this.#liveHandles();
    this.#cpu.retain(new Set([process.pid, ...live.flatMap((h) => (h.pid !== undefined ? [h.pid] : []))]));
    const self = readProcessStats(process.pid);
    return {
      pid: process.pid,
      state: this.#state,
      size: this.#target,
      paused: this.#paused,
      startedAt: this.#startedAt,
      spares: this.readySpares,
      restarts: slots.reduce((sum, slot) => sum + slot.restarts, 0),
      tasks: this.#tasksGone + live.reduce((sum, h) => sum + h.tasks, 0),
      workers,
      master: {
        rssBytes: self?.rssBytes,
        cpuPercent: self && this.#cpu.percent(process.pid, self, this.#startedAt?.getTime() ?? now, now),
      },
      taskSeconds: sumHistograms(TASK_SECONDS_BOUNDS, [this.#durationsGone.snapshot(), ...live.map((h) => h.durations)]),
      respawnSeconds: this.#respawnSeconds.snapshot(),
    };
  }

  /**
   * With `logDir`: reopens master.log and has every worker reopen its file (after an external
   * logrotate moved them; USR2 does this). Without it, does nothing.
   */
  reopenLogs(): void {
    const files = this.#logFiles;
    if (files === undefined) return;
    try {
      files.reopenMaster();
    } catch (error) {
      this.#log.error('logs', `cannot reopen ${files.dir}/master.log: ${firstLine(error)}`);
    }
    for (const handle of this.#liveHandles()) handle.reopenLogs(files.path(workerLogName(handle.id)));
    this.#log.info('logs', `log files reopened in ${files.dir}`);
  }

  /**
   * Installs the CLI's signal handlers on this process (TERM/INT quick stop, QUIT graceful stop,
   * HUP reload, TTIN/TTOU scale by one); a stop they trigger ends the process with code 0. Returns
   * a function that removes them. `handleSignals: true` does this at start.
   */
  handleSignals(): () => void {
    this.#removeSignalHandlers ??= installSignalHandlers(this);
    return this.#removeSignalHandlers;
  }

  /** Runs `operation` after every operation queued before it (reloads never interleave). */
  #enqueue(operation: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(operation);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #reload(): Promise<void> {
    if (this.#state !== 'running') throw this.#stoppedError('reload');
    const began = performance.now();
    const generation = this.#generation + 1;
    this.#log.info('reload', `reloading ${this.#target} workers`, { workers: this.#target });
    try {
      if (this.#options.preload) this.#app = await loadApp(this.#options.app, generation);
    } catch (error) {
      throw this.#abandonReload(error);
    }
    this.#generation = generation;
    this.#spares.retireStale(this.#graceMs());
    // Every new process starts loading now, so later ids are ready by the time their turn comes.
    const candidates = Array.from({ length: this.#target }, () => this.#spawnCandidate());
    try {
      for (const [id, candidate] of candidates.entries()) {
        if (candidate === undefined || id >= this.#target) continue;
        try {
          await this.#until('reload', () => candidate.state === 'spare' || this.#candidateFailure(candidate));
        } catch (error) {
          throw this.#state === 'running' ? this.#abandonReload(error, id) : error;
        }
        await this.#handOver(this.#slot(id), candidate);
      }
    } finally {
      for (const candidate of this.#candidates) candidate.stop(false, this.#graceMs());
    }
    this.#spares.topUp();
    const ms = Math.round(performance.now() - began);
    this.#log.info('reloaded', `reload done: ${this.#target} workers on new code in ${ms} ms`, { workers: this.#target, ms });
    this.emit('reload');
  }

  /** Logs an abandoned reload and returns its error; ids already handed over keep the new code. */
  #abandonReload(error: unknown, movedIds = 0): SuperviseError {
    const message = `reload abandoned: ${firstLine(error)}; ${movedIds === 0 ? 'every worker keeps the old code' : `${movedIds} ids moved, the rest keep the old code`}`;
    this.#log.error('reload', message);
    return new SuperviseError(ErrorCode.RELOAD, message, { cause: error });
  }

  /** A candidate that exited before it loaded, as the error to abandon the reload with; else false. */
  #candidateFailure(candidate: WorkerHandle): SuperviseError | false {
    if (candidate.state !== 'exited') return false;
    const failure = candidate.failure;
    return new SuperviseError(failure?.code === ErrorCode.APP_EXPORTS ? ErrorCode.APP_EXPORTS : ErrorCode.APP_LOAD, failure?.message ?? `the new process ${candidate.killReason ?? 'exited before it loaded the app'}`);
  }

  /** Moves `slot` from its old process to `candidate`: the old one finishes its task and exits first. */
  async #handOver(slot: Slot, candidate: WorkerHandle): Promise<void> {
    const old = slot.handle;
    if (old !== undefined && old.generation < this.#generation) {
      slot.handingOver = true;
      old.stop(true, this.#graceMs());
      try {
        await this.#until('reload', () => old.state === 'exited');
      } finally {
        slot.handingOver = false;
      }
    }
    this.#candidates.delete(candidate);
    if (slot.handle !== undefined || slot.id >= this.#target) {
      // A respawn or a scale got there first: that process already runs the new code.
      candidate.stop(false, this.#graceMs());
      return;
    }
    clearTimeout(slot.retryTimer);
    slot.retryTimer = undefined;
    this.#assign(slot, candidate, 'handed to new process');
    // Ready is what counts, or the id retiring meanwhile (a TTOU): its new process then leaves
    // without a task, perhaps before ready, which is no failure of the new code.
    const retired = (): boolean => candidate.state === 'exited' && slot.id >= this.#target;
    await this.#until('reload', () => candidate.readyAt !== undefined || retired() || this.#abandonedAt(slot, candidate));
  }

  /** Error ending a reload when the new process for `slot` died before it was ready; else false. */
  #abandonedAt(slot: Slot, candidate: WorkerHandle): SuperviseError | false {
    if (candidate.state !== 'exited') return false;
    return this.#abandonReload(new Error(`worker[${slot.id}] ${candidate.failure ? describeFailure(candidate.failure) : (candidate.killReason ?? 'exited before it was ready')} with the new code`), slot.id);
  }

  async #stopAll(graceful: boolean): Promise<void> {
    const previous = this.#state;
    this.#state = 'stopping';
    this.#stopGraceful = graceful;
    this.#clearTimers();
    this.#notify();
    const handles = this.#liveHandles();
    if (previous !== 'idle') {
      this.#log.info('stop', `master stopping (${graceful ? 'graceful: tasks finish' : `quick: grace ${this.#options.grace}s`}) workers=${handles.length}`, {
        graceful,
        workers: handles.length,
      });
    }
    for (const handle of handles) handle.stop(graceful, this.#graceMs());
    await Promise.all(handles.map((handle) => handle.exited));
    // The pool is stopped only when no worker's child is left either.
    await Promise.all(this.#sweeps);
    this.#finish();
    if (previous !== 'idle') this.#log.info('stopped', `master stopped`);
    this.#logFiles?.close(); // after the last line
    this.emit('stop');
  }

  /** Makes a stop under way quicker: graceful → quick, quick → SIGKILL now. */
  #escalate(graceful: boolean): void {
    if (graceful || this.#state !== 'stopping') return;
    if (this.#stopGraceful) {
      this.#stopGraceful = false;
      this.#log.info('stop', `master stopping quickly now (grace ${this.#options.grace}s)`);
      for (const handle of this.#liveHandles()) handle.stop(false, this.#graceMs());
    } else {
      this.#log.info('stop', 'master killing every worker now');
      for (const handle of this.#liveHandles()) handle.kill();
    }
  }

  #clearTimers(): void {
    clearInterval(this.#pollTimer);
    clearInterval(this.#logTimer);
    clearInterval(this.#hangTimer);
    this.#spares.clearTimer();
    for (const slot of this.#slots.values()) {
      clearTimeout(slot.retryTimer);
      slot.retryTimer = undefined;
    }
  }

  /** Releases everything that keeps this process alive or hooked. */
  #finish(): void {
    this.#state = 'stopped';
    this.#clearTimers();
    this.#services.close();
    if (this.#options.pidFile !== undefined) releasePidFile(this.#options.pidFile);
    this.#removeExitHook?.();
    this.#removeSignalHandlers?.();
  }

  /** Last resort when the host process exits with workers still alive: quick-stop them, drop the pid file. */
  #cleanUpOnExit(): void {
    for (const handle of this.#liveHandles()) handle.signal('SIGTERM');
    this.#services.close();
    if (this.#options.pidFile !== undefined) releasePidFile(this.#options.pidFile);
  }

  #graceMs(): number {
    return this.#options.grace * 1000;
  }

  #liveHandles(): WorkerHandle[] {
    const held = [...this.#slots.values()].flatMap((slot) => (slot.handle ? [slot.handle] : []));
    return [...held, ...this.#spares.handles, ...this.#candidates].filter((handle) => handle.state !== 'exited');
  }

  /** Live processes that hold an id. */
  #heldHandles(): WorkerHandle[] {
    return [...this.#slots.values()].flatMap((slot) => (slot.handle !== undefined && slot.handle.state !== 'exited' ? [slot.handle] : []));
  }

  /** One id's row of `status()`. */
  #workerStatus(slot: Slot, now: number): WorkerStatus {
    const handle = slot.handle;
    const stats = handle?.pid !== undefined ? readProcessStats(handle.pid) : undefined;
    return {
      ...this.#info(slot, handle),
      uptimeMs: handle !== undefined ? now - handle.startedAt : undefined,
      tasks: slot.tasksBefore + (handle?.tasks ?? 0),
      busy: handle?.busySince !== null && handle?.busySince !== undefined,
      paused: handle?.holding ?? false,
      lastExit: slot.lastExit,
      rssBytes: stats?.rssBytes,
      cpuPercent: stats && handle?.pid !== undefined ? this.#cpu.percent(handle.pid, stats, handle.startedAt, now) : undefined,
    };
  }

  /** Rotates log files past --log-max-bytes; the processes writing a rotated file move to the new one. */
  #rotateLogs(): void {
    const files = this.#logFiles;
    if (files === undefined) return;
    const live = this.#liveHandles();
    const rotated = new Set(files.rotateOversized(live.map((h) => workerLogName(h.id))));
    for (const handle of live) {
      const name = workerLogName(handle.id);
      if (rotated.has(name)) handle.reopenLogs(files.path(name));
    }
  }

  #slot(id: number): Slot {
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      slot = { id, handle: undefined, restarts: 0, failures: 0, retryTimer: undefined, handingOver: false, tasksBefore: 0, lastExit: undefined, respawnFrom: undefined };
      this.#slots.set(id, slot);
    }
    return slot;
  }

  #info(slot: Slot, handle: WorkerHandle | undefined): WorkerInfo {
    return {
      id: slot.id,
      pid: handle?.pid,
      state: handle?.state ?? (slot.retryTimer !== undefined ? 'waiting' : 'exited'),
      restarts: slot.restarts,
      startedAt: handle ? new Date(handle.startedAt) : undefined,
    };
  }

  /** True when exactly ids 0..size-1 are held, each by a running worker. */
  #converged(): boolean {
    if (this.#slots.size !== this.#target) return false;
    for (const slot of this.#slots.values()) {
      if (slot.id >= this.#target || slot.handle?.state !== 'running') return false;
    }
    return true;
  }

  #active(): boolean {
    return this.#state === 'running' || this.#state === 'starting';
  }

  /** The poll sweep (also run after scaling): fills every id below size that has no process and no pending retry; tops up spares. */
  #sweep(): void {
    if (!this.#active()) return;
    for (let id = 0; id < this.#target; id++) {
      const slot = this.#slot(id);
      if (slot.handle === undefined && slot.retryTimer === undefined && !slot.handingOver) this.#fill(slot);
    }
    this.#spares.topUp();
  }

  /**
   * Kills processes that never got ready within --boot-timeout (spares and reload candidates
   * included), and workers whose task outlived --timeout (or whose heartbeat stopped).
   */
  #killHung(): void {
    const { timeout, bootTimeout } = this.#options;
    const beat = this.#runtime.heartbeatMs;
    const now = Date.now();
    for (const handle of this.#liveHandles()) {
      if (handle.killReason !== undefined) continue; // killed already, its exit is on the way
      const id = handle.id;
      const boot = bootHangReason(handle.bootingSince, id !== undefined, now, bootTimeout * 1000);
      const task = boot === undefined && id !== undefined && timeout !== undefined && beat !== undefined ? hangReason(handle, now, timeout * 1000, beat) : undefined;
      const reason = boot ?? task;
      if (reason === undefined) continue;
      const name = id !== undefined ? `worker[${id}]` : `${this.#candidates.has(handle) ? 'reload candidate' : 'spare'} pid=${handle.pid}`;
      const why = `timed out: ${reason}, over ${boot !== undefined ? `--boot-timeout ${bootTimeout}s` : `--timeout ${timeout}s`}`;
      this.#log.error('timeout', `${name} ${why}; killing pid=${handle.pid}`, { worker: id, pid: handle.pid, timeout: boot !== undefined ? bootTimeout : timeout });
      handle.kill(why);
    }
  }

  /** Gives `slot` a process: a loaded spare if there is one (its id at once), else a cold spawn. */
  #fill(slot: Slot): void {
    const spare = this.#spares.take();
    if (spare !== undefined) {
      this.#assign(slot, spare);
      this.#spares.topUp();
      return;
    }
    const handle = this.#spawnProcess(slot.id);
    if (handle === undefined) {
      this.#scheduleRespawn(slot, true);
      return;
    }
    this.#adopt(slot, handle);
  }

  /** Hands `slot`'s id to a loaded process holding none. */
  #assign(slot: Slot, handle: WorkerHandle, how = 'taken over by spare'): void {
    this.#beforeFork(slot.id);
    this.#log.info('assign', `worker[${slot.id}] ${how} pid=${handle.pid}`, { worker: slot.id, pid: handle.pid });
    handle.assign(slot.id, workerLimits(this.#options.maxTasks, this.#options.maxRss), this.#paused, this.#logFileFor(slot.id));
    this.#adopt(slot, handle);
  }

  /** Makes `handle` the process of `slot` and wires its events to the slot. */
  #adopt(slot: Slot, handle: WorkerHandle): void {
    slot.handle = handle;
    handle.on('ready', () => this.#onReady(slot, handle));
    handle.on('failed', (message) => this.#onFailed(slot.id, message));
    handle.on('recycle', (reason) => this.#log.info('recycle', `worker[${slot.id}] recycling: ${reason}`, { worker: slot.id, pid: handle.pid, reason }));
    handle.on('exit', (exit) => this.#onExit(slot, handle, exit));
    handle.on('progress', () => this.#paused && this.#notify());
    this.emit('fork', this.#info(slot, handle));
  }

  /** Runs the preloaded app's beforeFork(id) in this process; its failure is logged, never fatal. */
  #beforeFork(id: number): void {
    if (this.#app?.beforeFork === undefined) return;
    try {
      this.#app.beforeFork(id);
    } catch (error) {
      this.#log.error('beforeFork', `worker[${id}] beforeFork threw in the master: ${firstLine(error)}`, { worker: id });
    }
  }

  /** Spawns a process for `id` (or a spare, id undefined); undefined if the OS refused. */
  #spawnProcess(id: number | undefined): WorkerHandle | undefined {
    const name = id === undefined ? 'spare' : `worker[${id}]`;
    this.#log.info('spawning', `${name} spawning`, { worker: id });
    if (id !== undefined) this.#beforeFork(id);
    const config: RuntimeConfig = {
      ...this.#runtime,
      ...(id !== undefined && { limits: workerLimits(this.#options.maxTasks, this.#options.maxRss), paused: this.#paused }),
      ...(this.#logFiles !== undefined && { logFile: this.#logFiles.path(workerLogName(id)) }),
    };
    let child: ChildLike;
    let outputFd: number | undefined;
    try {
      outputFd = this.#logFiles?.openForWorker(workerLogName(id));
      child = this.#spawnWorker(id, this.#options, config, { outputFd, account: this.#account });
    } catch (error) {
      this.#log.error('spawn', `${name} could not be spawned: ${firstLine(error)}`, { worker: id });
      return undefined;
    } finally {
      // The child has its own copy of the fd now.
      if (outputFd !== undefined) closeSync(outputFd);
    }
    const handle = new WorkerHandle(id, child, this.#signalGroup, this.#generation, this.#graceMs());
    if (handle.pid !== undefined) this.#log.info('spawned', `${name} spawned pid=${handle.pid}`, { worker: id, pid: handle.pid });
    handle.on('exit', () => {
      const sweep = handle.groupGone;
      this.#sweeps.add(sweep);
      void sweep.then(() => this.#sweeps.delete(sweep));
    });
    handle.on('orphans', () => {
      const who = handle.id !== undefined ? `worker[${handle.id}]` : 'spare';
      this.#log.error('orphans', `${who} pid=${handle.pid} exited, but processes of its group ignored SIGTERM for ${this.#options.grace}s: SIGKILL`, { worker: handle.id, pid: handle.pid });
    });
    return handle;
  }

  /** With --log-dir: the log file of `id`'s worker. */
  #logFileFor(id: number): string | undefined {
    const files = this.#logFiles;
    if (files === undefined) return undefined;
    const name = workerLogName(id);
    try {
      files.prepareForWorker(name);
    } catch (error) {
      this.#log.error('logs', `cannot open ${files.path(name)}: ${firstLine(error)}`, { worker: id });
    }
    return files.path(name);
  }

  /** Starts one reload candidate: a spare-to-be with the new code, tracked apart from the spares. */
  #spawnCandidate(): WorkerHandle | undefined {
    const handle = this.#spawnProcess(undefined);
    if (handle === undefined) return undefined;
    this.#candidates.add(handle);
    handle.on('loaded', () => this.#notify());
    handle.on('failed', (message) => this.#log.error('failed', `reload candidate pid=${handle.pid} ${describeFailure(message)}`));
    handle.on('exit', () => {
      this.#candidates.delete(handle);
      this.#notify();
    });
    return handle;
  }

  #onReady(slot: Slot, handle: WorkerHandle): void {
    if (slot.respawnFrom !== undefined) this.#respawnSeconds.observe((Date.now() - slot.respawnFrom) / 1000);
    slot.respawnFrom = undefined;
    this.#log.info('ready', `worker[${slot.id}] ready`, { worker: slot.id, pid: handle.pid });
    this.emit('online', this.#info(slot, handle));
    this.#notify();
  }

  #onFailed(id: number, message: FailedMessage): void {
    this.#log.error('failed', `worker[${id}] ${describeFailure(message)}`, {
      worker: id,
      phase: message.phase,
      error: message.message,
    });
    if (message.stack !== undefined) trace.worker('worker[%d] %s', id, message.stack);
    if (this.listenerCount('error') > 0) this.emit('error', workerFailure(id, message));
  }

  #onExit(slot: Slot, handle: WorkerHandle, exit: WorkerExit): void {
    if (slot.handle === handle) slot.handle = undefined;
    slot.tasksBefore += handle.tasks;
    this.#tasksGone += handle.tasks;
    if (handle.durations !== undefined) this.#durationsGone.add(handle.durations);
    slot.lastExit = { code: exit.code, signal: exit.signal, at: new Date() };
    const how = exit.signal !== null ? `signal=${exit.signal}` : `code=${exit.code}`;
    const log = exit.code === 0 ? this.#log.info : this.#log.error;
    const early = handle.readyAt === undefined ? ' before it was ready' : '';
    log.call(this.#log, 'exit', `worker[${slot.id}] exited ${how} pid=${handle.pid}${early}`, {
      worker: slot.id,
      pid: handle.pid,
      code: exit.code,
      signal: exit.signal,
    });
    this.emit('exit', this.#info(slot, handle), exit);
    if (this.#state === 'starting' && handle.readyAt === undefined && this.#startFailure === undefined) {
      this.#startFailure =
        handle.failure !== undefined
          ? workerFailure(slot.id, handle.failure)
          : new SuperviseError(ErrorCode.APP_LOAD, `worker[${slot.id}] ${handle.killReason ?? `exited ${how} before it was ready`}`);
    }
    if (slot.id >= this.#target) {
      if (slot.handle === undefined) this.#slots.delete(slot.id);
      this.#log.info('retired', `worker[${slot.id}] retired`, { worker: slot.id });
    } else if (!slot.handingOver && slot.handle === undefined && this.#active() && this.#startFailure === undefined) {
      slot.respawnFrom ??= Date.now();
      this.#scheduleRespawn(slot, !handle.recycling && isEarlyFailure(handle.readyAt, Date.now(), exit.signal));
    }
    this.#notify();
  }

  /** Refills `slot` at once, or after a backoff delay when it keeps failing early. */
  #scheduleRespawn(slot: Slot, early: boolean): void {
    slot.failures = early ? slot.failures + 1 : 0;
    slot.restarts++;
    const delay = backoffDelay(slot.failures, this.#options.poll * 1000);
    if (delay === 0) {
      this.#log.info('respawning', `worker[${slot.id}] respawning`, { worker: slot.id });
      this.#fill(slot);
      return;
    }
    this.#log.info('respawning', `worker[${slot.id}] respawning in ${delay}ms (failed ${slot.failures} times in a row)`, {
      worker: slot.id,
      delay,
      failures: slot.failures,
    });
    slot.retryTimer = setTimeout(() => {
      slot.retryTimer = undefined;
      if (this.#active() && slot.id < this.#target && slot.handle === undefined) this.#fill(slot);
    }, delay);
  }

  #stoppedError(operation: string): SuperviseError {
    return new SuperviseError(ErrorCode.STOPPED, `${operation}() abandoned: the supervisor is ${this.#state}`);
  }

  /** Resolves when `check` returns true, rejects when it returns an error or the pool stops. */
  #until(operation: string, check: () => boolean | Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        const outcome = this.#state === 'stopping' || this.#state === 'stopped' ? this.#stoppedError(operation) : check();
        if (outcome === false) return;
        this.#waiters.delete(waiter);
        if (outcome === true) resolve();
        else reject(outcome);
      };
      this.#waiters.add(waiter);
      waiter();
    });
  }

  /** Re-checks every pending wait after a change of state. */
  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
