/**
 * The master: a slot per id, each holding at most one live worker; respawn on exit with per-id
 * backoff, a poll sweep as backstop, scaling, pausing. Its parts live beside it: the pool state
 * they share, the slot table and the id keeper (fill, respawn), the launcher (spawn, logs), the
 * listeners, spares, the rolling reload, the stop, the status snapshot, the hang watch. Signals
 * are not handled here (see signals.ts); the CLI and embedders call its methods.
 */
import { EventEmitter } from 'node:events';
import { onExit } from 'signal-exit';
import { resolveAccount, type Account } from './account.js';
import { assertReadableBy } from './app-access.js';
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import { heartbeatInterval } from './hang-watch.js';
import { HangTimer } from './hang-timer.js';
import { LOG_CHECK_MS, Launcher } from './launcher.js';
import { Waiters } from './waiters.js';
import { LogFiles, workerLogName } from '../shared/log-files.js';
import { Logger } from '../shared/log.js';
import { integerOption, resolveOptions, type ResolvedOptions, type SupervisorOptions } from '../shared/options.js';
import { PoolServices } from '../services/pool-services.js';
import { PoolPause } from './pool-pause.js';
import { PoolStop, type StopHost } from './pool-stop.js';
import { checkProgram } from './program-check.js';
import { releasePidFile } from './pid-file.js';
import { MasterUpgrade, poolUpgradeHost } from './master-upgrade.js';
import { completeHandoff, reportToOldMaster, takeUpgradeHandoff, type UpgradeHandoff } from './upgrade-handoff.js';
import { acquireStartParts } from './start-up.js';
import { Listeners, type ListenerInfo } from './listeners.js';
import type { PoolStatus } from '../services/pool-status.js';
import { CpuMeter } from '../services/process-stats.js';
import { PoolCounters, STATUS_REPLY_MS, poolSnapshot, type SnapshotSource } from './pool-snapshot.js';
import { RollingReload, type ReloadHost } from './rolling-reload.js';
import { installSignalHandlers } from './signals.js';
import { PoolState } from './pool-state.js';
import type { StopOptions, SupervisorEvents, SupervisorInternals, SupervisorState, WorkerInfo } from './supervisor-types.js';
import { SlotTable, slotInfo } from './slot-table.js';
import { IdKeeper } from './id-keeper.js';
import { SparePool } from './spare-pool.js';
import { WORKER_ENTRY, spawnWorkerProcess } from './spawn-worker.js';
import { START_HOLD_MS, logStartFailure } from './worker-failure.js';
import { applyLimits, type LimitChanges } from './live-limits.js';
import { killOne, restartOne } from './worker-actions.js';
import { signalProcessGroup, type WorkerHandle } from './worker-handle.js';

export type { SpawnPlacement, SpawnWorker } from './spawn-worker.js';
export type { SlotState, StopOptions, SupervisorEvents, SupervisorInternals, SupervisorState, WorkerFailure, WorkerInfo } from './supervisor-types.js';

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
  /** State, size, generation and limits in force, shared with the parts below. */
  readonly #pool: PoolState;
  readonly #log: Logger;
  readonly #listeners: Listeners;
  readonly #slots = new SlotTable();
  readonly #spares: SparePool;
  readonly #reloader: RollingReload;
  readonly #stopper: PoolStop;
  readonly #waiters = new Waiters((operation) => (this.#pool.state === 'stopping' || this.#pool.state === 'stopped' ? this.#pool.stoppedError(operation) : undefined));
  readonly #launcher: Launcher;
  readonly #upgrader: MasterUpgrade;
  /** In an upgrade's new master: what the old master handed over. */
  readonly #handoff: UpgradeHandoff | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  readonly #hangs: HangTimer;
  readonly #keeper: IdKeeper;
  #removeExitHook: (() => void) | undefined;
  #removeSignalHandlers: (() => void) | undefined;
  readonly #account: Account | undefined;
  readonly #logFiles: LogFiles | undefined;
  #logTimer: NodeJS.Timeout | undefined;
  readonly #services = new PoolServices();
  readonly #pauser: PoolPause;
  readonly #counters = new PoolCounters();
  readonly #cpu = new CpuMeter();

  /**
   * Validates `options` at once: throws SuperviseError E_OPTION (quoting the bad value, or naming
   * a `user`/`group` that does not exist or a master that is not root) or E_APP_NOT_FOUND. Starts
   * nothing; call `start()`.
   */
  constructor(options: SupervisorOptions, internals: SupervisorInternals = {}) {
    super();
    const checked = checkProgram(resolveOptions(options));
    const resolved = checked.options;
    const { logDir, logMaxBytes, logBackups, user, group, timeout } = resolved;
    this.#account = resolveAccount(user, group);
    // Else "Cannot find module" from every worker. (A program's own permissions are its spawn's to report.)
    assertReadableBy(this.#account, resolved.command === undefined ? [resolved.app, WORKER_ENTRY] : [WORKER_ENTRY]);
    this.#logFiles = logDir !== undefined ? new LogFiles(logDir, logMaxBytes, logBackups, this.#account) : undefined;
    this.#log = new Logger(resolved.logFormat, resolved.quiet, this.#logFiles?.masterStream ?? resolved.logStream);
    this.#pool = new PoolState(resolved, {
      graceMs: resolved.grace * 1000,
      ...(timeout !== undefined && { heartbeatMs: heartbeatInterval(timeout) }),
      ...(checked.program !== undefined && { program: checked.program }),
      ...(resolved.concurrency > 1 && { concurrency: resolved.concurrency }),
    });
    this.#handoff = 'upgradeHandoff' in internals ? internals.upgradeHandoff : takeUpgradeHandoff();
    this.#listeners = new Listeners(this.#pool.options.listen, this.#handoff?.listeners);
    const pool = this.#pool;
    const upgrading = { log: this.#log, listeners: this.#listeners, services: this.#services, pool: this };
    this.#upgrader = new MasterUpgrade(poolUpgradeHost({ ...upgrading, options: () => pool.options }, internals.relaunch));
    this.#launcher = new Launcher({
      pool,
      listeners: this.#listeners,
      log: this.#log,
      logFiles: this.#logFiles,
      account: this.#account,
      spawnWorker: internals.spawnWorker ?? spawnWorkerProcess,
      signalGroup: internals.signalGroup ?? signalProcessGroup,
    });
    const host = { spawn: () => this.#launcher.spawn(undefined, this.#pool.generation, this.#pauser.paused), running: () => this.#pool.running, generation: () => this.#pool.generation };
    this.#spares = new SparePool(this.#pool.options.spares, this.#pool.options.poll * 1000, host, this.#log);
    this.#pauser = new PoolPause({
      log: this.#log,
      waiters: this.#waiters,
      pool,
      held: () => this.#slots.held(),
    });
    this.#reloader = new RollingReload(this.#reloadHost());
    this.#stopper = new PoolStop(this.#stopHost());
    this.#hangs = new HangTimer({
      log: this.#log,
      limits: () => ({ timeout: this.#pool.options.timeout, bootTimeout: this.#pool.options.bootTimeout, heartbeatMs: this.#pool.runtime.heartbeatMs, ...(this.#pool.earlierTimeout && { earlier: this.#pool.earlierTimeout }) }),
      live: () => this.#liveHandles(),
      nameOf: (handle) => (this.#reloader.candidates.has(handle as WorkerHandle) ? 'reload candidate' : 'spare'),
    });
    this.#keeper = new IdKeeper({
      log: this.#log,
      pool,
      slots: this.#slots,
      spares: this.#spares,
      launcher: this.#launcher,
      counters: this.#counters,
      waiters: this.#waiters,
      paused: () => this.#pauser.paused,
      emit: this.emit.bind(this),
      wantsErrors: () => this.listenerCount('error') > 0,
    });
  }

  /** The pool's own state. */
  get state(): SupervisorState {
    return this.#pool.state;
  }

  /** How many workers the pool keeps (changes with `scale`). */
  get size(): number {
    return this.#pool.size;
  }

  /** How many warm spares are loaded and waiting for an id right now. */
  get readySpares(): number {
    return this.#spares.ready;
  }

  /** True between `pause()` and `resume()`: workers hold between tasks. */
  get paused(): boolean {
    return this.#pauser.paused;
  }

  /** The options in force, defaults applied and `app` absolute. */
  get options(): ResolvedOptions {
    return this.#pool.options;
  }

  /** With `dashboard`, once started: the URL it is served at (its port resolved when 0 was asked for). */
  get dashboardUrl(): string | undefined {
    return this.#services.dashboardUrl;
  }

  /** With `metrics`, once started: the URL of the metrics (its port resolved when 0 was asked for). */
  get metricsUrl(): string | undefined {
    return this.#services.metricsUrl;
  }

  /** With `listen`, once started: the bound sockets (a port 0 resolved), in the order given (`listeners` is EventEmitter's). */
  get listenAddresses(): readonly ListenerInfo[] {
    return this.#listeners.info;
  }

  /** One entry per id the pool holds (retiring ids included until they exit), sorted by id. */
  get workers(): WorkerInfo[] {
    return this.#slots.sorted().map((slot) => slotInfo(slot, slot.handle));
  }

  /**
   * Starts the pool: (with `pidFile`) claims the pid file, (with `preload`) loads the app in this
   * process, then spawns ids 0..N-1, and spares once those are ready. Resolves when every worker has
   * loaded the app and run afterFork. Rejects with SuperviseError E_APP_LOAD or E_APP_EXPORTS if
   * the app cannot load (no task has run; every process is stopped), E_PID_FILE, E_LOG (the log
   * directory), E_CONTROL (the control socket), E_OPTION (the dashboard or metrics address cannot be bound), E_LISTEN (a `listen` address cannot be bound; nothing was spawned), E_STOPPED if `stop()` came first, E_STATE if
   * called twice.
   */
  async start(): Promise<void> {
    if (this.#pool.state !== 'idle') throw new SuperviseError(ErrorCode.STATE, `start() called on a supervisor that is ${this.#pool.state}`);
    try {
      await this.#start();
    } catch (error) {
      // An upgrade's old master is waiting for word: it keeps serving.
      if (this.#handoff !== undefined) reportToOldMaster(error);
      throw error;
    }
  }

  async #start(): Promise<void> {
    this.#pool.state = 'starting';
    this.#pool.startedAt = new Date();
    // A start that fails at once shows one summary, not the lines that led to it (see logStartFailure).
    this.#log.hold(START_HOLD_MS);
    try {
      this.#bindListeners();
      const pending = acquireStartParts({ options: this.#pool.options, log: this.#log, logFiles: this.#logFiles, services: this.#services, pool: this, launcher: this.#launcher, handoff: this.#handoff });
      if (pending !== undefined) await pending;
    } catch (error) {
      // One line says it (the caller's): the lines held back led up to it.
      this.#log.release(false);
      this.#finish();
      throw error;
    }
    if (this.#pool.state !== 'starting') {
      this.#log.release();
      throw this.#pool.stoppedError('start');
    }
    if (this.#pool.options.handleSignals) this.#removeSignalHandlers ??= installSignalHandlers(this);
    this.#removeExitHook = onExit(() => this.#cleanUpOnExit(), { alwaysLast: true });
    this.#pollTimer = setInterval(() => this.#keeper.sweep(), this.#pool.options.poll * 1000);
    this.#hangs.arm();
    if (this.#logFiles !== undefined) this.#logTimer = setInterval(() => this.#launcher.rotateLogs(this.#liveHandles()), LOG_CHECK_MS).unref();
    for (let id = 0; id < this.#pool.size; id++) this.#keeper.fill(this.#slots.get(id));
    try {
      await this.#waiters.until('start', () => this.#pool.startFailure ?? this.#slots.converged(this.#pool.size));
    } catch (error) {
      if (this.#pool.startFailure !== undefined) await logStartFailure(this.#log, this.#pool.startFailure, () => this.stop());
      this.#log.release();
      throw error;
    }
    this.#log.release();
    this.#pool.state = 'running';
    this.#log.info('ready', `master ready pid=${process.pid} workers=${this.#pool.size}`, { pid: process.pid, workers: this.#pool.size });
    if (this.#handoff !== undefined) completeHandoff(this.#handoff, this.#pool.options.pidFile, this.#services, this.#log);
    this.#spares.topUp();
  }

  /**
   * Master upgrade (Unicorn's USR2 + QUIT): starts a new master from this process's command line
   * (the code on disk now) with the `listen` and control sockets; resolves with its pid once its
   * workers listen, and this pool stops gracefully. Rejects with E_UPGRADE (see MasterUpgrade) and
   * serves on when it cannot be done or the new master fails. For the CLI, or a host that may run twice.
   */
  upgrade(): Promise<number> {
    if (this.#pool.state !== 'running') return Promise.reject(this.#pool.stoppedError('upgrade'));
    return this.#upgrader.request();
  }

  /**
   * Changes the pool size to `n` (a whole number ≥ 0): new ids are spawned at once; the highest
   * ids retire after their current task. Resolves when every id below `n` is running and every id
   * at or above it has exited; rejects with E_STOPPED if the pool stops first, E_OPTION for a bad `n`,
   * E_SPAWN when an id cannot come up for now (the OS refused its spawn, or it failed early three
   * times in a row): the pool keeps the new size and that id keeps retrying in backoff.
   */
  scale(n: number): Promise<void> {
    let size: number;
    try {
      size = integerOption('workers', n, this.#pool.size, 0);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#pool.active) return Promise.reject(this.#pool.stoppedError('scale'));
    if (size !== this.#pool.size) this.#log.info('scale', `scaling from ${this.#pool.size} to ${size} workers`, { from: this.#pool.size, to: size });
    this.#pool.size = size;
    this.#keeper.resize(size, this.#pool.graceMs);
    return this.#waiters.until('scale', () => this.#slots.converged(this.#pool.size) || this.#keeper.shortfall(this.#pool.size));
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
    if (this.#pool.state !== 'running') return Promise.reject(this.#pool.stoppedError('reload'));
    return this.#reloader.request();
  }

  /**
   * Restarts worker `id` gracefully (the dashboard's Restart): a new process loads the app, then
   * the old one finishes its task and hands the id over, as a reload does for one id, with the
   * code in force. Resolves once the new process is ready; rejects with E_OPTION for an id the
   * pool does not hold, E_RELOAD when the new process fails (see RollingReload.restart), E_STOPPED.
   */
  restartWorker(id: number): Promise<void> {
    return restartOne(id, this.#pool.size, this.#pool.running ? undefined : this.#pool.stoppedError('restartWorker'), this.#reloader);
  }

  /**
   * SIGKILLs the process of worker `id` now (the dashboard's Kill) and returns its pid; the pool
   * respawns the id as after any crash. Throws E_OPTION for an id the pool does not hold, E_STATE
   * when the id has no live process.
   */
  killWorker(id: number): number {
    return killOne(id, this.#pool.size, this.#slots, this.#log);
  }

  /** With `logDir`: the path of worker `id`'s log file (whether or not it exists yet); else undefined. */
  workerLogFile(id: number): string | undefined {
    return this.#logFiles?.path(workerLogName(id));
  }

  /**
   * Stops the pool (see StopOptions for graceful vs quick). Resolves when every worker has exited.
   * Calling it again while a stop is under way never slows it: graceful becomes quick, and a second
   * quick stop SIGKILLs every worker at once.
   */
  stop(options: StopOptions = {}): Promise<void> {
    return this.#stopper.request(options.graceful ?? false);
  }

  /**
   * Pauses the pool (Unicorn's WINCH): every worker finishes its current task and then holds, the
   * master and the processes stay up; workers spawned meanwhile (respawns, scaling, reloads) hold
   * too. Resolves once every worker holds (or `resume()` came first); rejects with E_STOPPED if
   * the pool stops first.
   */
  pause(): Promise<void> {
    return this.#pauser.pause();
  }

  /** Ends a pause: every worker starts tasks again. Resolves at once (E_STOPPED if the pool is stopping). */
  resume(): Promise<void> {
    return this.#pauser.resume();
  }

  /**
   * A snapshot of the pool: per id its process, state, uptime, tasks, restarts, last exit, RSS
   * and CPU %, plus totals and the task-duration and respawn-latency histograms. Asks every
   * worker for its counters first, waiting at most a quarter second for busy ones.
   */
  async status(): Promise<PoolStatus> {
    await Promise.all(this.#slots.held().map((handle) => handle.refresh(STATUS_REPLY_MS)));
    const source: SnapshotSource = {
      state: this.#pool.state,
      size: this.#pool.size,
      concurrency: this.#pool.options.concurrency,
      paused: this.#pauser.paused,
      startedAt: this.#pool.startedAt,
      spares: this.readySpares,
      slots: this.#slots.sorted(),
      live: this.#liveHandles(),
      counters: this.#counters,
      restarts: this.#slots.totalRestarts(),
      liveIds: this.#slots.live(),
      listeners: this.#listeners.info,
    };
    return poolSnapshot(source, this.#cpu, Date.now());
  }

  /**
   * With `logDir`: reopens master.log and has every worker reopen its file (after an external
   * logrotate moved them; USR2 does this). Without it, does nothing.
   */
  reopenLogs(): void {
    this.#launcher.reopenLogs(this.#liveHandles());
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

  /**
   * Applies new timeouts at run time (a HUP rereading --config): `timeout`, `grace`,
   * `bootTimeout`, `stopWait` (a key set to undefined: back to the default; timeout: off). They
   * hold for the next tasks judged, stops begun and processes spawned. Returns what changed, in
   * words ("timeout 60s → 1s"), and what needs a restart instead (see applyLimits), and logs
   * the change; throws E_OPTION for a bad value (nothing applied).
   */
  applyLimits(changes: LimitChanges): { applied: string[]; restart: string[] } {
    const next = applyLimits(this.#pool.options, this.#pool.runtime, changes, this.#pool.earlierTimeout);
    const { applied, restart } = next;
    if (applied.length === 0) return { applied, restart };
    this.#pool.options = next.options;
    this.#pool.runtime = next.runtime;
    this.#pool.earlierTimeout = next.earlier;
    if (this.#pool.active) this.#hangs.arm();
    this.#log.info('limits', `applied ${applied.join(', ')}: for the next tasks, stops and spawns`, { applied: applied.join(', ') });
    return { applied, restart };
  }

  /** What a rolling reload may do to this pool. */
  #reloadHost(): ReloadHost {
    return {
      log: this.#log,
      pool: this.#pool,
      advance: async (generation) => {
        if (this.#pool.options.preload) await this.#launcher.preload(generation);
        this.#pool.generation = generation;
        this.#spares.retireStale(this.#pool.graceMs);
      },
      spawn: () => this.#launcher.spawn(undefined, this.#pool.generation, this.#pauser.paused),
      slot: (id) => this.#slots.get(id),
      assign: (slot, handle, how) => this.#keeper.assign(this.#slots.get(slot.id), handle, how),
      until: (operation, check) => this.#waiters.until(operation, check),
      notify: () => this.#waiters.notify(),
      reloading: () => this.emit('reloading'),
      reloaded: () => {
        this.#spares.topUp();
        this.emit('reload');
      },
      failed: (error) => this.emit('reloadFailed', error),
    };
  }

  /** What a stop does to this pool. */
  #stopHost(): StopHost {
    return {
      log: this.#log,
      grace: () => this.#pool.options.grace,
      live: () => this.#liveHandles(),
      begin: () => {
        void this.#upgrader.abort();
        const started = this.#pool.state !== 'idle';
        this.#pool.state = 'stopping';
        this.#clearTimers();
        this.#waiters.notify();
        this.emit('stopping');
        return started;
      },
      settled: () => Promise.all([this.#launcher.settled(), this.#upgrader.abort()]).then(() => undefined),
      finish: (started) => {
        this.#finish();
        if (started) this.#log.info('stopped', `master stopped`);
        this.#logFiles?.close(); // after the last line
        this.emit('stop');
      },
    };
  }

  #clearTimers(): void {
    clearInterval(this.#pollTimer);
    clearInterval(this.#logTimer);
    this.#hangs.stop();
    this.#spares.clearTimer();
    this.#slots.clearRetries();
  }

  /** Binds the --listen sockets (before any worker, and before privileges drop); throws E_LISTEN. */
  #bindListeners(): void {
    this.#listeners.bind();
    for (const { address, kind, fd } of this.#listeners.info) this.#log.info('listen', `listening on ${address}`, { address, kind, fd });
  }

  /** Releases everything that keeps this process alive or hooked. */
  #finish(): void {
    this.#pool.state = 'stopped';
    this.#listeners.close();
    this.#clearTimers();
    this.#services.close();
    if (this.#pool.options.pidFile !== undefined) releasePidFile(this.#pool.options.pidFile);
    this.#removeExitHook?.();
    this.#removeSignalHandlers?.();
  }

  /** Last resort when the host process exits with workers still alive: quick-stop them, drop the pid file. */
  #cleanUpOnExit(): void {
    for (const handle of this.#liveHandles()) handle.signal('SIGTERM');
    this.#services.close();
    this.#listeners.close();
    if (this.#pool.options.pidFile !== undefined) releasePidFile(this.#pool.options.pidFile);
  }

  #liveHandles(): WorkerHandle[] {
    return [...this.#slots.handles(), ...this.#spares.handles, ...this.#reloader.candidates].filter((handle) => handle.state !== 'exited');
  }
}
