/** A worker's reported failure and its exit, in words for the log and as the error handed to embedders. */
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import type { FailedMessage, FailurePhase } from '../shared/protocol.cjs';
import type { WorkerFailure } from './supervisor-types.js';
import type { WorkerExit } from './worker-handle.js';
import { describeSpawnError } from './spawn-error.js';
import type { Logger } from '../shared/log.js';

const PHASE_WORDS: Record<FailurePhase, string> = {
  load: 'failed to load the app',
  afterFork: 'failed in afterFork',
  task: 'failed in a task',
  beforeExit: 'failed in beforeExit',
  uncaught: 'failed with an uncaught exception',
};

/** "failed in a task: <message>": what a failure reads as after the process's name. */
export function describeFailure(message: FailedMessage): string {
  return `${PHASE_WORDS[message.phase]}: ${message.message}`;
}

/** The SuperviseError for worker `id`'s reported failure: app errors keep their code, the rest are E_WORKER. */
export function workerFailure(id: number, message: FailedMessage): WorkerFailure {
  const code =
    message.phase !== 'load' ? ErrorCode.WORKER : message.code === ErrorCode.APP_EXPORTS ? ErrorCode.APP_EXPORTS : ErrorCode.APP_LOAD;
  const error = new SuperviseError(code, `worker[${id}] ${describeFailure(message)}`);
  return Object.assign(error, { worker: id, phase: message.phase, appStack: message.stack });
}

/** What the log says of an exit: "worker[1] exited code=1 pid=123 before it was ready". */
export function exitLine(id: number, handle: ExitedProcess, exit: WorkerExit): string {
  if (handle.spawnError !== undefined) return `worker[${id}] could not be spawned: ${describeSpawnError(handle.spawnError)}`;
  const early = handle.readyAt === undefined ? ' before it was ready' : '';
  return `worker[${id}] exited ${exitHow(exit)} pid=${handle.pid}${early}`;
}

/** Why a process failed, in a phrase fit for `status`: the spawn's error, its reported failure, its kill, or how it exited. */
export function exitReason(handle: ExitedProcess, exit: WorkerExit): string {
  if (handle.spawnError !== undefined) return `could not be spawned: ${describeSpawnError(handle.spawnError)}`;
  if (handle.failure !== undefined) return describeFailure(handle.failure);
  if (handle.killReason !== undefined) return handle.killReason;
  return `exited ${exitHow(exit)}${handle.readyAt === undefined ? ' before it was ready' : ' soon after it was ready'}`;
}

/** What the master knows of a process that exited. */
export interface ExitedProcess {
  readonly pid: number | undefined;
  readonly readyAt: number | undefined;
  readonly failure: FailedMessage | undefined;
  readonly killReason: string | undefined;
  /** Why the OS refused the spawn, if it did. */
  readonly spawnError: Error | undefined;
}

/** How many early failures in a row of one id, during start, fail the start (a worker that dies right after ready). */
export const START_TRIES = 3;
/** How long a start keeps its log lines back, hoping to settle (or fail) in one summary line. */
export const START_HOLD_MS = 3000;

/**
 * The error a start fails with when worker `id` exited before it was ready, or (`tries` early
 * failures in a row, START_TRIES) right after it became ready: its own failure when it reported
 * one, else how it ended.
 */
export function startFailure(id: number, handle: ExitedProcess, exit: WorkerExit, tries = 1): SuperviseError {
  if (handle.failure !== undefined) return workerFailure(id, handle.failure);
  if (handle.spawnError !== undefined) return new SuperviseError(ErrorCode.SPAWN, exitLine(id, handle, exit), { cause: handle.spawnError });
  if (handle.readyAt !== undefined) return new SuperviseError(ErrorCode.WORKER, `worker[${id}] exited ${exitHow(exit)} right after it became ready, ${tries} times in a row`);
  return new SuperviseError(ErrorCode.APP_LOAD, `worker[${id}] ${handle.killReason ?? `exited ${exitHow(exit)} before it was ready`}`);
}

/** Start failures already logged as the summary of a failed start (the CLI need not print them again). */
const summarised = new WeakSet<Error>();

/** True when `error` is a failed start's summary that the pool's log already holds. */
export function isLoggedStartFailure(error: unknown): boolean {
  return error instanceof Error && summarised.has(error);
}

/**
 * Ends a failed start: drops the lines held back since it began (they led up to the failure),
 * logs the one summary line with the app's stack, then runs `stop` with its own lines dropped too
 * (what a stop after a failed start says is noise), so the summary is the last line. Lines
 * already released (a slow start) stay.
 */
export async function logStartFailure(log: Logger, error: SuperviseError, stop: () => Promise<void>): Promise<void> {
  log.release(false);
  const appStack = (error as Partial<WorkerFailure>).appStack;
  log.error('start-failed', `start failed: ${error.message}`, { error: error.message, code: error.code, stack: appStack });
  summarised.add(error);
  log.hold();
  try {
    await stop();
  } finally {
    log.release(false);
  }
}

function exitHow(exit: WorkerExit): string {
  return exit.signal !== null ? `signal=${exit.signal}` : `code=${exit.code}`;
}
