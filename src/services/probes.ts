/**
 * The orchestrators' probes served beside /metrics: /livez (the master's loop answers) and /readyz
 * (every id of the pool has a running worker), each with the reason when it is not.
 */
import type { SupervisorState, WorkerInfo } from '../master/supervisor-types.js';

/** What readiness reads of the pool: a Supervisor. Cheap getters only: no worker is asked anything. */
export interface ProbeTarget {
  readonly state: SupervisorState;
  readonly size: number;
  readonly workers: readonly WorkerInfo[];
}

/** A probe's verdict: ready or not, and one line per reason it is not. */
export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** Why an id is not ready, by its state (`running` is ready and has no entry). */
const NOT_READY: Readonly<Record<string, string>> = {
  waiting: 'waiting (respawn in backoff)',
  spawning: 'spawning',
  loading: 'loading the app',
  spare: 'not assigned',
  stopping: 'stopping',
  exited: 'exited',
};

/**
 * Ready when the pool is running and every id 0..size-1 is held by a worker in state `running`
 * (a paused pool is ready: its workers are alive and hold between tasks). Ids at or above `size`,
 * retiring after a scale-down, do not count. Otherwise `reasons` says what is missing, one line per
 * cause: `master starting`, `worker[2] waiting (respawn in backoff)`, `worker[3] missing`.
 */
export function readiness(pool: ProbeTarget): Readiness {
  if (pool.state !== 'running') return { ready: false, reasons: [`master ${pool.state}`] };
  const byId = new Map(pool.workers.map((w) => [w.id, w]));
  const reasons: string[] = [];
  for (let id = 0; id < pool.size; id++) {
    const worker = byId.get(id);
    if (worker === undefined) reasons.push(`worker[${id}] missing`);
    else if (worker.state !== 'running') reasons.push(`worker[${id}] ${NOT_READY[worker.state] ?? worker.state}`);
  }
  return { ready: reasons.length === 0, reasons };
}

/** The body of a /readyz answer: `ok`, or the reasons, one a line. */
export function readinessText(verdict: Readiness): string {
  return verdict.ready ? 'ok\n' : verdict.reasons.map((r) => `${r}\n`).join('');
}
