/** Keeps every id of the pool filled: a spare or a fresh spawn per empty id, respawn with backoff on exit, the start's failure. */
import type { EventEmitter } from 'node:events';
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import type { Logger } from '../shared/log.js';
import type { FailedMessage } from '../shared/protocol.cjs';
import { backoffDelay, isEarlyFailure } from './backoff.js';
import { workerLimits } from './hang-watch.js';
import type { Launcher } from './launcher.js';
import type { PoolCounters } from './pool-snapshot.js';
import type { PoolState } from './pool-state.js';
import { slotInfo, type Slot, type SlotTable } from './slot-table.js';
import type { SparePool } from './spare-pool.js';
import type { SupervisorEvents } from './supervisor-types.js';
import type { Waiters } from './waiters.js';
import { exitCause, isCleanExit } from './exit-cause.js';
import type { LastExit } from '../services/pool-status.js';
import { START_TRIES, describeFailure, exitLine, exitReason, startFailure, workerFailure } from './worker-failure.js';
import type { WorkerExit, WorkerHandle } from './worker-handle.js';

/** What keeping the ids needs of the pool. */
export interface KeeperHost {
  readonly log: Logger;
  /** The pool's state, size, generation, limits; the keeper sets its startFailure (the first one wins). */
  readonly pool: PoolState;
  readonly slots: SlotTable;
  readonly spares: SparePool;
  readonly launcher: Launcher;
  readonly counters: PoolCounters;
  readonly waiters: Waiters;
  paused(): boolean;
  /** The pool's own (typed) emit. */
  readonly emit: EventEmitter<SupervisorEvents>['emit'];
  /** True when someone listens for `error` (else a worker's failure is only logged). */
  wantsErrors(): boolean;
}

/** Fills the pool's ids and refills each when its process exits. */
export class IdKeeper {
  readonly #host: KeeperHost;

  constructor(host: KeeperHost) {
    this.#host = host;
  }

  /** The poll sweep (also run after scaling): fills every id below size that has no process and no pending retry; tops up spares. */
  sweep(): void {
    if (!this.#host.pool.active) return;
    for (let id = 0; id < this.#host.pool.size; id++) {
      const slot = this.#host.slots.get(id);
      if (slot.handle === undefined && slot.retryTimer === undefined && !slot.handingOver) this.fill(slot);
    }
    this.#host.spares.topUp();
  }

  /**
   * Scaling to `size`: the ids at or above it retire (a process stops after its task, within
   * `graceMs` if asked to quit; a waiting id is forgotten), then the ids below it are filled.
   */
  resize(size: number, graceMs: number): void {
    for (const slot of this.#host.slots.sorted()) {
      if (slot.id < size) continue;
      clearTimeout(slot.retryTimer);
      slot.retryTimer = undefined;
      if (slot.handle === undefined) this.#host.slots.delete(slot.id);
      else slot.handle.stop(true, graceMs);
    }
    this.sweep();
  }

  /** The error a scale to `size` settles with when an id cannot come up for now (it keeps retrying), else false. */
  shortfall(size: number): SuperviseError | false {
    const slot = this.#host.slots.stuck(size, START_TRIES);
    if (slot === undefined) return false;
    return new SuperviseError(ErrorCode.SPAWN, `scale to ${size} stopped short at ${this.#host.slots.live()} live workers: worker[${slot.id}] ${slot.lastError}; the ids short keep retrying`);
  }

  /** Gives `slot` a process: a loaded spare if there is one (its id at once), else a cold spawn. */
  fill(slot: Slot): void {
    const spare = this.#host.spares.take();
    if (spare !== undefined) {
      this.assign(slot, spare);
      this.#host.spares.topUp();
      return;
    }
    const handle = this.#host.launcher.spawn(slot.id, this.#host.pool.generation, this.#host.paused());
    if (handle === undefined) {
      slot.lastError = `could not be spawned: ${this.#host.launcher.lastSpawnError ?? 'the OS refused'}`;
      if (this.#host.pool.state === 'starting') {
        this.#host.pool.startFailure ??= new SuperviseError(ErrorCode.SPAWN, `worker[${slot.id}] ${slot.lastError}`);
        return this.#host.waiters.notify();
      }
      this.#scheduleRespawn(slot, true);
      return;
    }
    this.#adopt(slot, handle);
  }

  /** Hands `slot`'s id to a loaded process holding none. */
  assign(slot: Slot, handle: WorkerHandle, how = 'taken over by spare'): void {
    this.#host.launcher.beforeFork(slot.id);
    this.#host.log.info('assign', `worker[${slot.id}] ${how} pid=${handle.pid}`, { worker: slot.id, pid: handle.pid });
    handle.assign(slot.id, workerLimits(this.#host.pool.options.maxTasks, this.#host.pool.options.maxRss), this.#host.paused(), this.#host.launcher.logFileFor(slot.id));
    this.#adopt(slot, handle);
  }

  /** Makes `handle` the process of `slot` and wires its events to the slot. */
  #adopt(slot: Slot, handle: WorkerHandle): void {
    slot.handle = handle;
    handle.on('ready', () => this.#onReady(slot, handle));
    handle.on('failed', (message) => this.#onFailed(slot.id, message));
    handle.on('recycle', (reason) => this.#host.log.info('recycle', `worker[${slot.id}] recycling: ${reason}`, { worker: slot.id, pid: handle.pid, reason }));
    handle.on('exit', (exit) => this.#onExit(slot, handle, exit));
    handle.on('progress', () => this.#host.paused() && this.#host.waiters.notify());
    this.#host.emit('fork', slotInfo(slot, handle));
  }

  #onReady(slot: Slot, handle: WorkerHandle): void {
    if (slot.respawnFrom !== undefined) this.#host.counters.respawnSeconds.observe((Date.now() - slot.respawnFrom) / 1000);
    slot.respawnFrom = undefined;
    slot.lastError = undefined;
    this.#host.log.info('ready', `worker[${slot.id}] ready`, { worker: slot.id, pid: handle.pid });
    this.#host.emit('online', slotInfo(slot, handle));
    this.#host.waiters.notify();
  }

  #onFailed(id: number, message: FailedMessage): void {
    this.#host.log.error('failed', `worker[${id}] ${describeFailure(message)}`, {
      worker: id,
      phase: message.phase,
      error: message.message,
      stack: message.stack,
    });
    if (this.#host.wantsErrors()) this.#host.emit('error', workerFailure(id, message));
  }

  #onExit(slot: Slot, handle: WorkerHandle, exit: WorkerExit): void {
    if (slot.handle === handle) slot.handle = undefined;
    slot.tasksBefore += handle.tasks;
    this.#host.counters.recordExit(handle);
    slot.lastExit = lastExitOf(slot, handle, exit, this.#host.pool.state === 'stopping', slot.id >= this.#host.pool.size);
    const line = exitLine(slot.id, handle, exit);
    (exit.code === 0 ? this.#host.log.info : this.#host.log.error).call(this.#host.log, 'exit', line, { worker: slot.id, pid: handle.pid, code: exit.code, signal: exit.signal });
    this.#host.emit('exit', slotInfo(slot, handle), exit);
    const early = !handle.recycling && isEarlyFailure(handle.readyAt, Date.now(), exit.signal);
    if (early) slot.lastError = exitReason(handle, exit);
    if (this.#host.pool.state === 'starting' && this.#host.pool.startFailure === undefined && (handle.readyAt === undefined || (early && slot.failures + 1 >= START_TRIES))) {
      this.#host.pool.startFailure ??= startFailure(slot.id, handle, exit, slot.failures + 1);
    }
    if (slot.id >= this.#host.pool.size) {
      if (slot.handle === undefined) this.#host.slots.delete(slot.id);
      this.#host.log.info('retired', `worker[${slot.id}] retired`, { worker: slot.id });
    } else if (!slot.handingOver && slot.handle === undefined && this.#host.pool.active && this.#host.pool.startFailure === undefined) {
      slot.respawnFrom ??= Date.now();
      this.#scheduleRespawn(slot, early);
    }
    this.#host.waiters.notify();
  }

  /** Refills `slot` at once, or after a backoff delay when it keeps failing early. */
  #scheduleRespawn(slot: Slot, early: boolean): void {
    slot.failures = early ? slot.failures + 1 : 0;
    slot.restarts++;
    const delay = backoffDelay(slot.failures, this.#host.pool.options.poll * 1000);
    const when = delay === 0 ? '' : ` in ${delay}ms (failed ${slot.failures} times in a row)`;
    this.#host.log.info('respawning', `worker[${slot.id}] respawning${when}`, { worker: slot.id, ...(delay > 0 && { delay, failures: slot.failures }) });
    if (delay === 0) return this.fill(slot);
    slot.retryTimer = setTimeout(() => {
      slot.retryTimer = undefined;
      if (this.#host.pool.active && slot.id < this.#host.pool.size && slot.handle === undefined) this.fill(slot);
    }, delay);
  }
}

/** What `status()` shows of `handle`'s exit from `slot`: how, when, and why (asked for, or a crash). */
function lastExitOf(slot: Slot, handle: WorkerHandle, exit: WorkerExit, poolStopping: boolean, retiring: boolean): LastExit {
  const cause = exitCause({
    code: exit.code,
    signal: exit.signal,
    handOver: slot.handingOver ? (slot.handOverCause ?? 'reload') : undefined,
    stopAsked: handle.stopAsked,
    poolStopping,
    retiring,
    recycling: handle.recycling,
    killReason: handle.killReason,
    failed: handle.failure !== undefined,
  });
  // A user's kill says all in its cause and signal; a timeout's reason says which limit.
  const detail = handle.failure !== undefined ? describeFailure(handle.failure) : cause === 'killed' ? undefined : handle.killReason;
  return { code: exit.code, signal: exit.signal, at: new Date(), cause, clean: isCleanExit(cause), ...(detail !== undefined && { detail }) };
}
