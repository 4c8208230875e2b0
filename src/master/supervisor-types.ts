/**
 * The public types of a Supervisor: a worker's snapshot, its failures, the events, the pool's own
 * state and the options of stop(). Apart from the class so that readers of a type need not load it.
 */
import type { SuperviseError } from '../shared/errors.cjs';
import type { FailurePhase } from '../shared/protocol.cjs';
import type { SpawnWorker } from './spawn-worker.js';
import type { Relaunch, UpgradeHandoff } from './upgrade-types.js';
import type { SignalGroup, WorkerExit, WorkerState } from './worker-handle.js';

/**
 * A worker's state as the pool reports it: its process's state, `waiting` for a respawn held back
 * by backoff, or `exited` for an id whose process is gone and will not come back (the pool stopped).
 */
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
  /** Where it failed: loading the app, in afterFork, in a task, in beforeExit, or an uncaught exception. */
  readonly phase: FailurePhase;
  /**
   * The app's own stack, as the worker saw it (the runtime's frames trimmed; for a syntax error,
   * `file:line`, the offending line and a caret), or undefined when the app threw a non-Error or
   * the failure is not the app's code (missing exports). `stack` is the master's, as for any error.
   */
  readonly appStack: string | undefined;
}

/** The events a Supervisor emits, with their arguments. */
export interface SupervisorEvents {
  /** A process was spawned for an id. */
  fork: [worker: WorkerInfo];
  /** A worker loaded the app, ran afterFork, and is starting tasks. */
  online: [worker: WorkerInfo];
  /** A rolling reload begins (a reload asked for while one runs begins after it). */
  reloading: [];
  /** A rolling reload finished: every id runs the new code. */
  reload: [];
  /** A rolling reload ended without moving every id: the new code failed (E_RELOAD…) or the pool stopped. */
  reloadFailed: [error: unknown];
  /** A worker process ended. */
  exit: [worker: WorkerInfo, exit: WorkerExit];
  /**
   * A worker reported the error it is exiting with. Unlike most emitters, an `error` with no
   * listener is not thrown: the failure is already in the log and the id is respawned.
   */
  error: [failure: WorkerFailure];
  /** A master upgrade begins: a new master (`pid`) is starting from the command line on disk. */
  upgrading: [pid: number | undefined];
  /** The new master `pid` is ready and has the sockets: this pool now stops gracefully. */
  upgraded: [pid: number];
  /** The upgrade failed (E_UPGRADE): the new master is gone, this pool goes on serving. */
  upgradeFailed: [error: SuperviseError];
  /** A stop begins (once, however many stop() calls follow). */
  stopping: [];
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

/** Seams for unit tests and the CLI; not part of the public contract. @internal */
export interface SupervisorInternals {
  readonly spawnWorker?: SpawnWorker;
  readonly signalGroup?: SignalGroup;
  /** How `upgrade()` starts the new master (the CLI's command line as started); default: this process's now. */
  readonly relaunch?: Relaunch;
  /** In a new master: what the old one handed over (the CLI takes it from the environment first); default: read from process.env. */
  readonly upgradeHandoff?: UpgradeHandoff | undefined;
}
