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
  /** Tasks done by this id's earlier processes. */
  tasksBefore: number;
  lastExit: LastExit | undefined;
  /** Epoch ms of the exit a respawn is replacing, until the replacement is ready. */
  respawnFrom: number | undefined;
}

/** The ids a pool holds. */
export class SlotTable {
  readonly #slots = new Map<number, Slot>();

  /** The slot of `id`, created empty if the pool held no such id. */
  get(id: number): Slot {
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      slot = { id, handle: undefined, restarts: 0, failures: 0, retryTimer: undefined, handingOver: false, tasksBefore: 0, lastExit: undefined, respawnFrom: undefined };
      this.#slots.set(id, slot);
    }
    return slot;
  }

  /** Forgets `id` (it retired). */
  delete(id: number): void {
    this.#slots.delete(id);
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

  /** True when exactly ids 0..size-1 are held, each by a running worker. */
  converged(size: number): boolean {
    if (this.#slots.size !== size) return false;
    for (const slot of this.#slots.values()) {
      if (slot.id >= size || slot.handle?.state !== 'running') return false;
    }
    return true;
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
