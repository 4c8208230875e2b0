/**
 * The master's handle on one worker process: its state machine, its messages, and killing it with
 * a deadline. Knows nothing of slots, respawns or the pool.
 */
import { EventEmitter } from 'node:events';
import type { HistogramSnapshot } from '../shared/histogram.cjs';
import { isProtocolMessage, type FailedMessage, type ToMaster, type ToWorker, type WorkerLimits } from '../shared/protocol.cjs';
import { trace } from '../shared/log.js';

/**
 * Where a worker is in its life: `spawning` (asked of the OS), `loading` (process running, app
 * loading, afterFork), `spare` (app loaded, waiting for an id), `running` (tasks), `stopping`
 * (asked to stop), `exited`. The Supervisor adds `waiting` for an id whose respawn is delayed by backoff.
 */
export type WorkerState = 'spawning' | 'loading' | 'spare' | 'running' | 'stopping' | 'exited';

/** How a worker process ended. */
export interface WorkerExit {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, or null. */
  readonly signal: NodeJS.Signals | null;
}

/** The part of a ChildProcess the handle uses; tests pass fakes. */
export interface ChildLike {
  readonly pid?: number | undefined;
  readonly connected: boolean;
  send(message: ToWorker, callback: (error: Error | null) => void): boolean;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'spawn' | 'disconnect', listener: () => void): this;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/** Sends a signal to a process group; the default is `process.kill(-pgid)`. */
export type SignalGroup = (pgid: number, signal: NodeJS.Signals) => void;

/** Signals a worker's whole process group (each worker leads one), so its own children go too. */
export const signalProcessGroup: SignalGroup = (pgid, signal) => {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
};

/** Longest wait, after a worker's exit, for its IPC channel to deliver the last messages. */
const CHANNEL_DRAIN_MS = 200;
/** How often a quick stop looks for what is left of an exited worker's process group. */
const GROUP_POLL_MS = 50;
/** How long after the SIGKILL a quick stop still waits for the group (zombies count until reaped). */
const GROUP_KILL_WAIT_MS = 500;

/** True while any process of group `pgid` exists (EPERM: it exists, but is not ours to signal). */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves true once group `pgid` is empty, or false at epoch ms `deadline` (zombies count until reaped). */
function groupGoneBy(pgid: number, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const settled = (): boolean => {
      const gone = !groupExists(pgid);
      if (!gone && Date.now() < deadline) return false;
      resolve(gone);
      return true;
    };
    if (settled()) return;
    const poll = setInterval(() => {
      if (settled()) clearInterval(poll);
    }, GROUP_POLL_MS);
  });
}

interface HandleEvents {
  loaded: [];
  ready: [];
  recycle: [reason: string];
  progress: [];
  failed: [FailedMessage];
  exit: [WorkerExit];
  orphans: [];
}

/**
 * One worker process as the master sees it. Emits `loaded` (a spare's app is loaded), `ready` once
 * (afterFork done), `recycle` when it leaves at a limit, `failed` when it reports the error it is
 * exiting with, `exit` exactly once, and `orphans` when processes of its group outlived it and
 * the grace and had to be SIGKILLed.
 */
export class WorkerHandle extends EventEmitter<HandleEvents> {
  /** Epoch ms when the process was asked for. */
  readonly startedAt = Date.now();
  /** Code generation (reload count) the process was spawned with. */
  readonly generation: number;
  #id: number | undefined;
  #state: WorkerState = 'spawning';
  #readyAt: number | undefined;
  #loadedAt: number | undefined;
  #tasks = 0;
  #busySince: number | null = null;
  #heardAt = Date.now();
  /** Epoch ms its way to ready began: the spawn, or (a spare) the hand-over of an id. */
  #bootFrom = this.startedAt;
  #killReason: string | undefined;
  #recycling = false;
  #stopAsked = false;
  #failure: FailedMessage | undefined;
  #spawnError: Error | undefined;
  #holding = false;
  #status: string | undefined;
  #busySlots = 0;
  #durations: HistogramSnapshot | undefined;
  #refreshing: Promise<void> | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  /** Epoch ms when a quick stop's SIGKILL is due. */
  #killAt = 0;
  readonly #child: ChildLike;
  readonly #signalGroup: SignalGroup;
  readonly #exited: Promise<WorkerExit>;
  readonly #groupGraceMs: number;
  #groupGone: Promise<void> = Promise.resolve();

  /**
   * `id` is undefined for a spare, which gets one with `assign`. `groupGraceMs`: how long what is
   * left of the worker's process group after its exit may take to obey SIGTERM (--grace).
   */
  constructor(id: number | undefined, child: ChildLike, signalGroup: SignalGroup = signalProcessGroup, generation = 0, groupGraceMs = 5000) {
    super();
    this.#groupGraceMs = groupGraceMs;
    this.#id = id;
    this.generation = generation;
    this.#child = child;
    this.#signalGroup = signalGroup;
    this.#exited = new Promise((resolve) => this.once('exit', resolve));
    child.on('spawn', () => this.#state === 'spawning' && (this.#state = 'loading'));
    child.on('message', (message) => this.#onMessage(message));
    child.on('exit', (code, signal) => this.#afterMessages(() => this.#afterGroup(() => this.#onExit({ code, signal }))));
    // A failed spawn (EAGAIN, ENOMEM) emits 'error' and may never emit 'exit'.
    child.on('error', (error) => {
      trace.worker('worker[%s] process error: %s', this.#id, error.message);
      if (child.pid !== undefined) return;
      this.#spawnError ??= error;
      this.#onExit({ code: null, signal: null });
    });
  }

  /** The id this process holds; undefined for a spare. */
  get id(): number | undefined {
    return this.#id;
  }

  /** The worker's pid; undefined until the OS gave one (or if spawning failed). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The current state. */
  get state(): WorkerState {
    return this.#state;
  }

  /** Epoch ms when the worker reported ready, if it has. */
  get readyAt(): number | undefined {
    return this.#readyAt;
  }

  /** Epoch ms when the worker (as a spare) reported the app loaded, if it has. */
  get loadedAt(): number | undefined {
    return this.#loadedAt;
  }

  /** Tasks the worker reported done so far. */
  get tasks(): number {
    return this.#tasks;
  }

  /** Durations of the tasks the worker reported done so far, if it has reported any. */
  get durations(): HistogramSnapshot | undefined {
    return this.#durations;
  }

  /** Epoch ms when the running task started, as last reported; null between tasks. */
  get busySince(): number | null {
    return this.#busySince;
  }

  /** Epoch ms of the last heartbeat (or of the spawn, before any). */
  get heardAt(): number {
    return this.#heardAt;
  }

  /**
   * Epoch ms since which the process has been on its way to ready (loading the app, in afterFork),
   * whatever it was asked meanwhile; undefined once ready, while a loaded spare waits, and after exit.
   */
  get bootingSince(): number | undefined {
    if (this.#readyAt !== undefined || this.#state === 'spare' || this.#state === 'exited') return undefined;
    if (this.#state === 'stopping' && this.#id === undefined && this.#loadedAt !== undefined) return undefined;
    return this.#bootFrom;
  }

  /** Why the master killed the process (a timeout), if it said. */
  get killReason(): string | undefined {
    return this.#killReason;
  }

  /** The error the worker reported before exiting, if it did. */
  get failure(): FailedMessage | undefined {
    return this.#failure;
  }

  /** Why the OS refused to start the process (EMFILE, EAGAIN…), if it did: then there never was a pid. */
  get spawnError(): Error | undefined {
    return this.#spawnError;
  }

  /** True once the master asked the process to stop (`stop()`), gracefully or not. */
  get stopAsked(): boolean {
    return this.#stopAsked;
  }

  /** True when the worker said it is leaving at a recycling limit. */
  get recycling(): boolean {
    return this.#recycling;
  }

  /** Hands an id to a spare (state `spare`): it runs afterFork and starts tasks (or holds, if `paused`). */
  assign(id: number, limits: WorkerLimits, paused = false, logFile?: string): void {
    if (this.#state !== 'spare') throw new Error(`cannot assign id ${id} to a worker in state ${this.#state}`);
    this.#id = id;
    this.#state = 'loading';
    this.#heardAt = this.#bootFrom = Date.now();
    this.#send({ supervise: 1, type: 'assign', id, limits, paused, ...(logFile !== undefined && { logFile }) });
  }

  /** Asks the worker to send its stdout/stderr to a freshly opened `path` (after a rotation). */
  reopenLogs(path: string): void {
    this.#send({ supervise: 1, type: 'reopen-logs', path });
  }

  /** Asks the worker to hold after its current task (true) or go on (false). */
  setPaused(paused: boolean): void {
    this.#send({ supervise: 1, type: paused ? 'pause' : 'resume' });
  }

  /** A program's last STATUS= text, as last reported; undefined if it wrote none. */
  get status(): string | undefined {
    return this.#status;
  }

  /** How many of its task loops (--concurrency) ran a task, as last reported. */
  get busySlots(): number {
    return this.#busySlots;
  }

  /** True while the worker reports holding between tasks (the pool is paused). */
  get holding(): boolean {
    return this.#holding;
  }

  /**
   * Asks the worker for its counters; resolves when they arrive or after `ms` (a busy synchronous
   * task cannot answer), with whatever is known by then.
   */
  refresh(ms: number): Promise<void> {
    if (this.#state !== 'running' && this.#state !== 'stopping') return Promise.resolve();
    // Concurrent askers (a dashboard, a scrape, `supervise status`) share one question.
    this.#refreshing ??= new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('progress', done);
        this.#refreshing = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.on('progress', done);
      this.#send({ supervise: 1, type: 'report' });
    });
    return this.#refreshing;
  }

  /** Resolves, after the exit, once nothing is left of the worker's process group (never rejects). */
  get groupGone(): Promise<void> {
    return this.#groupGone;
  }

  /** Resolves when the process has exited (never rejects). */
  get exited(): Promise<WorkerExit> {
    return this.#exited;
  }

  /**
   * Asks the worker to stop. Graceful: it finishes its current task and exits, with no deadline.
   * Quick: ctx.signal aborts and the process group gets SIGTERM, then SIGKILL after `graceMs`; the
   * exit is reported once nothing of the group is left, so the worker's own children do not outlive
   * the stop. A process holding no id (a spare, a reload candidate) runs no task, so it is always
   * stopped quickly; one holding an id may already run its first task before the master hears
   * `ready`, so it is never signalled by a graceful stop. Calling it again can only make the stop
   * quicker, never slower.
   */
  stop(graceful: boolean, graceMs: number): void {
    if (this.#state === 'exited') return;
    const wasStopping = this.#state === 'stopping';
    this.#state = 'stopping';
    this.#stopAsked = true;
    if (graceful && this.#id !== undefined) {
      if (!wasStopping) this.#send({ supervise: 1, type: 'stop', graceful: true });
      return;
    }
    if (this.#killTimer !== undefined) return; // a quick stop is already under way
    this.signal('SIGTERM');
    this.#killAt = Date.now() + graceMs;
    this.#killTimer = setTimeout(() => this.kill(), graceMs);
  }

  /** SIGKILLs the worker's process group now; `reason` (a timeout) is kept as `killReason`. */
  kill(reason?: string): void {
    this.#killReason ??= reason;
    this.signal('SIGKILL');
  }

  /** Sends `signal` to the worker's process group (a no-op once it has exited). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#state === 'exited') return;
    trace.worker('worker[%s] pid=%d %s', this.#id, pid, signal);
    this.#signalGroup(pid, signal);
  }

  #send(message: ToWorker): void {
    if (!this.#child.connected) return;
    try {
      this.#child.send(message, () => {});
    } catch {
      // The channel closed under us; the exit event follows.
    }
  }

  #onMessage(message: unknown): void {
    if (!isProtocolMessage(message)) return;
    const msg = message as ToMaster;
    switch (msg.type) {
      case 'loaded':
        this.#loadedAt = Date.now();
        if (this.#state === 'loading' || this.#state === 'spawning') this.#state = 'spare';
        this.emit('loaded');
        break;
      case 'ready':
        this.#readyAt = Date.now();
        this.#heardAt = this.#readyAt;
        if (this.#state === 'loading' || this.#state === 'spawning') this.#state = 'running';
        this.emit('ready');
        break;
      case 'recycle':
        this.#recycling = true;
        this.emit('recycle', msg.reason);
        break;
      case 'failed':
        this.#failure = msg;
        this.emit('failed', msg);
        break;
      case 'progress':
        this.#tasks = msg.tasks;
        this.#busySince = msg.busySince;
        this.#holding = msg.paused === true;
        this.#busySlots = msg.busySlots ?? (msg.busySince !== null ? 1 : 0);
        this.#durations = msg.durations ?? this.#durations;
        this.#status = msg.status ?? this.#status;
        this.#heardAt = Date.now();
        this.emit('progress');
        break;
      default:
        msg satisfies never;
    }
  }

  /**
   * Runs `then` once the IPC channel has closed: 'exit' can come before the last messages (a
   * failure report, a recycle notice) are read, and those must be seen first. Bounded, in case a
   * grandchild holds the channel open.
   */
  #afterMessages(then: () => void): void {
    if (!this.#child.connected) return then();
    const timer = setTimeout(then, CHANNEL_DRAIN_MS);
    this.#child.on('disconnect', () => {
      clearTimeout(timer);
      then();
    });
  }

  /**
   * Runs `then` at once, or, when a quick stop is under way and the exited worker's process group
   * still has members (its own children got the SIGTERM too), once the group is empty: they have
   * what is left of the grace, then the kill timer SIGKILLs the group (supervisord's killasgroup).
   * Fake signalGroups of unit tests have no real groups to wait for.
   */
  #afterGroup(then: () => void): void {
    const pgid = this.#child.pid;
    if (this.#killTimer === undefined || pgid === undefined || this.#signalGroup !== signalProcessGroup || !groupExists(pgid)) return then();
    void groupGoneBy(pgid, this.#killAt + GROUP_KILL_WAIT_MS).then(then);
  }

  #onExit(exit: WorkerExit): void {
    if (this.#state === 'exited') return;
    this.#state = 'exited';
    clearTimeout(this.#killTimer);
    trace.worker('worker[%s] exit code=%s signal=%s', this.#id, exit.code, exit.signal);
    this.#groupGone = this.#sweepGroup();
    this.emit('exit', exit);
  }

  /**
   * After any exit (a crash, a kill, a stop, a recycle): the worker's own children, its process
   * group, get SIGTERM (the worker sent one itself if it could) and SIGKILL once the grace is over,
   * so none outlives it as an orphan. Resolves when the group is empty, or shortly after the kill
   * (zombies count until reaped). Fake signalGroups of unit tests have no real group to sweep.
   */
  async #sweepGroup(): Promise<void> {
    const pgid = this.#child.pid;
    if (pgid === undefined || this.#signalGroup !== signalProcessGroup || !groupExists(pgid)) return;
    trace.worker('worker[%s] pid=%d: its group outlives it; SIGTERM', this.#id, pgid);
    this.#signalGroup(pgid, 'SIGTERM');
    if (await groupGoneBy(pgid, Date.now() + this.#groupGraceMs)) return;
    this.emit('orphans');
    this.#signalGroup(pgid, 'SIGKILL');
    await groupGoneBy(pgid, Date.now() + GROUP_KILL_WAIT_MS);
  }
}
