/** The pool's slot table: one entry per id, each holding at most one live process, with what its earlier processes did. */
import type { LastExit } from '../services/pool-status.js';
import type { WorkerInfo } from './supervisor-types.js';
import type { WorkerHandle } from './worker-handle.js';

/** What the pool keeps per id. */
export interface Slot {
  readonly id: number;
  handle: WorkerHandle | undefined;
  /** Respawns of this id. */
  restarts: number;
  /** Early failures in a row (for the backoff). */
  failures: number;
  retryTimer: NodeJS.Timeout | undefined;
  /** A reload is moving this id to a new process: its exit must not trigger a respawn. */
  handingOver: boolean;
  /** While handingOver: whether a rolling reload or a one-id restart moves it (what its last exit says). */
  handOverCause: 'reload' | 'restart' | undefined;
  /** Tasks done by this id's earlier processes. */
  tasksBefore: number;
  lastExit: LastExit | undefined;
  /** Epoch ms of the exit a respawn is replacing, until the replacement is ready. */
  respawnFrom: number | undefined;
  /** Why the id's last process failed early (it waits in backoff), until a process of the id is ready. */
  lastError: string | undefined;
}

/** What a retired id had done: kept for the master's life, so counters never go back. */
interface Retired {
  readonly restarts: number;
  readonly tasks: number;
}

/** The ids a pool holds, and what the ids it no longer holds had done. */
export class SlotTable {
  readonly #slots = new Map<number, Slot>();
  readonly #retired = new Map<number, Retired>();

  /** The slot of `id`, created if the pool held no such id (with what it did before it retired, if it had). */
  get(id: number): Slot {
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      const before = this.#retired.get(id);
      this.#retired.delete(id);
      slot = {
        id,
        handle: undefined,
        restarts: before?.restarts ?? 0,
        failures: 0,
        retryTimer: undefined,
        handingOver: false,
        handOverCause: undefined,
        tasksBefore: before?.tasks ?? 0,
        lastExit: undefined,
        respawnFrom: undefined,
        lastError: undefined,
      };
      this.#slots.set(id, slot);
    }
    return slot;
  }

  /** Forgets `id` (it retired), keeping its restarts and tasks for the totals and for its return. */
  delete(id: number): void {
    const slot = this.#slots.get(id);
    if (slot === undefined) return;
    this.#retired.set(id, { restarts: slot.restarts, tasks: slot.tasksBefore + (slot.handle?.tasks ?? 0) });
    this.#slots.delete(id);
  }

  /** Restarts of every id, the retired ones included: never decreases. */
  totalRestarts(): number {
    let sum = 0;
    for (const slot of this.#slots.values()) sum += slot.restarts;
    for (const retired of this.#retired.values()) sum += retired.restarts;
    return sum;
  }

  /** Every slot, sorted by id. */
  sorted(): Slot[] {
    return [...this.#slots.values()].sort((a, b) => a.id - b.id);
  }

  /** Processes of the slots, live or not yet reaped. */
  handles(): WorkerHandle[] {
    return [...this.#slots.values()].flatMap((slot) => (slot.handle ? [slot.handle] : []));
  }

  /** Live processes that hold an id. */
  held(): WorkerHandle[] {
    return this.handles().filter((handle) => handle.state !== 'exited');
  }

  /** How many ids are held by a worker that is ready and running tasks. */
  live(): number {
    let count = 0;
    for (const slot of this.#slots.values()) if (slot.handle?.state === 'running') count++;
    return count;
  }

  /** True when exactly ids 0..size-1 are held, each by a running worker. */
  converged(size: number): boolean {
    if (this.#slots.size !== size) return false;
    for (const slot of this.#slots.values()) {
      if (slot.id >= size || slot.handle?.state !== 'running') return false;
    }
    return true;
  }

  /**
   * The first id below `size` that cannot be brought up for now: it waits in backoff after the OS
   * refused its spawn, or after `tries` early failures in a row. Undefined while every id may still come up.
   */
  stuck(size: number, tries: number): Slot | undefined {
    return this.sorted().find(
      (slot) => slot.id < size && slot.handle === undefined && slot.retryTimer !== undefined && slot.lastError !== undefined && (slot.lastError.startsWith('could not be spawned') || slot.failures >= tries),
    );
  }

  /** Cancels every pending respawn. */
  clearRetries(): void {
    for (const slot of this.#slots.values()) {
      clearTimeout(slot.retryTimer);
      slot.retryTimer = undefined;
    }
  }
}

/** The public snapshot of `slot` with `handle` as its process. */
export function slotInfo(slot: Slot, handle: WorkerHandle | undefined): WorkerInfo {
  return {
    id: slot.id,
    pid: handle?.pid,
    state: handle?.state ?? (slot.retryTimer !== undefined ? 'waiting' : 'exited'),
    restarts: slot.restarts,
    startedAt: handle ? new Date(handle.startedAt) : undefined,
  };
}
