/** Acting on one id of the pool from outside (the dashboard's buttons): which process a restart or a kill is for. */
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import type { Logger } from '../shared/log.js';
import { KILL_ASKED } from './exit-cause.js';
import type { RollingReload } from './rolling-reload.js';
import type { SlotTable } from './slot-table.js';
import type { WorkerHandle } from './worker-handle.js';

/**
 * Checks that `id` names an id of a pool of `size`; throws SuperviseError E_OPTION in one line
 * quoting the value otherwise ("restart: no worker 7: the ids are 0..3").
 */
export function checkWorkerId(action: string, id: unknown, size: number): number {
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 && id < size) return id;
  const ids = size === 0 ? 'the pool has no worker' : size === 1 ? 'the only id is 0' : `the ids are 0..${size - 1}`;
  const shown = typeof id === 'number' || typeof id === 'string' ? JSON.stringify(id) : String(id);
  throw new SuperviseError(ErrorCode.OPTION, `${action}: no worker ${shown}: ${ids}`);
}

/**
 * The live process holding `id`, for a kill; throws SuperviseError E_OPTION when the id is not
 * the pool's or has no live process now (it waits for a respawn, or is being replaced).
 */
export function processToKill(id: unknown, size: number, slots: SlotTable): WorkerHandle {
  const checked = checkWorkerId('kill', id, size);
  const handle = slots.get(checked).handle;
  if (handle === undefined || handle.pid === undefined || handle.state === 'exited') {
    throw new SuperviseError(ErrorCode.STATE, `kill: worker ${checked} has no live process now (it waits for a respawn)`);
  }
  return handle;
}

/** Supervisor.restartWorker: checks `id` against `size`, rejects with `stopped` when the pool does not run, else restarts it (RollingReload.restart). */
export function restartOne(id: unknown, size: number, stopped: Error | undefined, reloader: Pick<RollingReload, 'restart'>): Promise<void> {
  try {
    const checked = checkWorkerId('restart', id, size);
    if (stopped !== undefined) throw stopped;
    return reloader.restart(checked);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Supervisor.killWorker: SIGKILLs the process of `id` (its group), logged, leaving KILL_ASKED as its kill reason; returns its pid. */
export function killOne(id: unknown, size: number, slots: SlotTable, log: Logger): number {
  const handle = processToKill(id, size, slots);
  log.info('kill', `worker[${String(id)}] pid=${handle.pid} killed on request (SIGKILL)`, { worker: handle.id, pid: handle.pid });
  handle.kill(KILL_ASKED);
  return handle.pid as number;
}
