/**
 * Prometheus metrics of the pool: `formatMetrics` turns a PoolStatus into the text exposition
 * format 0.0.4 (metrics-server.ts serves it). Pure, and public: an embedder with its own HTTP
 * server can answer `formatMetrics(await sv.status())`.
 */
import type { HistogramSnapshot } from '../shared/histogram.cjs';
import type { PoolStatus } from './pool-status.js';
import type { SlotState } from '../master/supervisor-types.js';

/** Content type of the text format, as Prometheus asks for it. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Every state an id can be in: each gets a sample (0 included), so no series comes and goes. */
const STATES: Record<SlotState, true> = { spawning: true, loading: true, spare: true, running: true, stopping: true, exited: true, waiting: true };

type Labels = Readonly<Record<string, string | number>>;

/** A label value with `\`, `"` and newlines escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value: Go's float syntax (`+Inf`, `NaN`, `1e-7` all parse). */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Collects the lines of one exposition: HELP and TYPE once per family, then its samples. */
class Exposition {
  readonly #lines: string[] = [];

  /** Starts a family. */
  family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    return this;
  }

  /** Adds a sample; an undefined value (not measurable here) adds nothing. */
  sample(name: string, value: number | undefined, labels: Labels = {}): this {
    if (value === undefined) return this;
    const pairs = Object.entries(labels).map(([key, v]) => `${key}="${escapeLabel(String(v))}"`);
    this.#lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
    return this;
  }

  /** Adds a whole histogram family: cumulative buckets with `le`, `_sum` and `_count`. */
  histogram(name: string, help: string, snapshot: HistogramSnapshot): this {
    this.family(name, 'histogram', help);
    let cumulative = 0;
    snapshot.bounds.forEach((bound, i) => {
      cumulative += snapshot.counts[i] ?? 0;
      this.sample(`${name}_bucket`, cumulative, { le: formatValue(bound) });
    });
    this.sample(`${name}_bucket`, snapshot.count, { le: '+Inf' });
    this.sample(`${name}_sum`, snapshot.sum);
    return this.sample(`${name}_count`, snapshot.count);
  }

  text(): string {
    return this.#lines.join('\n') + '\n';
  }
}

/** Seconds since the epoch of a date, or undefined. */
function epochSeconds(date: Date | string | undefined): number | undefined {
  if (date === undefined) return undefined;
  return new Date(date).getTime() / 1000;
}

/**
 * The pool's metrics in the Prometheus text format 0.0.4, every name prefixed `supervise_`: workers
 * by state, pool size, paused, spares, restarts and tasks (totals and per id), per-worker busy
 * and busy slots, start time, RSS, PSS, USS and CPU, the master's and the pool's memory, the master's CPU, and the task-duration and respawn-latency
 * histograms. Values not measurable on this system (RSS, CPU off Linux) are left out.
 */
export function formatMetrics(status: PoolStatus): string {
  const out = new Exposition();
  const byState = new Map<string, number>(Object.keys(STATES).map((state) => [state, 0]));
  for (const worker of status.workers) byState.set(worker.state, (byState.get(worker.state) ?? 0) + 1);

  out.family('supervise_workers', 'gauge', 'Ids of the pool by the state of their worker (retiring ids included until they exit).');
  for (const [state, count] of byState) out.sample('supervise_workers', count, { state });
  out.family('supervise_pool_size', 'gauge', 'How many workers the pool keeps.').sample('supervise_pool_size', status.size);
  out.family('supervise_paused', 'gauge', '1 while the pool is paused (workers hold between tasks), else 0.').sample('supervise_paused', status.paused ? 1 : 0);
  out.family('supervise_spares', 'gauge', 'Warm spares loaded and waiting for an id.').sample('supervise_spares', status.spares);
  out.family('supervise_start_time_seconds', 'gauge', 'When the pool was started, seconds since the epoch.').sample('supervise_start_time_seconds', epochSeconds(status.startedAt));
  out.family('supervise_restarts_total', 'counter', 'Respawns of every id, added up.').sample('supervise_restarts_total', status.restarts);
  out.family('supervise_tasks_total', 'counter', 'Tasks finished by every process the pool has run, as last reported.').sample('supervise_tasks_total', status.tasks);

  out.family('supervise_worker_restarts_total', 'counter', 'Respawns of one id.');
  for (const w of status.workers) out.sample('supervise_worker_restarts_total', w.restarts, { id: w.id });
  out.family('supervise_worker_tasks_total', 'counter', 'Tasks finished by one id over all its processes, as last reported.');
  for (const w of status.workers) out.sample('supervise_worker_tasks_total', w.tasks, { id: w.id });
  out.family('supervise_worker_busy', 'gauge', '1 while the id runs a task, else 0.');
  for (const w of status.workers) out.sample('supervise_worker_busy', w.busy ? 1 : 0, { id: w.id });
  out.family('supervise_busy_slots', 'gauge', "How many of the id's task loops (--concurrency) run a task now.");
  for (const w of status.workers) out.sample('supervise_busy_slots', w.busySlots, { id: w.id });
  out.family('supervise_concurrency', 'gauge', 'Task loops per worker process (--concurrency).').sample('supervise_concurrency', status.concurrency);
  out.family('supervise_worker_start_time_seconds', 'gauge', "When the id's current process was spawned, seconds since the epoch.");
  for (const w of status.workers) out.sample('supervise_worker_start_time_seconds', epochSeconds(w.startedAt), { id: w.id });
  out.family('supervise_worker_resident_memory_bytes', 'gauge', "Resident memory of the id's current process, bytes.");
  for (const w of status.workers) out.sample('supervise_worker_resident_memory_bytes', w.rssBytes, { id: w.id });
  out.family('supervise_worker_pss_bytes', 'gauge', "Proportional set size of the id's current process, bytes: shared pages split between their sharers (these add up).");
  for (const w of status.workers) out.sample('supervise_worker_pss_bytes', w.pssBytes, { id: w.id });
  out.family('supervise_worker_uss_bytes', 'gauge', "Unique set size of the id's current process, bytes: what only it holds (private clean + dirty).");
  for (const w of status.workers) out.sample('supervise_worker_uss_bytes', w.ussBytes, { id: w.id });
  out.family('supervise_worker_cpu_ratio', 'gauge', "CPU use of the id's current process, in cores (1 = one core busy), since the previous status.");
  for (const w of status.workers) out.sample('supervise_worker_cpu_ratio', w.cpuPercent === undefined ? undefined : w.cpuPercent / 100, { id: w.id });

  out.family('supervise_master_resident_memory_bytes', 'gauge', 'Resident memory of the master, bytes.').sample('supervise_master_resident_memory_bytes', status.master.rssBytes);
  out.family('supervise_master_pss_bytes', 'gauge', 'Proportional set size of the master, bytes.').sample('supervise_master_pss_bytes', status.master.pssBytes);
  out.family('supervise_master_uss_bytes', 'gauge', 'Unique set size of the master, bytes.').sample('supervise_master_uss_bytes', status.master.ussBytes);
  out.family('supervise_pool_pss_bytes', 'gauge', 'PSS of the master and every live worker and spare, added up: what the pool costs the machine.').sample('supervise_pool_pss_bytes', status.memory.pssBytes);
  out.family('supervise_pool_uss_bytes', 'gauge', 'USS of the master and every live worker and spare, added up.').sample('supervise_pool_uss_bytes', status.memory.ussBytes);
  out.family('supervise_pool_resident_memory_bytes', 'gauge', 'RSS of the master and every live worker and spare, added up (shared pages counted once per process: an overstatement).').sample('supervise_pool_resident_memory_bytes', status.memory.rssBytes);
  const masterCpu = status.master.cpuPercent;
  out.family('supervise_master_cpu_ratio', 'gauge', 'CPU use of the master, in cores (1 = one core busy), since the previous status.');
  out.sample('supervise_master_cpu_ratio', masterCpu === undefined ? undefined : masterCpu / 100);

  out.histogram('supervise_task_duration_seconds', 'Durations of finished tasks, over every process the pool has run.', status.taskSeconds);
  out.histogram('supervise_respawn_latency_seconds', "From a worker's exit to its replacement ready (respawns, not reload hand-overs).", status.respawnSeconds);
  return out.text();
}
