/**
 * The IPC messages between master and worker. Each carries the `supervise` marker so that messages
 * an app sends on its own channel are never mistaken for ours.
 */
import type { HistogramSnapshot } from './histogram.cjs';

/** Marker key present (with value 1) on every message of this protocol. */
export const MARKER = 'supervise';

/** Master → worker: stop after the current task (`graceful`) or abort it now (quick). */
export interface StopMessage {
  readonly supervise: 1;
  readonly type: 'stop';
  readonly graceful: boolean;
}

/** Master → worker: hold after the current task (pause) or go on (resume). */
export interface HoldMessage {
  readonly supervise: 1;
  readonly type: 'pause' | 'resume';
}

/** Master → worker: reply with a ProgressMessage now (for status and metrics). */
export interface ReportMessage {
  readonly supervise: 1;
  readonly type: 'report';
}

/** Master → worker: send stdout/stderr to a freshly opened `path` (the old file was rotated or moved). */
export interface ReopenLogsMessage {
  readonly supervise: 1;
  readonly type: 'reopen-logs';
  readonly path: string;
}

/** Limits a worker applies to itself once it holds an id (recycling). */
export interface WorkerLimits {
  /** Exit (to be replaced) after this many tasks. */
  readonly maxTasks?: number;
  /** Exit (to be replaced) after the task during which RSS passed this many bytes. */
  readonly maxRssBytes?: number;
}

/** Master → spare: take this id, run afterFork, start tasks. */
export interface AssignMessage {
  readonly supervise: 1;
  readonly type: 'assign';
  readonly id: number;
  readonly limits: WorkerLimits;
  /** The pool is paused: hold before the first task. */
  readonly paused: boolean;
  /** With --log-dir: the id's own log file, to write to from now on. */
  readonly logFile?: string;
}

/** Worker → master: (a spare) the app is loaded; waiting for an id. */
export interface LoadedMessage {
  readonly supervise: 1;
  readonly type: 'loaded';
}

/** Worker → master: leaving after its last task because it reached a recycling limit. */
export interface RecycleMessage {
  readonly supervise: 1;
  readonly type: 'recycle';
  readonly reason: string;
}

/** Worker → master: the app is loaded and afterFork has run; tasks start now. */
export interface ReadyMessage {
  readonly supervise: 1;
  readonly type: 'ready';
}

/** Where in its life a worker failed. */
export type FailurePhase = 'load' | 'afterFork' | 'task' | 'beforeExit' | 'uncaught';

/** Worker → master: the worker is about to exit because of this error. */
export interface FailedMessage {
  readonly supervise: 1;
  readonly type: 'failed';
  readonly phase: FailurePhase;
  /** SuperviseError code when the failure is one of ours (e.g. E_APP_EXPORTS). */
  readonly code?: string;
  readonly message: string;
  readonly stack?: string;
}

/** Worker → master: heartbeat with task counters, sent every heartbeat interval when --timeout is on. */
export interface ProgressMessage {
  readonly supervise: 1;
  readonly type: 'progress';
  /** Tasks completed since the worker started. */
  readonly tasks: number;
  /** Epoch ms by which the running task had started (at most one heartbeat late), or null between tasks. */
  readonly busySince: number | null;
  /** True while the worker holds between tasks because the pool is paused. */
  readonly paused?: boolean;
  /** How many of the process's task loops (--concurrency) run a task now. */
  readonly busySlots?: number;
  /** Durations of every task this process has finished. */
  readonly durations?: HistogramSnapshot;
  /** A program's last STATUS= line, if it wrote one. */
  readonly status?: string;
}

/** Everything the master may send. */
export type ToWorker = StopMessage | AssignMessage | HoldMessage | ReportMessage | ReopenLogsMessage;
/** Everything a worker may send. */
export type ToMaster = LoadedMessage | ReadyMessage | FailedMessage | ProgressMessage | RecycleMessage;

/** How a worker runs a program instead of an app (`supervise -- <program> [args…]`). */
export interface ProgramConfig {
  /** Absolute path of the program, then its arguments; `{id}` not yet replaced. */
  readonly command: readonly string[];
  /** Sent to the program by a graceful stop. */
  readonly stopSignal: NodeJS.Signals;
  /** How long a graceful stop waits for the program's IDLE, then for its exit, before SIGKILL. */
  readonly stopWaitMs: number;
  /** Exit codes that mean "recycled on purpose" (the master respawns with no backoff). */
  readonly exitCodes: readonly number[];
  /** Sent to hold the program after its job (pause) and to let it go on (resume); absent: pause never reaches the program. */
  readonly pauseSignal?: NodeJS.Signals;
  readonly resumeSignal?: NodeJS.Signals;
  /** The pool's size when this worker was spawned: SUPERVISE_WORKERS. */
  readonly workers: number;
  /** Absolute path of util-linux's setpriv, to give the program a parent-death signal; absent when not installed. */
  readonly setpriv?: string;
}

/** One shared listening socket, as a worker inherits it (see src/worker/listen.cts). */
export interface ListenerConfig {
  /** Its fd in the worker. */
  readonly fd: number;
  /** TCP: the bound port, which an app's listen(port) is matched on. */
  readonly port?: number;
  /** TCP: the host --listen named (absent: every interface); an app's listen(port, host) must agree. */
  readonly host?: string;
  /** Unix: the socket path, which an app's listen(path) is matched on. */
  readonly path?: string;
}

/** Runtime settings the master passes on a worker's command line (JSON, argv[3]). */
export interface RuntimeConfig {
  /** Send a ProgressMessage this often (ms); absent: never. */
  readonly heartbeatMs?: number;
  /** --grace in ms: bounds the app's beforeExit (at least a second) and the wait for the worker's own children. */
  readonly graceMs?: number;
  /** Limits for a worker spawned with its id; spares get theirs with the assignment. */
  readonly limits?: WorkerLimits;
  /** Start held: the pool is paused, so no task until a resume message. */
  readonly paused?: boolean;
  /** With --log-dir: the file stdout/stderr already go to (reopened on rotation). */
  readonly logFile?: string;
  /** Run this program instead of loading an app. */
  readonly program?: ProgramConfig;
  /** --concurrency: task loops in the process; absent: 1. */
  readonly concurrency?: number;
  /** With --listen: the shared sockets, inherited as fds from 4 on. */
  readonly listeners?: readonly ListenerConfig[];
}

/** True when `value` is a message of this protocol (of either direction). */
export function isProtocolMessage(value: unknown): value is ToWorker | ToMaster {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[MARKER] === 1;
}
