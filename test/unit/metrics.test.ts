/**
 * formatMetrics on a fixed PoolStatus: valid text format 0.0.4 (HELP and TYPE per family, counters
 * named _total, cumulative histogram buckets), and each value where it belongs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESPAWN_SECONDS_BOUNDS, TASK_SECONDS_BOUNDS } from '../../dist/shared/histogram.cjs';
import { formatMetrics } from '../../dist/services/metrics.js';
import type { PoolStatus, WorkerStatus } from '../../dist/services/pool-status.js';
import { metric, parsePrometheus } from '../prometheus-text.js';

const started = new Date('2026-01-02T03:04:05.000Z');

/** A worker row with defaults for what a test does not care about. */
function worker(fields: Partial<WorkerStatus> & { id: number }): WorkerStatus {
  return {
    pid: 1000 + fields.id,
    state: 'running',
    restarts: 0,
    startedAt: started,
    uptimeMs: 5000,
    tasks: 0,
    busy: false,
    busySlots: 0,
    paused: false,
    lastExit: undefined,
    rssBytes: 40 * 1048576,
    pssBytes: 9 * 1048576,
    ussBytes: 7 * 1048576,
    cpuPercent: 12.5,
    ...fields,
  };
}

/** Non-cumulative counts with the given counts at bucket indexes (the last index is +Inf). */
function counts(length: number, at: Record<number, number>): number[] {
  return Array.from({ length: length + 1 }, (_, i) => at[i] ?? 0);
}

const STATUS: PoolStatus = {
  pid: 4242,
  state: 'running',
  size: 3,
  concurrency: 4,
  taskRate: { perSecond: 1, windowSeconds: 60 },
  paused: true,
  startedAt: started,
  spares: 1,
  restarts: 5,
  tasks: 1234,
  workers: [
    worker({ id: 0, tasks: 1000, restarts: 1, busy: true, busySlots: 3 }),
    worker({ id: 1, tasks: 200, restarts: 4, paused: true }),
    worker({ id: 2, pid: undefined, state: 'waiting', tasks: 34, startedAt: undefined, uptimeMs: undefined, rssBytes: undefined, pssBytes: undefined, ussBytes: undefined, cpuPercent: undefined }),
    worker({ id: 3, state: 'stopping' }),
  ],
  master: { rssBytes: 70 * 1048576, pssBytes: 30 * 1048576, ussBytes: 25 * 1048576, cpuPercent: 1.5 },
  memory: { rssBytes: 230 * 1048576, pssBytes: 57 * 1048576, ussBytes: 46 * 1048576 },
  // 3 tasks ≤ 1 ms, 2 in (5 ms, 10 ms], 1 above 60 s.
  taskSeconds: { bounds: TASK_SECONDS_BOUNDS, counts: counts(TASK_SECONDS_BOUNDS.length, { 0: 3, 2: 2, [TASK_SECONDS_BOUNDS.length]: 1 }), sum: 61.5, count: 6 },
  // 4 respawns in (25 ms, 50 ms].
  respawnSeconds: { bounds: RESPAWN_SECONDS_BOUNDS, counts: counts(RESPAWN_SECONDS_BOUNDS.length, { 5: 4 }), sum: 0.16, count: 4 },
};

describe('formatMetrics', () => {
  const text = formatMetrics(STATUS);
  const families = parsePrometheus(text);

  it('writes valid text format with a HELP and a TYPE for each family, all prefixed supervise_', () => {
    assert.ok(families.size >= 15, `${families.size} families`);
    for (const name of families.keys()) assert.match(name, /^supervise_/);
    assert.equal(families.get('supervise_workers')?.type, 'gauge');
    assert.equal(families.get('supervise_restarts_total')?.type, 'counter');
    assert.equal(families.get('supervise_tasks_total')?.type, 'counter');
    assert.equal(families.get('supervise_task_duration_seconds')?.type, 'histogram');
    assert.equal(families.get('supervise_respawn_latency_seconds')?.type, 'histogram');
  });

  it('counts workers by state, every state present (zeros too)', () => {
    assert.equal(metric(families, 'supervise_workers', { state: 'running' }), 2);
    assert.equal(metric(families, 'supervise_workers', { state: 'waiting' }), 1);
    assert.equal(metric(families, 'supervise_workers', { state: 'stopping' }), 1);
    assert.equal(metric(families, 'supervise_workers', { state: 'loading' }), 0);
    const total = families.get('supervise_workers')!.samples.reduce((sum, s) => sum + s.value, 0);
    assert.equal(total, STATUS.workers.length);
  });

  it('gives the pool size, paused, spares, start time, restarts and tasks', () => {
    assert.equal(metric(families, 'supervise_pool_size'), 3);
    assert.equal(metric(families, 'supervise_paused'), 1);
    assert.equal(metric(families, 'supervise_spares'), 1);
    assert.equal(metric(families, 'supervise_start_time_seconds'), started.getTime() / 1000);
    assert.equal(metric(families, 'supervise_restarts_total'), 5);
    assert.equal(metric(families, 'supervise_tasks_total'), 1234);
  });

  it('gives per-id restarts, tasks, busy, RSS and CPU; leaves out what was not measured', () => {
    assert.equal(metric(families, 'supervise_worker_restarts_total', { id: '1' }), 4);
    assert.equal(metric(families, 'supervise_worker_tasks_total', { id: '0' }), 1000);
    assert.equal(metric(families, 'supervise_worker_busy', { id: '0' }), 1);
    assert.equal(metric(families, 'supervise_worker_busy', { id: '1' }), 0);
    assert.equal(metric(families, 'supervise_worker_resident_memory_bytes', { id: '0' }), 40 * 1048576);
    assert.equal(metric(families, 'supervise_worker_cpu_ratio', { id: '0' }), 0.125);
    assert.equal(metric(families, 'supervise_worker_resident_memory_bytes', { id: '2' }), undefined, 'no process, no RSS sample');
    assert.equal(metric(families, 'supervise_worker_start_time_seconds', { id: '2' }), undefined);
    assert.doesNotMatch(text, /undefined|null/);
  });

  it("gives the master's RSS and CPU", () => {
    assert.equal(metric(families, 'supervise_master_resident_memory_bytes'), 70 * 1048576);
    assert.equal(metric(families, 'supervise_master_pss_bytes'), 30 * 1048576);
    assert.equal(metric(families, 'supervise_master_uss_bytes'), 25 * 1048576);
    assert.equal(metric(families, 'supervise_pool_pss_bytes'), 57 * 1048576);
    assert.equal(metric(families, 'supervise_pool_uss_bytes'), 46 * 1048576);
    assert.equal(metric(families, 'supervise_pool_resident_memory_bytes'), 230 * 1048576);
    assert.equal(metric(families, 'supervise_worker_pss_bytes', { id: '0' }), 9 * 1048576);
    assert.equal(metric(families, 'supervise_worker_uss_bytes', { id: '0' }), 7 * 1048576);
    assert.equal(metric(families, 'supervise_worker_pss_bytes', { id: '2' }), undefined, 'no process, no PSS sample');
    assert.equal(metric(families, 'supervise_busy_slots', { id: '0' }), 3);
    assert.equal(metric(families, 'supervise_busy_slots', { id: '1' }), 0);
    assert.equal(metric(families, 'supervise_concurrency'), 4);
    assert.equal(metric(families, 'supervise_master_cpu_ratio'), 0.015);
  });

  it('writes histograms with cumulative buckets, +Inf, _sum and _count', () => {
    const task = (le: string): number | undefined => metric(families, 'supervise_task_duration_seconds_bucket', { le });
    assert.equal(task('0.001'), 3);
    assert.equal(task('0.005'), 3);
    assert.equal(task('0.01'), 5);
    assert.equal(task('60'), 5);
    assert.equal(task('+Inf'), 6);
    assert.equal(metric(families, 'supervise_task_duration_seconds_sum'), 61.5);
    assert.equal(metric(families, 'supervise_task_duration_seconds_count'), 6);
    const respawn = (le: string): number | undefined => metric(families, 'supervise_respawn_latency_seconds_bucket', { le });
    assert.equal(respawn('0.025'), 0);
    assert.equal(respawn('0.05'), 4);
    assert.equal(respawn('+Inf'), 4);
    assert.equal(metric(families, 'supervise_respawn_latency_seconds_count'), 4);
    assert.match(text, /^supervise_task_duration_seconds_bucket\{le="0\.001"\} 3$/m, 'le written as Prometheus writes it');
  });

  it('takes a status read back from JSON (dates as strings), as the dashboard API gives it', () => {
    const fromJson = JSON.parse(JSON.stringify(STATUS)) as PoolStatus;
    assert.equal(formatMetrics(fromJson), text);
  });
});
