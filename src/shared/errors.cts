/**
 * The error catalogue. Every error supervise raises for a user's mistake is a SuperviseError with a
 * stable `code`, a one-line `message` fit to print as is, and the underlying `cause` when there is one.
 */

/** Stable codes of SuperviseError; match on these, never on messages. */
export const ErrorCode = {
  /** An option has a bad value; the message quotes it. */
  OPTION: 'E_OPTION',
  /** The app file does not exist or is not a file. */
  APP_NOT_FOUND: 'E_APP_NOT_FOUND',
  /** The app threw (or its module failed to parse) while loading; `cause` holds the app's error. */
  APP_LOAD: 'E_APP_LOAD',
  /** The app loaded but does not export `workerStart` (or a hook is not a function). */
  APP_EXPORTS: 'E_APP_EXPORTS',
  /** A worker failed after loading: in afterFork, in a task, or with an uncaught exception. */
  WORKER: 'E_WORKER',
  /** The pid file names a master that is still alive, or cannot be written. */
  PID_FILE: 'E_PID_FILE',
  /** A reload was abandoned: the new code failed to load; the old workers keep running. */
  RELOAD: 'E_RELOAD',
  /** A method was called in a state that forbids it, such as `start()` twice. */
  STATE: 'E_STATE',
  /** The operation was abandoned because the supervisor was stopped meanwhile. */
  STOPPED: 'E_STOPPED',
  /** The control socket cannot be served (held by a live master, path too long) or reached (no master). */
  CONTROL: 'E_CONTROL',
  /** The OS refused to start a worker process (EMFILE, EAGAIN, ENOMEM, EACCES…); the message names the limit. */
  SPAWN: 'E_SPAWN',
  /** The --log-dir cannot be created or written. */
  LOG: 'E_LOG',
  /** A --listen address cannot be bound (in use, no permission, no such interface). */
  LISTEN: 'E_LISTEN',
  /** A master upgrade cannot be done (no listeners, PID 1, systemd without notify) or the new master failed to start; the old one keeps serving. */
  UPGRADE: 'E_UPGRADE',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An error with a stable `code` from {@link ErrorCode}. Its `message` is one line naming the problem
 * and, where there is one, the bad value; `cause` carries the original error.
 */
export class SuperviseError extends Error {
  /** Which kind of failure this is. */
  readonly code: ErrorCodeValue;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SuperviseError';
    this.code = code;
  }
}

/** True when `value` is a SuperviseError (also across module copies, by shape). */
export function isSuperviseError(value: unknown): value is SuperviseError {
  return (
    value instanceof SuperviseError ||
    (value instanceof Error && value.name === 'SuperviseError' && typeof (value as { code?: unknown }).code === 'string')
  );
}

/** The first line of an error's message, for one-line logs; non-errors are stringified. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n', 1)[0] ?? '';
  return line.trim() || (error instanceof Error ? error.name : 'unknown error');
}
