/** Assembles `status()`: the pool's totals and one row per id, with each process's memory and CPU. */
import { Histogram, RESPAWN_SECONDS_BOUNDS, TASK_SECONDS_BOUNDS, sumHistograms } from '../shared/histogram.cjs';
import type { PoolListener, PoolStatus, WorkerStatus } from '../services/pool-status.js';
import { readProcessMemory, readProcessStats, type CpuMeter, type ProcessMemory } from '../services/process-stats.js';
import { slotInfo, type Slot } from './slot-table.js';
import { TaskRate } from '../services/task-rate.js';
import type { SupervisorState } from './supervisor-types.js';
import type { WorkerHandle } from './worker-handle.js';

/** How long `status()` waits for busy workers to report their counters. */
export const STATUS_REPLY_MS = 250;

/** What the pool's exited processes did, and how long respawns took: kept for the master's whole life. */
export class PoolCounters {
  /** Tasks of processes that have exited. */
  tasksGone = 0;
  readonly durationsGone = new Histogram(TASK_SECONDS_BOUNDS);
  readonly respawnSeconds = new Histogram(RESPAWN_SECONDS_BOUNDS);
  /** The sliding window of the task total, sampled at each status(). */
  readonly taskRate = new TaskRate();

  /** Adds what an exited process did. */
  recordExit(handle: WorkerHandle): void {
    this.tasksGone += handle.tasks;
    if (handle.durations !== undefined) this.durationsGone.add(handle.durations);
  }
}

/** What a snapshot reads of the pool. */
export interface SnapshotSource {
  readonly state: SupervisorState;
  readonly size: number;
  readonly concurrency: number;
  readonly paused: boolean;
  readonly startedAt: Date | undefined;
  readonly spares: number;
  /** Every id held, sorted by id. */
  readonly slots: readonly Slot[];
  /** Every live process, with or without an id. */
  readonly live: readonly WorkerHandle[];
  readonly counters: PoolCounters;
  /** Ids held by a ready, running worker. */
  readonly liveIds: number;
  /** Respawns of every id the pool has held, retired ids included (counters never go back). */
  readonly restarts: number;
  /** With --listen: the sockets the workers serve. */
  readonly listeners?: readonly PoolListener[];
}

/** The PoolStatus of `source` at `now` (epoch ms); `cpu` keeps the CPU samples between calls. */
export function poolSnapshot(source: SnapshotSource, cpu: CpuMeter, now: number): PoolStatus {
  const { slots, live } = source;
  cpu.retain(new Set([process.pid, ...live.flatMap((h) => (h.pid !== undefined ? [h.pid] : []))]));
  const self = readProcessStats(process.pid);
  // smaps_rollup is read once per process per snapshot, and only here: it walks every mapping.
  const memory = new Map<number, ProcessMemory | undefined>();
  for (const pid of [process.pid, ...live.flatMap((h) => (h.pid !== undefined ? [h.pid] : []))]) memory.set(pid, readProcessMemory(pid));
  const selfMemory = memory.get(process.pid);
  const tasks = source.counters.tasksGone + live.reduce((sum, h) => sum + h.tasks, 0);
  return {
    pid: process.pid,
    state: source.state,
    size: source.size,
    concurrency: source.concurrency,
    live: source.liveIds,
    paused: source.paused,
    startedAt: source.startedAt,
    spares: source.spares,
    restarts: source.restarts,
    tasks,
    taskRate: source.counters.taskRate.sample(now, tasks),
    workers: slots.map((slot) => workerStatus(slot, cpu, now, memory)),
    ...(source.listeners !== undefined && source.listeners.length > 0 && { listeners: source.listeners.map(({ address, kind, fd }) => ({ address, kind, fd })) }),
    master: {
      rssBytes: self?.rssBytes,
      pssBytes: selfMemory?.pssBytes,
      ussBytes: selfMemory?.ussBytes,
      cpuPercent: self && cpu.percent(process.pid, self, source.startedAt?.getTime() ?? now, now),
    },
    taskSeconds: sumHistograms(TASK_SECONDS_BOUNDS, [source.counters.durationsGone.snapshot(), ...live.map((h) => h.durations)]),
    respawnSeconds: source.counters.respawnSeconds.snapshot(),
    memory: {
      rssBytes: total(memory, 'rssBytes'),
      pssBytes: total(memory, 'pssBytes'),
      ussBytes: total(memory, 'ussBytes'),
    },
  };
}

/** One field of every process's memory added up; undefined if any process's is unknown (a sum missing some would mislead). */
function total(memory: ReadonlyMap<number, ProcessMemory | undefined>, field: keyof ProcessMemory): number | undefined {
  let sum = 0;
  for (const m of memory.values()) {
    if (m === undefined) return undefined;
    sum += m[field];
  }
  return sum;
}

/** One id's row of `status()`. */
function workerStatus(slot: Slot, cpu: CpuMeter, now: number, memory: ReadonlyMap<number, ProcessMemory | undefined>): WorkerStatus {
  const handle = slot.handle;
  const stats = handle?.pid !== undefined ? readProcessStats(handle.pid) : undefined;
  const mem = handle?.pid !== undefined ? (memory.get(handle.pid) ?? readProcessMemory(handle.pid)) : undefined;
  return {
    ...slotInfo(slot, handle),
    uptimeMs: handle !== undefined ? now - handle.startedAt : undefined,
    tasks: slot.tasksBefore + (handle?.tasks ?? 0),
    busy: handle?.busySince !== null && handle?.busySince !== undefined,
    busySlots: handle?.busySlots ?? 0,
    paused: handle?.holding ?? false,
    lastExit: slot.lastExit,
    ...(handle?.status !== undefined && { status: handle.status }),
    rssBytes: stats?.rssBytes,
    pssBytes: mem?.pssBytes,
    ussBytes: mem?.ussBytes,
    cpuPercent: stats && handle?.pid !== undefined ? cpu.percent(handle.pid, stats, handle.startedAt, now) : undefined,
    lastError: slot.lastError,
  };
}
