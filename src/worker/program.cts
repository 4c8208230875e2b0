/**
 * In a worker running a program (`supervise -- <program> [args…]`): the program as this process's
 * child, its notify socket (READY/BUSY/IDLE/STATUS lines in, CONTINUE/STOP answers out), and its stop:
 * the stop signal once it is idle, SIGKILL after --stop-wait. Lean: imports nothing of master/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { ProgramConfig } from '../shared/protocol.cjs';

/**
 * The fd the program finds its notify socket on, named in SUPERVISE_NOTIFY_FD: 3, or with --listen
 * the first after the sockets, which take fds 3, 4, … as systemd passes them (LISTEN_FDS).
 */
export const NOTIFY_FD = 3;

/**
 * Sets LISTEN_PID to the program's own pid, systemd-style: Node cannot know a child's pid before it
 * runs, but a shell's $$ is the pid its `exec` hands to the program.
 */
const WITH_LISTEN_PID = 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"';
/** Longest notify line kept: a program writing garbage without newlines must not grow our memory. */
const MAX_LINE = 4096;
/**
 * How long a graceful stop waits for the BUSY=1 of a program just told CONTINUE before taking it
 * for idle: a job loop that goes straight to its next job writes BUSY=1 at once, but a loaded
 * machine may not run it for a while, and a stop signal in that gap would cut the job it begins.
 * A program that waits for work after CONTINUE is signalled when this runs out.
 */
const CONTINUE_SETTLE_MS = 2000;

/** What the worker's task accounting hears from the program. */
export interface ProgramHooks {
  /** BUSY=1: a job began. */
  busy(): void;
  /** IDLE=1 after BUSY=1: a job finished. */
  idle(): void;
  /** STATUS=<text>. */
  status(text: string): void;
  /** The program may have begun to hold (paused and between jobs): report it. */
  held?(): void;
}

/** How the program ended: a code, or the signal that ended it, or the error that kept it from starting. */
export interface ProgramExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
  /** True when this worker SIGKILLed it after --stop-wait (or, in a quick stop, after --grace). */
  readonly killed: boolean;
}

/** `{id}` in `arg` becomes `id`; `{{id}}` writes a literal `{id}`. */
export function expandId(arg: string, id: number): string {
  return arg.replace(/\{\{id\}\}|\{id\}/g, (match) => (match === '{id}' ? String(id) : '{id}'));
}

/**
 * One program process. `stop(false)` is graceful: a program that said BUSY=1 is let finish (up to
 * --stop-wait) and told STOP after its IDLE=1; then it gets the stop signal and --stop-wait to exit
 * before SIGKILL. `stop(true)` is quick: SIGTERM (unless the process group already had it) and
 * SIGKILL after `graceMs`. A second stop can only make it quicker.
 */
export class Program {
  /** Resolves once the program has exited (or failed to start); never rejects. */
  readonly exited: Promise<ProgramExit>;
  readonly #child: ChildProcess;
  readonly #config: ProgramConfig;
  readonly #hooks: ProgramHooks;
  readonly #notify: Socket | undefined;
  #busy = false;
  #stopPending = false;
  #signalled = false;
  #killed = false;
  #quick = false;
  #done = false;
  #timer: NodeJS.Timeout | undefined;
  /** performance.now() when the program was told CONTINUE, until its next BUSY=1 or IDLE=1. */
  #continuedAt: number | undefined;
  #partial = '';
  /** Paused: the pause signal was sent; `held` once the program is also between jobs. */
  #paused = false;

  /** `listenFds`: this worker's fds of the --listen sockets, passed to the program as fds 3, 4, … (LISTEN_FDS). */
  constructor(config: ProgramConfig, id: number, hooks: ProgramHooks, listenFds: readonly number[] = []) {
    this.#config = config;
    this.#hooks = hooks;
    const expanded = config.command.map((arg) => expandId(arg, id));
    const argv = listenFds.length > 0 ? ['/bin/sh', '-c', WITH_LISTEN_PID, 'supervise', ...expanded] : expanded;
    const notifyFd = NOTIFY_FD + listenFds.length;
    const listenEnv = listenFds.length > 0 ? { LISTEN_FDS: String(listenFds.length) } : {};
    // Through setpriv, the program gets its stop signal if this process dies abruptly (SIGKILL, OOM).
    const [file, ...args] = config.setpriv !== undefined ? [config.setpriv, '--pdeathsig', config.stopSignal, '--', ...argv] : argv;
    this.#child = spawn(file!, args, {
      env: { ...process.env, SUPERVISE_WORKER_ID: String(id), SUPERVISE_WORKERS: String(config.workers), SUPERVISE_NOTIFY_FD: String(notifyFd), ...listenEnv },
      // stdout/stderr are this worker's own fds (the terminal, or the id's log file); then the
      // --listen sockets (fds 3, 4, …), then the notify socketpair.
      stdio: ['ignore', 'inherit', 'inherit', ...listenFds, 'pipe'],
      // In this worker's process group: the master's quick stop, --timeout kill and post-exit sweep reach it.
      detached: false,
    });
    this.#notify = this.#child.stdio[notifyFd] as Socket | undefined;
    this.#notify?.setEncoding('utf8');
    this.#notify?.on('data', (chunk: string) => this.#onData(chunk));
    this.#notify?.on('error', () => {}); // the program closed its end: it may, and it still runs
    this.exited = new Promise((resolve) => {
      const finish = (exit: Omit<ProgramExit, 'killed'>): void => {
        if (this.#done) return;
        this.#done = true;
        clearTimeout(this.#timer);
        this.#notify?.destroy();
        resolve({ ...exit, killed: this.#killed });
      };
      this.#child.once('exit', (code, signal) => finish({ code, signal }));
      this.#child.once('error', (error) => {
        if (this.#child.pid === undefined) finish({ code: null, signal: null, error });
      });
    });
  }

  /** The program's pid (setpriv execs it, so the same process), once spawned. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Asks the program to stop: gracefully (false) or quickly (true); `signalled`: its group already got SIGTERM. */
  stop(quick: boolean, graceMs: number, signalled = false): void {
    if (this.#done) return;
    if (quick) {
      if (this.#quick) return; // a quick stop is under way
      this.#quick = true;
      clearTimeout(this.#timer);
      this.#stopPending = false;
      if (!signalled) this.#kill('SIGTERM');
      this.#signalled = true;
      this.#timer = setTimeout(() => this.#forceKill(), graceMs);
      return;
    }
    if (this.#stopPending || this.#signalled) return;
    this.#stopPending = true;
    // A BUSY=1 already written may still be unread: let the event loop read the socket (two turns) first.
    setImmediate(() =>
      setImmediate(() => {
        if (this.#done || !this.#stopPending) return;
        if (this.#busy) return this.#awaitIdle();
        const settle = this.#continuedAt === undefined ? 0 : CONTINUE_SETTLE_MS - (performance.now() - this.#continuedAt);
        if (settle <= 0) return this.#sendStopSignal();
        // Just told CONTINUE: its BUSY=1 may be on the way (then #awaitIdle), else it is idle.
        this.#timer = setTimeout(() => this.#sendStopSignal(), Math.min(settle, this.#config.stopWaitMs));
      }),
    );
  }

  /** Busy with a stop pending: its IDLE=1 sends the signal; --stop-wait bounds the wait for it. */
  #awaitIdle(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#sendStopSignal(), this.#config.stopWaitMs);
  }

  /**
   * Pause (true) or resume (false) with --pause-signal/--resume-signal; resolves nothing, but
   * `held` turns true once the program is paused and between jobs (at once, or at its IDLE=1).
   */
  setPaused(paused: boolean): void {
    const { pauseSignal, resumeSignal } = this.#config;
    if (this.#done || pauseSignal === undefined || resumeSignal === undefined || paused === this.#paused) return;
    this.#paused = paused;
    this.#kill(paused ? pauseSignal : resumeSignal);
    this.#hooks.held?.();
  }

  /** True while paused and not busy: the program holds between jobs. */
  get held(): boolean {
    return this.#paused && !this.#busy;
  }

  /** The stop signal now, then SIGKILL after --stop-wait. */
  #sendStopSignal(): void {
    if (this.#done || this.#signalled) return;
    this.#stopPending = false;
    this.#signalled = true;
    clearTimeout(this.#timer);
    this.#kill(this.#config.stopSignal);
    this.#timer = setTimeout(() => this.#forceKill(), this.#config.stopWaitMs);
  }

  /** SIGKILL: the program did not exit in time. (The rest of the group is swept at this worker's exit.) */
  #forceKill(): void {
    this.#killed = true;
    this.#kill('SIGKILL');
  }

  #kill(signal: NodeJS.Signals): void {
    try {
      this.#child.kill(signal);
    } catch {
      // gone already
    }
  }

  #onData(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = (lines.pop() ?? '').slice(0, MAX_LINE);
    for (const line of lines) this.#onLine(line.replace(/\r$/, ''));
  }

  #onLine(line: string): void {
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1);
    switch (key) {
      case 'BUSY':
        if (value !== '1' || this.#busy) return;
        this.#busy = true;
        this.#continuedAt = undefined;
        if (this.#stopPending && !this.#signalled) this.#awaitIdle();
        return this.#hooks.busy();
      case 'IDLE':
        if (value !== '1') return;
        this.#continuedAt = undefined;
        if (this.#busy) {
          this.#busy = false;
          this.#hooks.idle();
          if (this.#paused) this.#hooks.held?.();
        }
        return this.#answerIdle();
      case 'STATUS':
        return this.#hooks.status(value.slice(0, 200));
      default:
        return; // READY=1 and anything else: it counts as ready once spawned
    }
  }

  /**
   * After IDLE=1: one line back, STOP when a stop is pending (then the signal follows), else
   * CONTINUE. Written only while nothing of ours is still unread in a full socket buffer, so a
   * program that never reads costs at most one kernel buffer, and nothing ever blocks.
   */
  #answerIdle(): void {
    const stop = this.#stopPending || this.#signalled;
    const socket = this.#notify;
    if (socket !== undefined && !socket.destroyed && socket.writableLength === 0) {
      try {
        socket.write(stop ? 'STOP\n' : 'CONTINUE\n');
        if (!stop) this.#continuedAt = performance.now();
      } catch {
        // closed by the program
      }
    }
    if (this.#stopPending) this.#sendStopSignal();
  }
}
