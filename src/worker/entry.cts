/**
 * The worker's runtime, run as a child process by the master: loads the app, (as a spare) waits
 * for an id, runs afterFork once, then workerStart in a loop until told to stop, until the master
 * is gone, or until a recycling limit is reached. CommonJS and lean on purpose: every millisecond
 * of its start-up is paid on every cold respawn.
 */
import { constants } from 'node:os';
import { loadApp, type App, type WorkerContext } from '../shared/app-loader.cjs';
import { firstLine, isSuperviseError } from '../shared/errors.cjs';
import { Histogram, TASK_SECONDS_BOUNDS } from '../shared/histogram.cjs';
import { endChildren, endOwnGroupOnExit } from './children.cjs';
import { shareListeners, type Serving } from './listen.cjs';
import { reopenOutput } from './output.cjs';
import type { Program } from './program.cjs';
import type { TaskSlots } from './task-loop.cjs';
import {
  isProtocolMessage,
  type AssignMessage,
  type FailedMessage,
  type FailurePhase,
  type ProgramConfig,
  type RuntimeConfig,
  type ToMaster,
  type WorkerLimits,
} from '../shared/protocol.cjs';

/** An app with its task function (optional in App only with --listen). */
type RunnableApp = App & Required<Pick<App, 'workerStart'>>;

/** Longest run of instant tasks before the loop yields, so IPC and signals are seen within ~10 ms. */
const YIELD_AFTER_MS = 5;
/** A task shorter than this (ms) is trivial: reading the clock after it costs more than the task. */
const TRIVIAL_TASK_MS = 0.002;
/** Most trivial tasks between two clock reads: bounds how late a yield can come if tasks turn slow. */
const MAX_TASKS_PER_CLOCK_READ = 16;
/** Tasks at least this long (ms) are followed by a check that the master lives (see runTasks). */
const MASTER_CHECK_TASK_MS = 1;
/** How often an idle check confirms the master still exists, and RSS is compared with its limit. */
const HOUSEKEEPING_MS = 1000;

const appPath = process.argv[2] ?? '';
const config = JSON.parse(process.argv[3] ?? '{}') as RuntimeConfig;
/** --grace: how long beforeExit and this worker's own children get at its exit. */
const GRACE_MS = config.graceMs ?? 5000;
const envId = process.env['SUPERVISE_WORKER_ID'];
const masterPid = process.ppid;
const aborter = new AbortController();

let id: number | undefined = envId === undefined || envId === '' ? undefined : Number(envId);
let limits: WorkerLimits = config.limits ?? {};
let maxTasks = Number.POSITIVE_INFINITY;
let tasks = 0;
let busy = false;
let stopping = false;
let failing = false;
let recycleReason: string | undefined;
/** performance.now() when the running task, or the run of trivial tasks it is part of, started: never after the task did. */
let taskStartedAt = 0;
const durations = new Histogram(TASK_SECONDS_BOUNDS);
let paused = config.paused === true;
let releaseHold: (() => void) | undefined;
/** The hold every paused slot waits on, while one is held. */
let hold: Promise<void> | undefined;
/** With --concurrency c > 1: the c task loops (undefined: the single loop of runTasks). */
let slots: TaskSlots | undefined;
let assigned: ((message: AssignMessage) => void) | undefined;
/** With `-- <program>`: the program this worker runs instead of an app, and its last STATUS= text. */
let program: Program | undefined;
let programStatus: string | undefined;
/** With --log-dir: the file this worker's stdout/stderr go to. */
let logFile: string | undefined = config.logFile;
/** With --listen: the shared sockets; their requests count as tasks. */
const serving: Serving | undefined =
  config.listeners !== undefined
    ? shareListeners(config.listeners, {
        requestDone(ms) {
          durations.observe(ms / 1000);
          if (++tasks >= maxTasks) recycle(`served ${tasks} requests`);
        },
      })
    : undefined;
let stopped: (() => void) | undefined;
/** Settles when a stop or a recycle is asked for: a server worker without workerStart waits on it. */
const stopAsked = new Promise<void>((resolve) => (stopped = resolve));

process.title = id === undefined ? 'supervise: spare' : `supervise: worker[${id}]`;

/** Ends the loop after the current task; a quick stop also aborts ctx.signal. A spare just leaves. */
function requestStop(quick: boolean, reason: string): void {
  stopping = true;
  if (assigned !== undefined) process.exit(0);
  releaseHold?.();
  // A SIGTERM reached this worker's whole process group, the program included: it is not sent twice.
  program?.stop(quick, GRACE_MS, reason === 'SIGTERM');
  stopped?.();
  // At once, not after the current task: the other workers take the new connections meanwhile.
  void serving?.drain();
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
    // Loaded only now: a healthy worker never pays for it.
    const report = require('../shared/app-stack.cjs') as typeof import('../shared/app-stack.cjs');
    const stack = report.appStack(error, appPath, phase === 'load');
    const message: FailedMessage = {
      supervise: 1,
      type: 'failed',
      phase,
      message: firstLine(error),
      ...(isSuperviseError(error) ? { code: error.code } : {}),
      ...(stack !== undefined ? { stack } : {}),
    };
    // With --log-dir the worker's own file tells it too (without it, stderr is the master's, which logs it).
    if (logFile !== undefined) process.stderr.write(`supervise: worker[${id ?? 'spare'}] failed (${phase}): ${message.message}\n${(stack ?? '').replace(/^/gm, '    ')}\n`);
    await send(message);
  }
  return process.exit(1);
}

/** True when the process that spawned us is no longer our parent. */
function masterGone(): boolean {
  return process.ppid !== masterPid;
}

/** Asks the loop to end after the current task so the master replaces this worker. */
function recycle(reason: string): void {
  recycleReason ??= reason;
  stopping = true;
  program?.stop(false, GRACE_MS);
  stopped?.();
  void serving?.drain();
}

/** Periodic checks that must not cost the task loop anything: master alive, RSS under its limit. */
function housekeeping(): void {
  if (masterGone()) requestStop(false, 'master gone');
  const maxRss = limits.maxRssBytes;
  if (maxRss !== undefined && id !== undefined && program === undefined) {
    const rss = process.memoryUsage.rss();
    if (rss > maxRss) recycle(`rss ${(rss / 1048576).toFixed(0)} MiB over ${(maxRss / 1048576).toFixed(0)} MiB`);
  }
}

/** The task counters as the master wants them, now. */
function progress(): ToMaster {
  // Floored: rounding up could make a task look younger than it is to --timeout.
  // With slots, the oldest running task's start: --timeout is per task.
  const startedAt = slots !== undefined ? slots.oldestStart() : busy ? taskStartedAt : undefined;
  const busySince = startedAt !== undefined ? Math.floor(performance.timeOrigin + startedAt) : null;
  const busySlots = slots !== undefined ? slots.busy : busy ? 1 : 0;
  const status = programStatus !== undefined ? { status: programStatus } : {};
  const held = (releaseHold !== undefined && busySlots === 0) || program?.held === true;
  return { supervise: 1, type: 'progress', tasks, busySince, busySlots, paused: held, durations: durations.snapshot(), ...status };
}

/** Sends the counters (heartbeat, an answer to 'report', a hold). */
function report(): void {
  void send(progress());
}

/** Pause (hold after the current task) or resume; a hold also ends on stop. */
function setPaused(value: boolean): void {
  paused = value;
  program?.setPaused(value);
  if (!value) releaseHold?.();
}

/** While paused, waits between tasks until resumed or stopped (every slot on one hold); reports the hold so status shows it. */
async function holdWhilePaused(): Promise<void> {
  while (paused && !stopping) {
    hold ??= new Promise<void>((resume) => (releaseHold = resume)).then(() => {
      releaseHold = undefined;
      hold = undefined;
    });
    const held = hold;
    report();
    await held;
  }
  report();
}

/** Sends heartbeats so the master can time out a hung task (or see that this process stopped answering). */
function startHeartbeat(everyMs: number): void {
  setInterval(report, everyMs).unref();
}

/**
 * Calls workerStart until stopping, yielding to the event loop whenever tasks stop doing so
 * themselves. The clock is read after every task, except in a run of trivial tasks (under
 * TRIVIAL_TASK_MS each), where a clock read costs more than the task: then after every few
 * (doubling up to MAX_TASKS_PER_CLOCK_READ), each counted at the run's average duration.
 *
 * `busy` and `taskStartedAt` are read only by event-loop callbacks (heartbeat, report), which run
 * inside a task that awaits something or at the loop's own yields and holds: so `busy` is cleared
 * only around those, and `taskStartedAt` is written only when the clock is read. It holds the
 * current batch's start, so a task is never thought younger than it is.
 */
function runTasks(app: RunnableApp, ctx: WorkerContext): Promise<void> {
  // Constants of this closure rather than locals of the async loop: V8 then knows which function
  // the loop calls and inlines it (the loop's closure is made once per process), where a local
  // is an unknown restored from the suspended frame at every await. ~10 ns of each empty task.
  const workerStart = app.workerStart.bind(app);
  const id = ctx.id;
  let turned = false;
  let lastTurn = performance.now();
  const markTurned = (): void => {
    turned = true;
    lastTurn = performance.now();
  };

  /** The loop itself; a task's throw or rejection ends it and is handled by the caller. */
  const loop = async (): Promise<void> => {
    setImmediate(markTurned);
    busy = true;
    taskStartedAt = performance.now();
    let batch = 0;
    let readEvery = 1;
    while (!stopping) {
      if (paused) {
        busy = false;
        await holdWhilePaused();
        busy = true;
        taskStartedAt = performance.now();
        batch = 0;
      }
      if (stopping) break;
      await workerStart(id, ctx);
      if (++tasks >= maxTasks) recycle(`served ${tasks} tasks`);
      if (++batch < readEvery) continue;
      const now = performance.now();
      const each = (now - taskStartedAt) / batch;
      durations.observe(each / 1000, batch);
      readEvery = each < TRIVIAL_TASK_MS ? Math.min(readEvery * 2, MAX_TASKS_PER_CLOCK_READ) : 1;
      batch = 0;
      taskStartedAt = now;
      // Asked of the kernel, not of the IPC channel: a worker starved past its master's death runs
      // its timers (the task's end) before it reads the channel's end, and would start a new task.
      // Not after trivial tasks: getppid costs ~1 µs, and the yield below sees the channel's end.
      if (each >= MASTER_CHECK_TASK_MS && masterGone()) requestStop(false, 'master gone');
      if (turned) {
        // The event loop ran since we last looked: IPC and signals have been seen.
        turned = false;
        setImmediate(markTurned);
      } else if (now - lastTurn >= YIELD_AFTER_MS) {
        busy = false;
        await new Promise<void>((resume) => setImmediate(resume));
        busy = true;
        taskStartedAt = performance.now();
      }
    }
  };

  // Caught here, once, not around each task: a try around the await costs the loop on every task.
  // Only a task can throw in the loop, and any throw ends it, so nothing is lost by leaving it.
  return loop().catch((error: unknown) => {
    if (aborter.signal.aborted) return; // a task cut short by a quick stop is not a failure
    return fail('task', error);
  });
}

/** With --concurrency c > 1: runs the c slots' loops until stopping; a failed task is handled as in runTasks. */
function runSlots(app: RunnableApp, ctx: WorkerContext, concurrency: number): Promise<void> {
  // Required here, not at the top: a worker without --concurrency never pays for loading it.
  const { TaskSlots: Slots } = require('./task-loop.cjs') as typeof import('./task-loop.cjs');
  slots = new Slots(concurrency);
  let masterCheckedAt = 0;
  return slots
    .run(app, ctx, {
      stopping: () => {
        // As in runTasks, at most once a millisecond: a slot's tasks may be trivial too.
        const now = performance.now();
        if (!stopping && now - masterCheckedAt >= MASTER_CHECK_TASK_MS) {
          masterCheckedAt = now;
          if (masterGone()) requestStop(false, 'master gone');
        }
        return stopping;
      },
      paused: () => paused,
      hold: holdWhilePaused,
      finished(seconds) {
        durations.observe(seconds, 1);
        if (++tasks >= maxTasks) recycle(`served ${tasks} tasks`);
      },
      stop() {
        stopping = true;
      },
    })
    .catch((error: unknown) => {
      if (aborter.signal.aborted) return;
      return fail('task', error);
    });
}

/**
 * Runs the app's beforeExit, bounded: a cleanup that never settles must not keep the process, and
 * with it an id or a reload, for ever (after its master's death nobody else would end it).
 */
async function runBeforeExit(app: App, ctx: WorkerContext): Promise<void> {
  if (app.beforeExit === undefined) return;
  const limitMs = Math.max(GRACE_MS, 1000);
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${limitMs / 1000}s (--grace)`)), limitMs);
  });
  try {
    await Promise.race([app.beforeExit(ctx.id, ctx), overdue]);
  } catch (error) {
    await fail('beforeExit', error);
  } finally {
    clearTimeout(timer);
  }
}

/** As a spare: says the app is loaded, then waits for the master to hand over an id. */
async function awaitAssignment(): Promise<number> {
  const message = await new Promise<AssignMessage>((resolve) => {
    assigned = resolve;
    void send({ supervise: 1, type: 'loaded' });
    performance.now(); // its first call loads perf_hooks (3.6 ms): now, not in a reload's gap before the first task
  });
  assigned = undefined;
  limits = message.limits;
  paused = message.paused;
  if (message.logFile !== undefined) {
    logFile = message.logFile;
    reopenOutput(message.logFile);
  }
  process.env['SUPERVISE_WORKER_ID'] = String(message.id);
  process.title = `supervise: worker[${message.id}]`;
  return message.id;
}

/** Keeps a broken stdout/stderr (the master's reader gone) from crashing a task mid-way. */
function tolerateBrokenOutput(): void {
  const ignore = (): void => {};
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
}

/**
 * An app that closes the IPC channel itself leaves the master unable to stop or reload this worker,
 * and its exit unexplained: tell the master why first. The worker then finishes its task and is replaced.
 */
function sayWhyOnDisconnect(): void {
  const disconnect = process.disconnect?.bind(process);
  if (disconnect === undefined) return;
  process.disconnect = (): void => {
    if (process.connected) void send({ supervise: 1, type: 'recycle', reason: 'the app called process.disconnect()' });
    disconnect();
  };
}

/**
 * Loads the app with the IPC channel unref'd, so that an app whose top level awaits something that
 * can never settle leaves the event loop empty: that is reported as a load failure instead of a
 * start that hangs for ever. Anything real the app waits for (a socket, a timer) keeps the loop alive.
 */
async function loadStallProof(path: string): Promise<App> {
  const stalled = (): void => void fail('load', new Error(`app ${path} never finished loading: its top-level code awaits something that can never settle`));
  process.channel?.unref();
  process.once('beforeExit', stalled);
  try {
    return await loadApp(path, 0, serving !== undefined);
  } finally {
    process.off('beforeExit', stalled);
    process.channel?.ref();
  }
}

/**
 * With `-- <program>`: runs it as this worker's child (this process keeps watching the master),
 * counts its BUSY..IDLE spans as tasks, and exits as it did: with its code (128+n for a signal).
 */
async function runProgram(spec: ProgramConfig, id: number): Promise<never> {
  void send({ supervise: 1, type: 'ready' });
  // Spawned while the pool is paused: the program starts only on resume (it never ran, so it holds).
  if (paused && spec.pauseSignal !== undefined) await holdWhilePaused();
  if (stopping) return process.exit(0);
  // Required here, not at the top: a worker running an app never pays for loading it.
  const { Program: ProgramRunner } = require('./program.cjs') as typeof import('./program.cjs');
  const run = new ProgramRunner(spec, id, {
    busy: () => {
      busy = true;
      taskStartedAt = performance.now();
    },
    idle: () => {
      busy = false;
      durations.observe((performance.now() - taskStartedAt) / 1000, 1);
      if (++tasks >= maxTasks) recycle(`served ${tasks} tasks`);
    },
    status: (text) => {
      programStatus = text;
    },
    held: report,
  }, (config.listeners ?? []).map((listener) => listener.fd));
  program = run;
  if (stopping) run.stop(false, GRACE_MS); // asked to stop while spawning
  if (config.heartbeatMs !== undefined) startHeartbeat(config.heartbeatMs);
  const exit = await run.exited;
  // The SIGTERM of a quick stop reaches the program and this process at once: let this one's
  // handler (and a stop message in flight) run before deciding the exit was the program's own.
  await new Promise((resume) => setTimeout(resume, 20));
  busy = false;
  await send(progress());
  if (exit.error !== undefined) return fail('load', exit.error);
  const code = exit.code ?? 128 + (exit.signal !== null ? (constants.signals[exit.signal] ?? 0) : 0);
  if (stopping) {
    if (recycleReason !== undefined) await send({ supervise: 1, type: 'recycle', reason: recycleReason });
    if (exit.killed) process.stderr.write(`supervise: worker[${id}] program pid=${run.pid} did not exit in time after its stop signal: SIGKILL\n`);
    return process.exit(exit.killed || exit.signal === null ? code : 0);
  }
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${code}`;
  if (exit.code !== null && spec.exitCodes.includes(code)) await send({ supervise: 1, type: 'recycle', reason: `program ${how}` });
  else await send({ supervise: 1, type: 'failed', phase: 'task', message: `program ${spec.command[0]} ${how}` });
  return process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGTERM', () => requestStop(true, 'SIGTERM'));
  process.on('SIGINT', () => requestStop(true, 'SIGINT'));
  process.on('SIGQUIT', () => requestStop(false, 'SIGQUIT'));
  // HUP, TTIN and TTOU are the master's to act on; a worker must not die or stop on them.
  for (const signal of ['SIGHUP', 'SIGTTIN', 'SIGTTOU'] as const) process.on(signal, () => {});
  process.on('disconnect', () => requestStop(false, 'master gone'));
  process.on('message', (message: unknown) => {
    if (!isProtocolMessage(message)) return;
    switch (message.type) {
      case 'stop':
        return requestStop(!message.graceful, 'asked by master');
      case 'assign':
        return assigned?.(message);
      case 'pause':
      case 'resume':
        return setPaused(message.type === 'pause');
      case 'report':
        return report();
      case 'reopen-logs':
        return reopenOutput(message.path);
      default:
        return; // a master→worker message in the other direction: not for us
    }
  });
  process.on('uncaughtException', (error) => void fail('uncaught', error));
  endOwnGroupOnExit();
  sayWhyOnDisconnect();
  setInterval(housekeeping, HOUSEKEEPING_MS).unref();
  tolerateBrokenOutput();

  let app: App | undefined;
  try {
    if (config.program === undefined) app = await loadStallProof(appPath);
  } catch (error) {
    return fail('load', error);
  }
  if (stopping) return process.exit(0);
  id ??= await awaitAssignment();
  if (limits.maxTasks !== undefined) maxTasks = limits.maxTasks;
  if (app === undefined) return runProgram(config.program!, id);
  const ctx: WorkerContext = Object.freeze({ id, signal: aborter.signal, ...(serving !== undefined && { listeners: serving.listeners }) });
  const concurrency = config.concurrency ?? 1;
  try {
    await app.afterFork?.(id, ctx);
  } catch (error) {
    return fail('afterFork', error);
  }
  if (config.heartbeatMs !== undefined) startHeartbeat(config.heartbeatMs);
  // Not awaited: the first task starts in this same tick, before the master can act on `ready`
  // (a reload stops the next old worker on it, and must find this one already working).
  // A server is ready once it listens on every shared socket (started at load or in afterFork).
  if (serving !== undefined) await Promise.race([serving.listening(), stopAsked]);
  void send({ supervise: 1, type: 'ready' });
  if (app.workerStart === undefined) await stopAsked;
  else await (concurrency > 1 ? runSlots(app as RunnableApp, ctx, concurrency) : runTasks(app as RunnableApp, Object.freeze({ ...ctx, slot: 0 })));
  // Every in-flight request answered, every connection closed: only then is the worker done.
  await serving?.drain();
  // The final counts, so the master's totals miss none of this process's tasks.
  busy = false; // also after a task cut short by a quick stop
  await send(progress());
  if (recycleReason !== undefined) await send({ supervise: 1, type: 'recycle', reason: recycleReason });
  await runBeforeExit(app, ctx);
  await endChildren(GRACE_MS);
  process.exit(0);
}

void main();
