/** The rolling reload (HUP): new processes load the new code first, then take the ids over one at a time. */
import { ErrorCode, SuperviseError, firstLine } from '../shared/errors.cjs';
import type { Logger } from '../shared/log.js';
import type { PoolState } from './pool-state.js';
import { describeFailure } from './worker-failure.js';
import type { WorkerHandle } from './worker-handle.js';

/** What a reload reads and sets of one id's slot in the pool. */
export interface ReloadSlot {
  readonly id: number;
  readonly handle: WorkerHandle | undefined;
  /** Set while the old process leaves: its exit must not trigger a respawn. */
  handingOver: boolean;
  /** Set with handingOver: what moves the id (its last exit says so). */
  handOverCause: 'reload' | 'restart' | undefined;
  retryTimer: NodeJS.Timeout | undefined;
}

/** What the pool lends a reload. */
export interface ReloadHost {
  readonly log: Logger;
  /** The pool's size (it may change during a reload), state, generation and limits. */
  readonly pool: PoolState;
  /** Makes `generation` the current code (with --preload, loading it here first); throws if it cannot load. */
  advance(generation: number): Promise<void>;
  /** Spawns a process holding no id; undefined if the OS refused. */
  spawn(): WorkerHandle | undefined;
  slot(id: number): ReloadSlot;
  /** Hands `slot`'s id to the loaded process `handle`. */
  assign(slot: ReloadSlot, handle: WorkerHandle, how: string): void;
  /** Resolves when `check` is true, rejects with the error it returns or when the pool stops. */
  until(operation: string, check: () => boolean | Error): Promise<void>;
  /** Re-checks the pool's pending waits. */
  notify(): void;
  /** Called as each reload begins to run (after any under way before it). */
  reloading(): void;
  /** Called after each reload that moved every id. */
  reloaded(): void;
  /** Called when a reload ends without moving every id (abandoned, or the pool stopped). */
  failed(error: unknown): void;
}

/** How often a new process on probation is asked whether it has finished a task yet. */
const PROBATION_ASK_MS = 100;

/** Runs reloads for one pool; owns the candidates (processes loading the new code, holding no id). */
export class RollingReload {
  readonly #host: ReloadHost;
  readonly #candidates = new Set<WorkerHandle>();
  /** The reloads run so far, in order: reloads never interleave. */
  #queue: Promise<void> = Promise.resolve();
  /** A reload asked for while another runs, shared by every request made meanwhile. */
  #queued: Promise<void> | undefined;

  constructor(host: ReloadHost) {
    this.#host = host;
  }

  /** Processes loading or holding the new code that have no id yet. */
  get candidates(): ReadonlySet<WorkerHandle> {
    return this.#candidates;
  }

  /** Runs a reload after the one under way, if any; requests made meanwhile share it. */
  request(): Promise<void> {
    this.#queued ??= this.#queue.then(async () => {
      this.#queued = undefined;
      this.#host.reloading();
      try {
        await this.#run();
      } catch (error) {
        this.#host.failed(error);
        throw error;
      }
      this.#host.reloaded();
    });
    this.#queue = this.#queued.catch(() => {});
    return this.#queued;
  }

  /**
   * Restarts one id gracefully, as a reload moves each id but with the code in force: a new
   * process loads first, then the old one finishes its task, exits, and hands `id` over. Queued
   * with the reloads (never interleaved with one). Resolves once the new process is ready; rejects
   * with E_RELOAD when the new process fails before it takes the id (the old one keeps it) or
   * before it is ready (the id then respawns as after any exit), E_STOPPED if the pool stops.
   */
  restart(id: number): Promise<void> {
    const run = this.#queue.then(() => this.#restartOne(id));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #restartOne(id: number): Promise<void> {
    const host = this.#host;
    if (!host.pool.running) throw host.pool.stoppedError('restart');
    if (id >= host.pool.size) throw new SuperviseError(ErrorCode.OPTION, `restart of worker[${id}] abandoned: the pool was scaled to ${host.pool.size} meanwhile`);
    host.log.info('restart', `worker[${id}] restarting: a new process loads first`, { worker: id });
    const candidate = this.#spawnCandidate();
    try {
      if (candidate === undefined) throw new Error('the new process could not be spawned');
      await host.until('restart', () => candidate.state === 'spare' || this.#candidateFailure(candidate));
      await this.#handOver(host.slot(id), candidate, host.pool.generation, 'restart');
      if (candidate.readyAt === undefined && candidate.state === 'exited') throw new Error(`the new process ${candidate.killReason ?? 'exited before it was ready'}`);
    } catch (error) {
      if (!host.pool.running) throw host.pool.stoppedError('restart');
      const message = `worker[${id}] restart failed: ${firstLine(error)}`;
      host.log.error('restart', message, { worker: id });
      throw new SuperviseError(ErrorCode.RELOAD, message, { cause: error });
    } finally {
      if (candidate !== undefined && this.#candidates.has(candidate)) candidate.stop(false, host.pool.graceMs);
    }
    host.log.info('restarted', `worker[${id}] restarted pid=${candidate.pid}`, { worker: id, pid: candidate.pid });
  }

  /**
   * Moves every id to a process of the next generation, one id at a time; resolves with how long
   * it took (ms). Rejects with E_RELOAD (logged) when the new code fails; ids already moved keep it.
   */
  async #run(): Promise<number> {
    const host = this.#host;
    if (!host.pool.running) throw host.pool.stoppedError('reload');
    const began = performance.now();
    const generation = host.pool.generation + 1;
    host.log.info('reload', `reloading ${host.pool.size} workers`, { workers: host.pool.size });
    try {
      await host.advance(generation);
    } catch (error) {
      throw this.#abandon(error);
    }
    // Every new process starts loading now, so later ids are ready by the time their turn comes.
    const candidates = Array.from({ length: host.pool.size }, () => this.#spawnCandidate());
    try {
      for (const [id, candidate] of candidates.entries()) {
        if (candidate === undefined || id >= host.pool.size) continue;
        try {
          await host.until('reload', () => candidate.state === 'spare' || this.#candidateFailure(candidate));
        } catch (error) {
          throw host.pool.running ? this.#abandon(error, id) : error;
        }
        await this.#handOver(host.slot(id), candidate, generation);
      }
    } finally {
      for (const candidate of this.#candidates) candidate.stop(false, host.pool.graceMs);
    }
    const ms = Math.round(performance.now() - began);
    host.log.info('reloaded', `reload done: ${host.pool.size} workers on new code in ${ms} ms`, { workers: host.pool.size, ms });
    return ms;
  }

  /** Starts one candidate, tracked apart from the spares. */
  #spawnCandidate(): WorkerHandle | undefined {
    const handle = this.#host.spawn();
    if (handle === undefined) return undefined;
    this.#candidates.add(handle);
    handle.on('loaded', () => this.#host.notify());
    handle.on('failed', (message) => this.#host.log.error('failed', `reload candidate pid=${handle.pid} ${describeFailure(message)}`, { pid: handle.pid, phase: message.phase, stack: message.stack }));
    handle.on('exit', () => {
      this.#candidates.delete(handle);
      this.#host.notify();
    });
    return handle;
  }

  /** Logs an abandoned reload and returns its error; ids already handed over keep the new code. */
  #abandon(error: unknown, movedIds = 0, stack?: string): SuperviseError {
    const message = `reload abandoned: ${firstLine(error)}; ${movedIds === 0 ? 'every worker keeps the old code' : `${movedIds} ids moved, the rest keep the old code`}`;
    this.#host.log.error('reload', message, { moved: movedIds, stack });
    return new SuperviseError(ErrorCode.RELOAD, message, { cause: error });
  }

  /** A candidate that exited before it loaded, as the error to abandon the reload with; else false. */
  #candidateFailure(candidate: WorkerHandle): SuperviseError | false {
    if (candidate.state !== 'exited') return false;
    const failure = candidate.failure;
    return new SuperviseError(failure?.code === ErrorCode.APP_EXPORTS ? ErrorCode.APP_EXPORTS : ErrorCode.APP_LOAD, failure?.message ?? `the new process ${candidate.killReason ?? 'exited before it loaded the app'}`);
  }

  /**
   * Moves `slot` from its old process to `candidate`: the old one finishes its task and exits
   * first. A reload moves only an old process of an older generation; a restart moves any.
   */
  async #handOver(slot: ReloadSlot, candidate: WorkerHandle, generation: number, cause: 'reload' | 'restart' = 'reload'): Promise<void> {
    const host = this.#host;
    const old = slot.handle;
    if (old !== undefined && (cause === 'restart' || old.generation < generation)) {
      slot.handingOver = true;
      slot.handOverCause = cause;
      old.stop(true, host.pool.graceMs);
      try {
        await host.until(cause, () => old.state === 'exited');
      } finally {
        slot.handingOver = false;
        slot.handOverCause = undefined;
      }
    }
    this.#candidates.delete(candidate);
    if (slot.handle !== undefined || slot.id >= host.pool.size) {
      // A respawn or a scale got there first: that process already runs the new code.
      candidate.stop(false, host.pool.graceMs);
      return;
    }
    clearTimeout(slot.retryTimer);
    slot.retryTimer = undefined;
    host.assign(slot, candidate, cause === 'restart' ? 'restarted: handed to new process' : 'handed to new process');
    if (cause === 'restart') return host.until('restart', () => candidate.readyAt !== undefined || candidate.state === 'exited');
    // Ready is what counts, or the id retiring meanwhile (a TTOU): its new process then leaves
    // without a task, perhaps before ready, which is no failure of the new code.
    const retired = (): boolean => candidate.state === 'exited' && slot.id >= host.pool.size;
    await host.until('reload', () => candidate.readyAt !== undefined || retired() || this.#abandonedAt(slot, candidate));
    if (!retired()) await this.#probation(slot, candidate, retired);
  }

  /**
   * Holds the reload until `candidate`, the new process of `slot`, has finished its first task or
   * lived --reload-probation since ready (a server with no tasks passes by living): code that
   * loads but fails at run time must not move the next id. A failure meanwhile (a reported error,
   * an exit) abandons the reload; the id itself then respawns with backoff, like any failing id.
   */
  async #probation(slot: ReloadSlot, candidate: WorkerHandle, retired: () => boolean): Promise<void> {
    const host = this.#host;
    const ms = host.pool.options.reloadProbation * 1000;
    if (ms === 0 || candidate.readyAt === undefined) return;
    let lived = false;
    const timer = setTimeout(() => {
      lived = true;
      host.notify();
    }, Math.max(0, candidate.readyAt + ms - Date.now()));
    // Without --timeout a worker sends no heartbeat: ask it for its count of tasks.
    const ask = setInterval(() => void candidate.refresh(PROBATION_ASK_MS).then(() => host.notify()), PROBATION_ASK_MS);
    const changed = (): void => host.notify();
    candidate.on('progress', changed);
    candidate.on('failed', changed);
    try {
      await host.until('reload', () => {
        if (lived || candidate.tasks > 0 || retired()) return true;
        if (candidate.failure === undefined && candidate.state !== 'exited') return false;
        const why = candidate.failure !== undefined ? describeFailure(candidate.failure) : `exited on probation (${candidate.killReason ?? 'before its first task'})`;
        return this.#abandon(new Error(`worker[${slot.id}] ${why} with the new code`), slot.id + 1, candidate.failure?.stack);
      });
    } finally {
      clearTimeout(timer);
      clearInterval(ask);
      candidate.off('progress', changed);
      candidate.off('failed', changed);
    }
  }

  /** Error ending a reload when the new process for `slot` died before it was ready; else false. */
  #abandonedAt(slot: ReloadSlot, candidate: WorkerHandle): SuperviseError | false {
    if (candidate.state !== 'exited') return false;
    return this.#abandon(new Error(`worker[${slot.id}] ${candidate.failure ? describeFailure(candidate.failure) : (candidate.killReason ?? 'exited before it was ready')} with the new code`), slot.id);
  }
}
