/**
 * The IPC messages between master and worker. Each carries the `supervise` marker so that messages
 * an app sends on its own channel are never mistaken for ours.
 */

/** Marker key present (with value 1) on every message of this protocol. */
export const MARKER = 'supervise';

/** Master → worker: stop after the current task (`graceful`) or abort it now (quick). */
export interface StopMessage {
  readonly supervise: 1;
  readonly type: 'stop';
  readonly graceful: boolean;
}

/** Worker → master: the app is loaded and afterFork has run; tasks start now. */
export interface ReadyMessage {
  readonly supervise: 1;
  readonly type: 'ready';
}

/** Where in its life a worker failed. */
export type FailurePhase = 'load' | 'afterFork' | 'task' | 'uncaught';

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

/** Worker → master: task counters, sent at most a few times a second and only when changed. */
export interface ProgressMessage {
  readonly supervise: 1;
  readonly type: 'progress';
  /** Tasks completed since the worker started. */
  readonly tasks: number;
  /** Epoch ms when the running task started, or null between tasks. */
  readonly busySince: number | null;
}

/** Everything the master may send. */
export type ToWorker = StopMessage;
/** Everything a worker may send. */
export type ToMaster = ReadyMessage | FailedMessage | ProgressMessage;

/** True when `value` is a message of this protocol (of either direction). */
export function isProtocolMessage(value: unknown): value is ToWorker | ToMaster {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[MARKER] === 1;
}
