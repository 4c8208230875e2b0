/** Promises that settle when a condition on the pool holds, re-checked after every change of its state. */
import type { SuperviseError } from '../shared/errors.cjs';

/** A set of pending waits on one pool. */
export class Waiters {
  readonly #waiters = new Set<() => void>();
  readonly #stopped: (operation: string) => SuperviseError | undefined;

  /** `stopped(operation)` returns the error every wait rejects with once the pool is stopping, else undefined. */
  constructor(stopped: (operation: string) => SuperviseError | undefined) {
    this.#stopped = stopped;
  }

  /** Resolves when `check` returns true, rejects when it returns an error or the pool stops. */
  until(operation: string, check: () => boolean | Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        const outcome = this.#stopped(operation) ?? check();
        if (outcome === false) return;
        this.#waiters.delete(waiter);
        if (outcome === true) resolve();
        else reject(outcome);
      };
      this.#waiters.add(waiter);
      waiter();
    });
  }

  /** Re-checks every pending wait. */
  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
