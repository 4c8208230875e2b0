/**
 * systemd's notify protocol for the CLI's master (Type=notify / notify-reload): READY=1 once every
 * worker is ready, RELOADING=1 / READY=1 around a rolling reload, STOPPING=1, STATUS= lines and
 * the watchdog, sent as datagrams to $NOTIFY_SOCKET through a small helper process.
 *
 * Node cannot send a Unix datagram itself (node:dgram is UDP only, node:net streams only) and a
 * native addon is out of the question, so the datagrams are written by a helper: a long-lived
 * `python3` reading one JSON string per line on its stdin (ordered, one spawn for the master's
 * life), else `systemd-notify` run once per message, in order (it ships with systemd itself, and
 * since systemd 246 waits until the manager has read the message). Either way the sender is not
 * the master's pid: the unit needs NotifyAccess=all (each message also names MAINPID=).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { flushBeforeExit } from '../shared/exit-flush.js';
import type { Logger } from '../shared/log.js';
import type { SupervisorState, WorkerInfo } from '../master/supervisor-types.js';

/** The pool the notifier follows: a Supervisor. */
export interface NotifyPool {
  readonly state: SupervisorState;
  readonly size: number;
  readonly workers: readonly WorkerInfo[];
  on(event: 'reloading' | 'reload' | 'stopping' | 'online' | 'exit', listener: () => void): unknown;
  on(event: 'reloadFailed' | 'upgradeFailed', listener: (error: unknown) => void): unknown;
  on(event: 'upgrading' | 'upgraded', listener: () => void): unknown;
}

/** What the notify variables ask for, read from an environment. */
export interface NotifySettings {
  /** $NOTIFY_SOCKET: a path, or `@name` for the abstract namespace. */
  readonly socket: string;
  /** Half of $WATCHDOG_USEC in ms, when the watchdog is on for this process; else undefined. */
  readonly watchdogMs: number | undefined;
}

/**
 * The notify settings in `env` for process `pid`, or undefined when NOTIFY_SOCKET is unset or
 * empty. The watchdog is on when WATCHDOG_USEC is a positive integer and WATCHDOG_PID is absent or
 * equals `pid` (systemd names the main pid; a child that inherited the variables must not ping).
 */
export function notifySettings(env: NodeJS.ProcessEnv, pid: number): NotifySettings | undefined {
  const socket = env['NOTIFY_SOCKET'];
  if (socket === undefined || socket === '') return undefined;
  const usec = Number(env['WATCHDOG_USEC']);
  const forUs = env['WATCHDOG_PID'] === undefined || env['WATCHDOG_PID'] === '' || Number(env['WATCHDOG_PID']) === pid;
  const watchdogMs = Number.isSafeInteger(usec) && usec > 0 && forUs ? Math.max(1, Math.floor(usec / 2000)) : undefined;
  return { socket, watchdogMs };
}

/** The variables a worker must not inherit: only the master speaks to systemd. */
export const NOTIFY_VARIABLES = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

/** The python3 helper: one JSON string per stdin line, sent as one datagram; exits at EOF (the master's end). */
const PYTHON_HELPER = `
import json, signal, socket, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
path = sys.argv[1]
if path.startswith('@'): path = '\\0' + path[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for line in sys.stdin:
    try:
        s.sendto(json.loads(line).encode(), path)
    except Exception as e:
        sys.stderr.write('supervise: cannot notify systemd at %s: %s\\n' % (sys.argv[1], e))
        sys.stderr.flush()
`;

/** The path of `name` as an executable file on env.PATH, or undefined. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** CLOCK_MONOTONIC in µs, as MONOTONIC_USEC= wants it (libuv's hrtime reads that clock on Linux). */
function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}

/** Sends notify messages in order through whichever helper this machine has. */
export class SystemdNotifier {
  readonly #settings: NotifySettings;
  readonly #log: Logger;
  readonly #env: NodeJS.ProcessEnv;
  #python: ChildProcess | undefined;
  #notifyBin: string | undefined;
  /** Messages not yet handed to systemd-notify, which runs one at a time so that they arrive in order. */
  readonly #queue: (readonly string[])[] = [];
  /** Resolves when the running systemd-notify exits and the queue is empty; undefined while idle. */
  #draining: Promise<void> | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #lastStatus: string | undefined;
  #closed = false;

  /**
   * A notifier for `settings` (see notifySettings). Picks its helper now: python3, else
   * systemd-notify (both looked up on `env.PATH`); with neither, logs one line saying why nothing
   * will be sent, and every send does nothing.
   */
  constructor(settings: NotifySettings, log: Logger, env: NodeJS.ProcessEnv = process.env) {
    this.#settings = settings;
    this.#log = log;
    this.#env = env;
    const python = onPath('python3', env);
    if (python !== undefined) this.#startPython(python);
    else {
      this.#notifyBin = onPath('systemd-notify', env);
      if (this.#notifyBin === undefined) {
        log.error('notify', `NOTIFY_SOCKET is set but neither python3 nor systemd-notify is on PATH: systemd will not be told the pool is ready (Node cannot write Unix datagrams itself)`);
      }
    }
    // The last messages (STOPPING=1) are sent as the pool stops: the master must not exit before they are out.
    flushBeforeExit(() => this.flushed());
    if (settings.watchdogMs !== undefined) {
      this.#watchdog = setInterval(() => this.send(['WATCHDOG=1']), settings.watchdogMs).unref();
    }
  }

  /** Sends one message of `NAME=value` fields; never throws (a failure is logged by the helper). */
  send(fields: readonly string[]): void {
    if (this.#closed) return;
    const message = fields.join('\n') + '\n';
    if (this.#python !== undefined) {
      this.#python.stdin?.write(JSON.stringify(message) + '\n');
    } else if (this.#notifyBin !== undefined) {
      // A ping already waiting says all a second one would: a slow systemd-notify (one process and
      // an acknowledgement per message) must not fall ever further behind a fast watchdog.
      if (fields.length === 1 && fields[0] === 'WATCHDOG=1' && this.#queue.some((m) => m.length === 1 && m[0] === 'WATCHDOG=1')) return;
      this.#queue.push(fields);
      this.#draining ??= this.#drain(this.#notifyBin);
    }
  }

  /** Runs systemd-notify for each queued message in turn, until the queue is empty. */
  async #drain(bin: string): Promise<void> {
    for (let fields = this.#queue.shift(); fields !== undefined; fields = this.#queue.shift()) {
      await new Promise<void>((resolve) => {
        const child = spawn(bin, [...fields], { stdio: ['ignore', 'ignore', 'inherit'], env: this.#env });
        child.on('error', () => resolve());
        child.on('exit', () => resolve());
      });
    }
    this.#draining = undefined;
  }

  /**
   * Resolves once every message sent so far is out of this process: written to python3's stdin
   * (which sends what it has read before it sees EOF), or each systemd-notify run has exited.
   */
  flushed(): Promise<void> {
    const stdin = this.#python?.stdin;
    if (stdin && stdin.writableLength > 0 && !stdin.destroyed) {
      return new Promise((resolve) => {
        stdin.once('drain', resolve);
        stdin.once('close', resolve);
        stdin.once('error', resolve);
      });
    }
    return this.#draining ?? Promise.resolve();
  }

  /** STATUS=`text`, unless it is the status already sent. */
  status(text: string): void {
    if (text === this.#lastStatus) return;
    this.#lastStatus = text;
    this.send([`STATUS=${text}`]);
  }

  /**
   * Follows `pool`, which has just become ready: READY=1 (with MAINPID and STATUS) now;
   * RELOADING=1 + MONOTONIC_USEC as a reload begins and READY=1 as it ends, well or not;
   * STOPPING=1 as a stop begins; STATUS with the running count as workers come and go. A master
   * upgrade: RELOADING=1 as it begins, READY=1 if it fails; once it succeeded, nothing more (the new
   * master sent READY=1 and MAINPID=).
   */
  follow(pool: NotifyPool): void {
    const running = (): string => {
      const up = pool.workers.filter((w) => w.id < pool.size && w.state === 'running').length;
      return up === pool.size ? `${up} workers ready` : `${up}/${pool.size} workers running`;
    };
    this.#lastStatus = running();
    this.send(['READY=1', `MAINPID=${process.pid}`, `STATUS=${this.#lastStatus}`]);
    pool.on('reloading', () => {
      this.#lastStatus = `reloading ${pool.size} workers`;
      this.send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, `STATUS=${this.#lastStatus}`]);
    });
    pool.on('reload', () => {
      this.#lastStatus = `${running()} (reloaded)`;
      this.send(['READY=1', `STATUS=${this.#lastStatus}`]);
    });
    pool.on('reloadFailed', (error) => {
      if (pool.state !== 'running') return; // a stop ended it: STOPPING=1 says so
      this.#lastStatus = `reload failed (${error instanceof Error ? error.message : String(error)}); ${running()}`;
      this.send(['READY=1', `STATUS=${this.#lastStatus}`]);
    });
    // A master upgrade: RELOADING=1 here; the new master's READY=1 (with its MAINPID=) ends it. This
    // master then says nothing more: its STOPPING=1 would have systemd stop the service.
    pool.on('upgrading', () => {
      this.#lastStatus = 'upgrading the master';
      this.send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, `STATUS=${this.#lastStatus}`]);
    });
    pool.on('upgraded', () => this.close());
    pool.on('upgradeFailed', (error) => {
      if (pool.state !== 'running') return;
      this.#lastStatus = `upgrade failed (${error instanceof Error ? error.message : String(error)}); ${running()}`;
      this.send(['READY=1', `STATUS=${this.#lastStatus}`]);
    });
    pool.on('stopping', () => {
      this.#lastStatus = 'stopping';
      this.send(['STOPPING=1', 'STATUS=stopping']);
    });
    const changed = (): void => {
      if (pool.state === 'running') this.status(running());
    };
    pool.on('online', changed);
    pool.on('exit', changed);
  }

  /** Stops the watchdog and lets the helper go (it exits once its stdin closes); later sends do nothing. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#watchdog);
    this.#python?.stdin?.end();
  }

  #startPython(python: string): void {
    const child = spawn(python, ['-c', PYTHON_HELPER, this.#settings.socket], { stdio: ['pipe', 'ignore', 'inherit'], env: this.#env });
    // The helper must never keep the master alive, nor crash it when it dies (EPIPE).
    child.unref();
    child.on('error', (error) => this.#log.error('notify', `cannot start python3 to notify systemd: ${error.message}`));
    child.stdin.on('error', () => {});
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    this.#python = child;
  }
}

/**
 * The notifier $NOTIFY_SOCKET asks for, or undefined without one. Either way removes the notify
 * variables from `env` (the workers inherit it: only the master may speak to systemd).
 */
export function notifierFromEnv(env: NodeJS.ProcessEnv, log: Logger): SystemdNotifier | undefined {
  const settings = notifySettings(env, process.pid);
  const helperEnv = { ...env };
  for (const name of NOTIFY_VARIABLES) delete env[name];
  return settings === undefined ? undefined : new SystemdNotifier(settings, log, helperEnv);
}
