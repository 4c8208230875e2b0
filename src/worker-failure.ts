/** A worker's reported failure, in words for the log and as the error handed to embedders. */
import { ErrorCode, SuperviseError } from './errors.cjs';
import type { FailedMessage, FailurePhase } from './protocol.cjs';
import type { WorkerFailure } from './supervisor-types.js';

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
