/** A worker's reported failure and its exit, in words for the log and as the error handed to embedders. */
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import type { FailedMessage, FailurePhase } from '../shared/protocol.cjs';
import type { WorkerFailure } from './supervisor-types.js';
import type { WorkerExit } from './worker-handle.js';

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
  return Object.assign(error, { worker: id, phase: message.phase });
}

/** What the log says of an exit: "worker[1] exited code=1 pid=123 before it was ready". */
export function exitLine(id: number, handle: ExitedProcess, exit: WorkerExit): string {
  const early = handle.readyAt === undefined ? ' before it was ready' : '';
  return `worker[${id}] exited ${exitHow(exit)} pid=${handle.pid}${early}`;
}

/** What the master knows of a process that exited. */
export interface ExitedProcess {
  readonly pid: number | undefined;
  readonly readyAt: number | undefined;
  readonly failure: FailedMessage | undefined;
  readonly killReason: string | undefined;
}

/** The error a start fails with when worker `id` exited before it was ready. */
export function startFailure(id: number, handle: ExitedProcess, exit: WorkerExit): SuperviseError {
  if (handle.failure !== undefined) return workerFailure(id, handle.failure);
  return new SuperviseError(ErrorCode.APP_LOAD, `worker[${id}] ${handle.killReason ?? `exited ${exitHow(exit)} before it was ready`}`);
}

function exitHow(exit: WorkerExit): string {
  return exit.signal !== null ? `signal=${exit.signal}` : `code=${exit.code}`;
}
