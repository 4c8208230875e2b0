/**
 * The worker's runtime, run as a child process by the master: loads the app, runs afterFork once,
 * then workerStart in a loop until told to stop or until the master is gone. CommonJS and lean on
 * purpose: every millisecond of its start-up is paid on every respawn.
 */
import { loadApp, type App, type WorkerContext } from './app-loader.cjs';
import { firstLine, isSuperviseError } from './errors.cjs';
import { isProtocolMessage, type FailedMessage, type FailurePhase, type ToMaster } from './protocol.cjs';

/** Longest run of instant tasks before the loop yields, so IPC and signals are seen within ~10 ms. */
const YIELD_AFTER_MS = 5;
/** How often an idle check confirms the master still exists, in case no disconnect is delivered. */
const PARENT_CHECK_MS = 1000;

const id = Number(process.env['SUPERVISE_WORKER_ID']);
const appPath = process.argv[2] ?? '';
const masterPid = process.ppid;
process.title = `supervise: worker[${id}]`;

const aborter = new AbortController();
const ctx: WorkerContext = Object.freeze({ id, signal: aborter.signal });
let stopping = false;
let failing = false;

/** Ends the loop after the current task; a quick stop also aborts ctx.signal. */
function requestStop(quick: boolean, reason: string): void {
  stopping = true;
  if (quick && !aborter.signal.aborted) aborter.abort(new Error(`worker[${id}] is stopping (${reason})`));
}

/** Sends one message to the master; resolves once written, or at once when the master is gone. */
function send(message: ToMaster): Promise<void> {
  return new Promise((done) => {
    if (process.send === undefined || !process.connected) return done();
    try {
      process.send(message, undefined, undefined, () => done());
    } catch {
      done();
    }
  });
}

/** Reports why this worker is giving up, then exits 1 so the master respawns the id. */
async function fail(phase: FailurePhase, error: unknown): Promise<never> {
  if (!failing) {
    failing = true;
    const stack = error instanceof Error ? error.stack : undefined;
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.stack : undefined;
    const message: FailedMessage = {
      supervise: 1,
      type: 'failed',
      phase,
      message: firstLine(error),
      ...(isSuperviseError(error) ? { code: error.code } : {}),
      ...(cause ?? stack ? { stack: (cause ?? stack) as string } : {}),
    };
    await send(message);
  }
  return process.exit(1);
}

/** True when the process that spawned us is no longer our parent. */
function masterGone(): boolean {
  return process.ppid !== masterPid;
}

/** Calls workerStart until stopping, yielding to the event loop whenever tasks stop doing so themselves. */
async function runTasks(app: App): Promise<void> {
  let turned = false;
  let lastTurn = performance.now();
  const markTurned = (): void => {
    turned = true;
    lastTurn = performance.now();
  };
  setImmediate(markTurned);
  while (!stopping) {
    try {
      await app.workerStart(id, ctx);
    } catch (error) {
      if (aborter.signal.aborted) break; // a task cut short by a quick stop is not a failure
      await fail('task', error);
    }
    if (turned) {
      // The event loop ran since we last looked: IPC and signals have been seen.
      turned = false;
      setImmediate(markTurned);
    } else if (performance.now() - lastTurn >= YIELD_AFTER_MS) {
      await new Promise<void>((resume) => setImmediate(resume));
      if (masterGone()) requestStop(false, 'master gone');
    }
  }
}

/** Keeps a broken stdout/stderr (the master's reader gone) from crashing a task mid-way. */
function tolerateBrokenOutput(): void {
  const ignore = (): void => {};
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}

async function main(): Promise<void> {
  process.on('SIGTERM', () => requestStop(true, 'SIGTERM'));
  process.on('SIGINT', () => requestStop(true, 'SIGINT'));
  process.on('SIGQUIT', () => requestStop(false, 'SIGQUIT'));
  // HUP, TTIN and TTOU are the master's to act on; a worker must not die or stop on them.
  for (const signal of ['SIGHUP', 'SIGTTIN', 'SIGTTOU'] as const) process.on(signal, () => {});
  process.on('disconnect', () => requestStop(false, 'master gone'));
  process.on('message', (message: unknown) => {
    if (isProtocolMessage(message) && message.type === 'stop') requestStop(!message.graceful, 'asked by master');
  });
  process.on('uncaughtException', (error) => void fail('uncaught', error));
  setInterval(() => masterGone() && requestStop(false, 'master gone'), PARENT_CHECK_MS).unref();
  tolerateBrokenOutput();

  let app: App;
  try {
    app = await loadApp(appPath);
  } catch (error) {
    return fail('load', error);
  }
  if (stopping) return process.exit(0);
  try {
    await app.afterFork?.(id, ctx);
  } catch (error) {
    return fail('afterFork', error);
  }
  await send({ supervise: 1, type: 'ready' });
  await runTasks(app);
  process.exit(0);
}

void main();
