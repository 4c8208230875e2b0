/**
 * The benchmark report (bench/report/*.mjs) on synthetic results: every new table renders its
 * figures (spreads, ratios, stamps), a skipped measure says why, and --merge's carried stamps are
 * shown. No process is started: the figures belong to `make bench`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers.js';

/** Imports a module of bench/ by path (plain JavaScript, untyped). */
async function bench(path: string): Promise<Record<string, (...args: unknown[]) => unknown>> {
  return (await import(pathToFileURL(join(ROOT, 'bench', path)).href)) as Record<string, (...args: unknown[]) => unknown>;
}

const sp = (median: number) => ({ n: 5, median, q1: median - 1, q3: median + 1, min: median - 2, max: median + 2 });
const stamp = { at: '2026-12-02T00:20:00.000Z', load: [9.5, 8, 7], argv: '--measures http' };

/** A results object as bench/run.mjs writes it, with one of every new measure. */
function results(): Record<string, unknown> {
  return {
    schema: 1,
    startedAt: '2026-12-02T00:30:00.000Z',
    argv: '--merge',
    machine: { cpus: 2, cpu: 'test cpu', kernel: '6.1', node: 'v20' },
    config: { bootSizes: [4], memorySizes: [32], respawnWorkers: 4, deathWorkers: 8, costSeconds: 30 },
    floor: { nodeColdMs: 50, nodeColdSamplesMs: [50], nodeIdleRssMb: 40 },
    load: { before: [1, 2, 3], after: [4, 5, 6] },
    stamps: { 'run.http': stamp, 'supervise.overhead': { ...stamp, argv: '--measures overhead' } },
    systems: [
      {
        id: 'supervise',
        label: 'supervise (cold)',
        version: '0.1.0',
        skipped: null,
        memory: { 32: { workers: 32, processes: 33, totalPssMib: 280, totalUssMib: 250, rssSumMib: 1400, masterPssMib: 20, perWorkerPssMib: 8.1, otherProcesses: 0 } },
        overhead: {
          rounds: 20,
          windowMs: 300,
          overheadPct: sp(3),
          overheadCpuPct: sp(14.3),
          clockOverheadCpuPct: sp(12),
          yieldOverheadPct: sp(1),
          yieldOverheadCpuPct: sp(11),
          patchedEvery: 256,
          patchedOverheadCpuPct: sp(6),
          patchedOverheadPct: sp(2),
          tasksPerCpuS: sp(6.4e6),
          bareTasksPerCpuS: sp(7.5e6),
        },
        reload: { workers: 8, reloads: 5, moveMs: 600, maxGapMs: 7.5, idGapSpread: sp(5), gapsMs: [], cut: 0, oldStillRunning: 0, floorExitMs: sp(4), floorMessageMs: sp(1) },
      },
      { id: 'cluster', label: 'Node cluster', version: 'node 20', skipped: null, memory: { 32: { totalPssMib: 250, totalUssMib: 230, rssSumMib: 1380, masterPssMib: 9, perWorkerPssMib: 7.5 } } },
    ],
    cold: {
      systems: [
        { id: 'spawn-floor', label: 'floor: plain node spawns' },
        { id: 'supervise', label: 'supervise (cold)' },
      ],
      sizes: [4],
      rounds: { 4: 5 },
      boot: { 4: { 'spawn-floor': { ...sp(300), vsFloor: 1 }, supervise: { ...sp(330), vsFloor: 1.1, vsCluster: 0.97 } } },
      respawn: { 'spawn-floor': { ...sp(60), vsFloor: 1 }, supervise: { ...sp(66), vsFloor: 1.12 } },
      respawnWorkers: 4,
      kills: 12,
    },
    http: {
      workers: 2,
      rounds: 2,
      seconds: 5,
      connections: 16,
      reloadS: 10,
      systems: [{ id: 'supervise', label: 'supervise --listen' }],
      notRun: [{ id: 'unicorn', label: 'Unicorn', why: 'unicorn is not installed' }],
      rates: { keepAlive: { supervise: { rps: sp(3411), vsCluster: 0.89, failed: 0, requests: 34102 } }, newConnection: { supervise: { rps: sp(738), failed: 0, requests: 7375 } } },
      reloads: [{ reload: 'pm2 reload', system: 'pm2', mode: 'keepAlive', requests: 19759, failed: 21, errors: 21, timeouts: 0, non2xx: 0, oldLeft: 0 }],
    },
    seed: { skipped: 'supervise not among --systems' },
  };
}

describe('benchmark report', () => {
  it('renders the side-by-side tables, the spreads, the memory table and the stamps', async () => {
    const { resultsMarkdown } = await bench('report/markdown.mjs');
    const md = String(resultsMarkdown(results(), 'chart.svg'));
    assert.match(md, /Load average \(1, 5, 15 min\) at the start 1, 2, 3, at the end 4, 5, 6\./);
    assert.match(md, /\| supervise \(cold\) \| \*\*330\*\* \(IQR 329–331, range 328–332\) \| ×1\.10 \| ×0\.97 \|/);
    assert.match(md, /\| supervise --listen \| \*\*3411\*\* \(IQR 3410–3412, range 3409–3413\) \| ×0\.89 \| \*\*738\*\*/);
    assert.match(md, /\| Unicorn \| skipped: unicorn is not installed \|/);
    assert.match(md, /\| pm2 reload \| keep-alive \| 19759 \| \*\*21\*\* \(0\.11 %: 21 errors, 0 timeouts, 0 non-2xx\) \| 0 \|/);
    assert.match(md, /\| supervise \(cold\): its task loop \| \*\*14\.3 %\*\*/);
    assert.match(md, /MAX_TASKS_PER_CLOCK_READ = 256 .*\| \*\*6 %\*\*/);
    assert.match(md, /\| floor: old exits → parent → new starts .*\*\*4\*\*/);
    assert.match(md, /\| supervise \(cold\) \| 32 \| 280 \(×1\.12, —\) \| 8\.10 \| 20 \| 250 \| 1400 \(×5 the PSS\) \|/);
    assert.match(md, /_Measured 2026-12-02 00:20 UTC, 1-minute load average 9\.5, `node bench\/run\.mjs --measures http`\._/);
    assert.match(md, /The seed scenario[\s\S]*skipped: supervise not among --systems/);
  });

  it('checks the overhead target on the median by CPU time and the gap on the median reload', async () => {
    const { checkTargets } = await bench('report/targets.mjs');
    const rows = checkTargets(results()) as { name: string; value: number; met: boolean }[];
    const overhead = rows.find((r) => r.name.startsWith('task-loop overhead'));
    assert.deepEqual([overhead?.value, overhead?.met], [14.3, false]);
    const gap = rows.find((r) => r.name.startsWith('reload: longest gap'));
    assert.deepEqual([gap?.value, gap?.met], [7.5, false]);
  });
});
