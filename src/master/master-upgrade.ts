/**
 * The old master's side of an upgrade (Unicorn's USR2 + QUIT, here `ctl upgrade` or SIGURG): it
 * starts a new master from the command line it was started with (the code on disk now), handing it
 * the listening sockets, and learns on a pipe whether that master got ready. The new master's side
 * is upgrade-handoff.ts; the Supervisor does the rest (on success it stops gracefully).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ErrorCode, SuperviseError, firstLine } from '../shared/errors.cjs';
import type { Logger } from '../shared/log.js';
import type { ResolvedOptions } from '../shared/options.js';
import type { PoolServices } from '../services/pool-services.js';
import type { SupervisorEvents } from './supervisor-types.js';
import type { InheritedListener, Listeners } from './listeners.js';
import { UPGRADE_VARIABLE } from './upgrade-handoff.js';
import type { Relaunch, UpgradeHandoff } from './upgrade-types.js';

export type { Relaunch } from './upgrade-types.js';

/**
 * The directory this process was started in, as the shell named it: $PWD when it is the same
 * directory as the real cwd (so that a `current` symlink of a deploy is followed anew by the next
 * master, as Unicorn does), else the real cwd.
 */
export function startDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const cwd = process.cwd();
  const pwd = env['PWD'];
  if (pwd === undefined || pwd === cwd) return cwd;
  try {
    const [a, b] = [statSync(pwd), statSync(cwd)];
    return a.ino === b.ino && a.dev === b.dev ? pwd : cwd;
  } catch {
    return cwd;
  }
}

/** This process's command line (node, its flags, the script and its arguments), cwd and environment now. */
export function currentRelaunch(): Relaunch {
  return { command: process.execPath, args: [...process.execArgv, ...process.argv.slice(1)], cwd: startDirectory(), env: { ...process.env } };
}

/** What an upgrade needs of its pool. */
export interface UpgradeHost {
  readonly log: Logger;
  /** How to start the new master. */
  relaunch(): Relaunch;
  /** This master's fds of the listening sockets, in order (the new master gets them as fds 4, 5, …). */
  listenerFds(): readonly number[];
  /** How the new master is told of each socket. */
  handoff(): InheritedListener[];
  /** The control socket this master serves, if any: the new one takes it over. */
  controlPath(): string | undefined;
  /** --boot-timeout, ms (0: none): the new master gets it plus START_MARGIN_MS to be ready. */
  readonly bootTimeoutMs: number;
  /** --grace, ms: how long a failed new master gets to stop before SIGKILL. */
  readonly graceMs: number;
  /** The upgrade begins (the checks passed, the new master is spawned). */
  began(pid: number | undefined): void;
  /** The new master `pid` is ready: the Supervisor hands over and stops gracefully. */
  succeeded(pid: number): void;
  /** The upgrade failed: this master keeps serving. */
  failed(error: SuperviseError): void;
}

/** What a new master gets beyond --boot-timeout to be ready: its own start (config, control socket, the sockets' helper). */
export const START_MARGIN_MS = 30_000;

/** Variables the new master must not read as its own: systemd's for this process (the sockets come by the handoff). */
const NOT_PASSED = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'WATCHDOG_PID'] as const;

function refused(why: string): SuperviseError {
  return new SuperviseError(ErrorCode.UPGRADE, `cannot upgrade: ${why}`);
}

/** One pool's upgrades: at most one at a time; a request during one shares it. */
export class MasterUpgrade {
  readonly #host: UpgradeHost;
  #pending: Promise<number> | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #aborting: Promise<void> | undefined;

  constructor(host: UpgradeHost) {
    this.#host = host;
  }

  /**
   * Starts a new master and resolves with its pid once it is ready (the Supervisor's `succeeded`
   * has run). Rejects with SuperviseError E_UPGRADE, logged in one line, when it cannot be done (no
   * listeners, PID 1, systemd without notify) or the new master failed: it exited before it was
   * ready (bad code, a config that no longer loads), or was not ready in time (then it is killed).
   */
  request(): Promise<number> {
    this.#pending ??= this.#run().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  /** Stops a new master still starting (this master is stopping) and resolves once it is gone; at once if there is none. */
  abort(): Promise<void> {
    const child = this.#child;
    if (child === undefined || this.#exited === undefined) return Promise.resolve();
    this.#aborting ??= (async () => {
      this.#host.log.info('upgrade', `upgrade abandoned: this master is stopping; stopping the new master pid=${child.pid}`);
      await this.#end(child, this.#exited!);
    })();
    return this.#aborting;
  }

  #refusal(): string | undefined {
    const relaunch = this.#host.relaunch();
    if (this.#host.listenerFds().length === 0) {
      return 'an upgrade hands the --listen sockets to a new master, and this pool has none (a pool without one is upgraded by a stop and a start)';
    }
    if (process.pid === 1) return 'this master is PID 1 (a container would end with it): replace the container instead';
    if (relaunch.env['INVOCATION_ID'] !== undefined && !relaunch.env['NOTIFY_SOCKET']) {
      return 'under systemd without NOTIFY_SOCKET (Type=simple), systemd would stop the new master with this one: use Type=notify and NotifyAccess=all';
    }
    return undefined;
  }

  async #run(): Promise<number> {
    const { log } = this.#host;
    const relaunch = this.#host.relaunch();
    const why = this.#refusal();
    if (why !== undefined) {
      const error = refused(why);
      log.error('upgrade', error.message);
      throw error;
    }
    const control = this.#host.controlPath();
    const handoff: UpgradeHandoff = { from: process.pid, listeners: this.#host.handoff(), ...(control !== undefined && { control }) };
    const env: NodeJS.ProcessEnv = { ...relaunch.env, [UPGRADE_VARIABLE]: JSON.stringify(handoff) };
    for (const name of NOT_PASSED) delete env[name];
    let child: ChildProcess;
    try {
      child = spawn(relaunch.command, [...relaunch.args], {
        cwd: relaunch.cwd,
        env,
        // Its own session: no terminal signal reaches it, and it outlives this master.
        detached: true,
        stdio: ['inherit', 'inherit', 'inherit', 'pipe', ...this.#host.listenerFds()],
      });
    } catch (error) {
      return this.#fail(`could not be started: ${firstLine(error)}`);
    }
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    log.info('upgrade', `upgrading: new master pid=${child.pid ?? '?'} starting (${[relaunch.command, ...relaunch.args].join(' ')}, in ${relaunch.cwd})`, { pid: child.pid });
    this.#host.began(child.pid);
    let pid: number;
    try {
      pid = await this.#waitReady(child);
    } finally {
      // No longer ours to stop: after success, the stop that follows must leave the new master be.
      this.#child = undefined;
      this.#exited = undefined;
      this.#aborting = undefined;
    }
    this.#host.succeeded(pid);
    return pid;
  }

  /** Resolves with the pid once the new master reports `ready`; otherwise ends it and rejects (see #fail). */
  #waitReady(child: ChildProcess): Promise<number> {
    const report = child.stdio[3] as Readable;
    const { bootTimeoutMs } = this.#host;
    return new Promise<number>((resolve, reject) => {
      let said: string | undefined;
      let text = '';
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer =
        bootTimeoutMs > 0
          ? setTimeout(() => settle(() => reject(this.#failing(child, `was not ready after ${(bootTimeoutMs + START_MARGIN_MS) / 1000}s (--boot-timeout + ${START_MARGIN_MS / 1000}s)`))), bootTimeoutMs + START_MARGIN_MS)
          : undefined;
      report.setEncoding('utf8');
      report.on('error', () => {});
      report.on('data', (chunk: string) => {
        text += chunk;
        if (text.startsWith('ready\n')) {
          settle(() => {
            // From now on nothing ties the new master to this one: this one may exit.
            report.destroy();
            child.unref();
            resolve(child.pid!);
          });
        } else if (text.startsWith('failed ') && text.includes('\n')) {
          said = text.slice('failed '.length, text.indexOf('\n'));
        }
      });
      child.once('error', (error) => settle(() => reject(this.#failing(child, `could not be started: ${error.message}`))));
      child.once('exit', (code, signal) => {
        if (this.#aborting !== undefined) return settle(() => reject(new SuperviseError(ErrorCode.STOPPED, 'upgrade() abandoned: the supervisor is stopping')));
        const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
        settle(() => reject(this.#failing(child, said !== undefined ? `failed to start: ${said}` : `${how} before it was ready (its own lines above say why)`)));
      });
    });
  }

  /** Logs the failure, ends the new master if it still runs, and returns the error to reject with. */
  #failing(child: ChildProcess, why: string): SuperviseError {
    const error = this.#failure(child.pid, why);
    if (child.exitCode === null && child.signalCode === null && this.#exited !== undefined) void this.#end(child, this.#exited);
    return error;
  }

  #fail(why: string): never {
    throw this.#failure(undefined, why);
  }

  #failure(pid: number | undefined, why: string): SuperviseError {
    const error = new SuperviseError(ErrorCode.UPGRADE, `upgrade failed: the new master${pid !== undefined ? ` pid=${pid}` : ''} ${why}; this master keeps serving`);
    this.#host.log.error('upgrade', error.message, { ...(pid !== undefined && { pid }) });
    this.#host.failed(error);
    return error;
  }

  /** TERM (a quick stop of its pool), then KILL after --grace + 5 s; resolves once it exited. */
  async #end(child: ChildProcess, exited: Promise<void>): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.#host.graceMs + 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** The parts of a pool its upgrade uses (a Supervisor's). */
export interface UpgradingPool {
  readonly log: Logger;
  /** The options in force (a HUP may replace them). */
  readonly options: () => ResolvedOptions;
  readonly listeners: Listeners;
  readonly services: PoolServices;
  readonly pool: {
    emit<E extends 'upgrading' | 'upgraded' | 'upgradeFailed'>(event: E, ...args: SupervisorEvents[E]): boolean;
    stop(options: { graceful: boolean }): Promise<void>;
  };
}

/**
 * The upgrade host of a pool: the sockets and control socket it hands over, and, once the new
 * master is ready, the hand-over itself: the listeners marked as the new master's, then a graceful
 * stop. `relaunch` defaults to this process's command line at the time of the upgrade.
 */
export function poolUpgradeHost(parts: UpgradingPool, relaunch: Relaunch | undefined): UpgradeHost {
  const { log, options, listeners, services, pool } = parts;
  return {
    log,
    relaunch: () => relaunch ?? currentRelaunch(),
    listenerFds: () => listeners.fds,
    handoff: () => listeners.handoff,
    controlPath: () => services.controlPath,
    get bootTimeoutMs() {
      return options().bootTimeout * 1000;
    },
    get graceMs() {
      return options().grace * 1000;
    },
    began: (pid) => pool.emit('upgrading', pid),
    succeeded: (pid) => {
      log.info('upgrade', `upgrade done: the new master pid=${pid} serves; this master stops gracefully`, { pid });
      listeners.handOver();
      services.releaseHttp(); // the new master binds the dashboard and metrics as soon as they are free
      // At a natural end Node closes every handle, and libuv's close of a Unix socket (a listener,
      // the control socket) unlinks its path, which is the new master's now: end by exit() instead.
      process.once('beforeExit', (code) => process.exit(code));
      pool.emit('upgraded', pid);
      void pool.stop({ graceful: true });
    },
    failed: (error) => pool.emit('upgradeFailed', error),
  };
}
