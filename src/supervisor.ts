/**
 * The master: a slot per id, each holding at most one live worker; respawn on exit with per-id
 * backoff, a poll sweep as backstop, scaling, and stopping. Signals are not handled here (see
 * signals.ts); the CLI and embedders drive this class through its methods.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { onExit } from 'signal-exit';
import { loadApp, type App } from './app-loader.cjs';
import { backoffDelay, isEarlyFailure } from './backoff.js';
import { ErrorCode, SuperviseError, firstLine } from './errors.cjs';
import { Logger, trace } from './log.js';
import { integerOption, resolveOptions, type ResolvedOptions, type SupervisorOptions } from './options.js';
import type { FailedMessage, FailurePhase } from './protocol.cjs';
import { installSignalHandlers } from './signals.js';
import { WorkerHandle, signalProcessGroup, type ChildLike, type SignalGroup, type WorkerExit, type WorkerState } from './worker-handle.js';

/** A worker's state as the pool reports it: a handle's state, or `waiting` for a respawn held back by backoff. */
export type SlotState = WorkerState | 'waiting';

/** A snapshot of one id of the pool. */
export interface WorkerInfo {
  /** Stable id, 0..N-1. */
  readonly id: number;
  /** Pid of the process holding the id, if one does. */
  readonly pid: number | undefined;
  readonly state: SlotState;
  /** How many times this id has been respawned. */
  readonly restarts: number;
  /** When the current process was spawned. */
  readonly startedAt: Date | undefined;
}

/** A worker's failure as reported to `error` listeners. */
export interface WorkerFailure extends SuperviseError {
  /** The id whose worker failed. */
  readonly worker: number;
  /** Where it failed: loading the app, in afterFork, in a task, or an uncaught exception. */
  readonly phase: FailurePhase;
}

/** The events a Supervisor emits, with their arguments. */
export interface SupervisorEvents {
  /** A process was spawned for an id. */
  fork: [worker: WorkerInfo];
  /** A worker loaded the app, ran afterFork, and is starting tasks. */
  online: [worker: WorkerInfo];
  /** A worker process ended. */
  exit: [worker: WorkerInfo, exit: WorkerExit];
  /**
   * A worker reported the error it is exiting with. Unlike most emitters, an `error` with no
   * listener is not thrown: the failure is already in the log and the id is respawned.
   */
  error: [failure: WorkerFailure];
  /** The pool has stopped: every worker is gone. */
  stop: [];
}

/** Life of the pool itself. */
export type SupervisorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Options of `stop()`. */
export interface StopOptions {
  /**
   * true: every worker finishes its current task, starts no other, and exits (QUIT), with no deadline.
   * false (default): ctx.signal aborts, workers get SIGTERM, and SIGKILL after `grace` (TERM/INT).
   */
  readonly graceful?: boolean;
}

/** Starts the process for one id. */
export type SpawnWorker = (id: number, options: ResolvedOptions) => ChildLike;

/** Seams for unit tests; not part of the public contract. @internal */
export interface SupervisorInternals {
  readonly spawnWorker?: SpawnWorker;
  readonly signalGroup?: SignalGroup;
}

const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.cjs', import.meta.url));

/** Spawns a real worker: a fresh node running the worker entry, leader of its own process group. */
export const spawnWorkerProcess: SpawnWorker = (id, options) =>
  spawn(process.execPath, [...options.nodeArgs, WORKER_ENTRY, options.app], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, SUPERVISE_WORKER_ID: String(id) },
    // stdin is nobody's; stdout/stderr are inherited so a worker's output survives the master.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Its own process group: terminal signals reach only the master, which stops workers in order,
    // and a stop can signal the worker's own children with it.
    detached: true,
  });

/** What the pool keeps per id. */
interface Slot {
  readonly id: number;
  handle: WorkerHandle | undefined;
  restarts: number;
  failures: number;
  retryTimer: NodeJS.Timeout | undefined;
  lastFailure: FailedMessage | undefined;
}

const PHASE_WORDS: Record<FailurePhase, string> = {
  load: 'failed to load the app',
  afterFork: 'failed in afterFork',
  task: 'failed in a task',
  uncaught: 'failed with an uncaught exception',
};

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
  readonly #slots = new Map<number, Slot>();
  readonly #waiters = new Set<() => void>();
  #state: SupervisorState = 'idle';
  #target: number;
  #app: App | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #startFailure: SuperviseError | undefined;
  #stopping: Promise<void> | undefined;
  #stopGraceful = false;
  #removeExitHook: (() => void) | undefined;
  #removeSignalHandlers: (() => void) | undefined;

  /**
   * Validates `options` at once: throws SuperviseError E_OPTION (quoting the bad value) or
   * E_APP_NOT_FOUND. Starts nothing; call `start()`.
   */
  constructor(options: SupervisorOptions, internals: SupervisorInternals = {}) {
    super();
    this.#options = resolveOptions(options);
    this.#target = this.#options.workers;
    this.#log = new Logger(this.#options.logFormat, this.#options.quiet, this.#options.logStream);
    this.#spawnWorker = internals.spawnWorker ?? spawnWorkerProcess;
    this.#signalGroup = internals.signalGroup ?? signalProcessGroup;
  }

  /** The pool's own state. */
  get state(): SupervisorState {
    return this.#state;
  }

  /** How many workers the pool keeps (changes with `scale`). */
  get size(): number {
    return this.#target;
  }

  /** The options in force, defaults applied and `app` absolute. */
  get options(): ResolvedOptions {
    return this.#options;
  }

  /** One entry per id the pool holds (retiring ids included until they exit), sorted by id. */
  get workers(): WorkerInfo[] {
    return [...this.#slots.values()].sort((a, b) => a.id - b.id).map((slot) => this.#info(slot, slot.handle));
  }

  /**
   * Starts the pool: (with `preload`) loads the app in this process, then spawns ids 0..N-1.
   * Resolves when every worker has loaded the app and run afterFork. Rejects with SuperviseError
   * E_APP_LOAD or E_APP_EXPORTS if the app cannot load (no task has run; every worker is stopped),
   * E_STOPPED if `stop()` came first, E_STATE if called twice.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new SuperviseError(ErrorCode.STATE, `start() called on a supervisor that is ${this.#state}`);
    this.#state = 'starting';
    const { app, workers, poll, preload } = this.#options;
    this.#log.info('start', `master starting pid=${process.pid} workers=${workers} app=${app}${preload ? ' preload' : ''}`, {
      pid: process.pid,
      workers,
      app,
      preload,
    });
    if (this.#options.handleSignals) this.#removeSignalHandlers = installSignalHandlers(this);
    this.#removeExitHook = onExit(() => this.#killAllOnExit(), { alwaysLast: true });
    if (preload) {
      try {
        this.#app = await loadApp(app);
      } catch (error) {
        this.#finish();
        throw error;
      }
      if (this.#state !== 'starting') throw this.#stoppedError('start');
    }
    this.#pollTimer = setInterval(() => this.#sweep(), poll * 1000);
    for (let id = 0; id < this.#target; id++) this.#spawn(this.#slot(id));
    try {
      await this.#until('start', () => this.#startFailure ?? this.#converged());
    } catch (error) {
      if (this.#startFailure !== undefined) await this.stop();
      throw error;
    }
    this.#state = 'running';
    this.#log.info('ready', `master ready pid=${process.pid} workers=${this.#target}`, { pid: process.pid, workers: this.#target });
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
   * Installs the CLI's signal handlers on this process (TERM/INT quick stop, QUIT graceful stop,
   * TTIN/TTOU scale by one); a stop they trigger ends the process with code 0. Returns a function
   * that removes them. `handleSignals: true` does this at start.
   */
  handleSignals(): () => void {
    this.#removeSignalHandlers ??= installSignalHandlers(this);
    return this.#removeSignalHandlers;
  }

  async #stopAll(graceful: boolean): Promise<void> {
    const previous = this.#state;
    this.#state = 'stopping';
    this.#stopGraceful = graceful;
    clearInterval(this.#pollTimer);
    for (const slot of this.#slots.values()) clearTimeout(slot.retryTimer);
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
    this.#finish();
    if (previous !== 'idle') this.#log.info('stopped', `master stopped`);
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

  /** Releases everything that keeps this process alive or hooked. */
  #finish(): void {
    this.#state = 'stopped';
    clearInterval(this.#pollTimer);
    this.#removeExitHook?.();
    this.#removeSignalHandlers?.();
  }

  /** Last resort when the host process exits with workers still alive: quick-stop them all. */
  #killAllOnExit(): void {
    for (const handle of this.#liveHandles()) handle.signal('SIGTERM');
  }

  #graceMs(): number {
    return this.#options.grace * 1000;
  }

  #liveHandles(): WorkerHandle[] {
    return [...this.#slots.values()].flatMap((slot) => (slot.handle ? [slot.handle] : []));
  }

  #slot(id: number): Slot {
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      slot = { id, handle: undefined, restarts: 0, failures: 0, retryTimer: undefined, lastFailure: undefined };
      this.#slots.set(id, slot);
    }
    return slot;
  }

  #info(slot: Slot, handle: WorkerHandle | undefined): WorkerInfo {
    return {
      id: slot.id,
      pid: handle?.pid,
      state: handle?.state ?? 'waiting',
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

  /** The poll sweep (also run after scaling): spawns every id below size that has no process and no pending retry. */
  #sweep(): void {
    if (this.#state !== 'running' && this.#state !== 'starting') return;
    for (let id = 0; id < this.#target; id++) {
      const slot = this.#slot(id);
      if (slot.handle === undefined && slot.retryTimer === undefined) this.#spawn(slot);
    }
  }

  /** Spawns a process for `slot` (which must hold none) and wires its events. */
  #spawn(slot: Slot): void {
    const { id } = slot;
    this.#log.info('spawning', `worker[${id}] spawning`, { worker: id });
    if (this.#app?.beforeFork !== undefined) {
      try {
        this.#app.beforeFork(id);
      } catch (error) {
        this.#log.error('beforeFork', `worker[${id}] beforeFork threw in the master: ${firstLine(error)}`, { worker: id });
      }
    }
    let child: ChildLike;
    try {
      child = this.#spawnWorker(id, this.#options);
    } catch (error) {
      this.#log.error('spawn', `worker[${id}] could not be spawned: ${firstLine(error)}`, { worker: id });
      this.#scheduleRespawn(slot, true);
      return;
    }
    const handle = new WorkerHandle(id, child, this.#signalGroup);
    slot.handle = handle;
    slot.lastFailure = undefined;
    if (handle.pid !== undefined) this.#log.info('spawned', `worker[${id}] spawned pid=${handle.pid}`, { worker: id, pid: handle.pid });
    handle.on('ready', () => this.#onReady(slot, handle));
    handle.on('failed', (message) => this.#onFailed(slot, message));
    handle.on('exit', (exit) => this.#onExit(slot, handle, exit));
    this.emit('fork', this.#info(slot, handle));
  }

  #onReady(slot: Slot, handle: WorkerHandle): void {
    this.#log.info('ready', `worker[${slot.id}] ready`, { worker: slot.id, pid: handle.pid });
    this.emit('online', this.#info(slot, handle));
    this.#notify();
  }

  #onFailed(slot: Slot, message: FailedMessage): void {
    slot.lastFailure = message;
    this.#log.error('failed', `worker[${slot.id}] ${PHASE_WORDS[message.phase]}: ${message.message}`, {
      worker: slot.id,
      phase: message.phase,
      error: message.message,
    });
    if (message.stack !== undefined) trace.worker('worker[%d] %s', slot.id, message.stack);
    if (this.listenerCount('error') > 0) this.emit('error', this.#failure(slot.id, message));
  }

  #failure(id: number, message: FailedMessage): WorkerFailure {
    const code = message.phase === 'load' && message.code === ErrorCode.APP_EXPORTS ? ErrorCode.APP_EXPORTS : ErrorCode.APP_LOAD;
    const error = new SuperviseError(code, `worker[${id}] ${PHASE_WORDS[message.phase]}: ${message.message}`);
    return Object.assign(error, { worker: id, phase: message.phase });
  }

  #onExit(slot: Slot, handle: WorkerHandle, exit: WorkerExit): void {
    if (slot.handle === handle) slot.handle = undefined;
    const how = exit.signal !== null ? `signal=${exit.signal}` : `code=${exit.code}`;
    const log = exit.code === 0 ? this.#log.info : this.#log.error;
    log.call(this.#log, 'exit', `worker[${slot.id}] exited ${how} pid=${handle.pid}`, {
      worker: slot.id,
      pid: handle.pid,
      code: exit.code,
      signal: exit.signal,
    });
    this.emit('exit', this.#info(slot, handle), exit);
    if (this.#state === 'starting' && handle.readyAt === undefined && this.#startFailure === undefined) {
      this.#startFailure =
        slot.lastFailure !== undefined
          ? this.#failure(slot.id, slot.lastFailure)
          : new SuperviseError(ErrorCode.APP_LOAD, `worker[${slot.id}] exited ${how} before it was ready`);
    }
    if (slot.id >= this.#target) {
      this.#slots.delete(slot.id);
      this.#log.info('retired', `worker[${slot.id}] retired`, { worker: slot.id });
    } else if ((this.#state === 'running' || this.#state === 'starting') && this.#startFailure === undefined) {
      this.#scheduleRespawn(slot, isEarlyFailure(handle.readyAt, Date.now(), exit.signal));
    }
    this.#notify();
  }

  /** Respawns `slot` at once, or after a backoff delay when it keeps failing early. */
  #scheduleRespawn(slot: Slot, early: boolean): void {
    slot.failures = early ? slot.failures + 1 : 0;
    slot.restarts++;
    const delay = backoffDelay(slot.failures, this.#options.poll * 1000);
    if (delay === 0) {
      this.#log.info('respawning', `worker[${slot.id}] respawning`, { worker: slot.id });
      this.#spawn(slot);
      return;
    }
    this.#log.info('respawning', `worker[${slot.id}] respawning in ${delay}ms (failed ${slot.failures} times in a row)`, {
      worker: slot.id,
      delay,
      failures: slot.failures,
    });
    slot.retryTimer = setTimeout(() => {
      slot.retryTimer = undefined;
      if ((this.#state === 'running' || this.#state === 'starting') && slot.id < this.#target && slot.handle === undefined) this.#spawn(slot);
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
