/**
 * The pure parts of operations: the new options, where the control socket goes by default, the
 * status table, CPU % from readings, histograms, and log rotation's renames (in a temp directory).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultControlPath } from '../../dist/cli/control-client.cjs';
import { ErrorCode } from '../../dist/shared/errors.cjs';
import { Histogram, sumHistograms } from '../../dist/shared/histogram.cjs';
import { LogFiles } from '../../dist/shared/log-files.js';
import { resolveOptions, type SupervisorOptions } from '../../dist/shared/options.js';
import type { PoolStatus } from '../../dist/services/pool-status.js';
import { CpuMeter } from '../../dist/services/process-stats.js';
import { formatStatus, formatUptime } from '../../dist/cli/status-table.cjs';
import { fixture } from './fakes.js';

const APP = fixture('app.cjs');

describe('operations options', () => {
  it('default the log sizes and leave the rest off', () => {
    const o = resolveOptions({ app: APP });
    assert.deepEqual([o.control, o.logDir, o.logMaxBytes, o.logBackups, o.user, o.group], [undefined, undefined, 52428800, 10, undefined, undefined]);
  });

  it('take user and group names or ids, and refuse anything else with one line', () => {
    assert.equal(resolveOptions({ app: APP, user: 'www-data' }).user, 'www-data');
    assert.equal(resolveOptions({ app: APP, user: '33' }).user, 33);
    assert.equal(resolveOptions({ app: APP, group: 0 }).group, 0);
    assert.throws(() => resolveOptions({ app: APP, user: 'rm -rf' }), { code: ErrorCode.OPTION, message: 'invalid --user: "rm -rf" is not a user name or numeric id' });
    assert.throws(() => resolveOptions({ app: APP, group: -1 } as SupervisorOptions), { code: ErrorCode.OPTION });
  });

  it('want at least one backup and a byte count ≥ 0', () => {
    assert.throws(() => resolveOptions({ app: APP, logBackups: 0 }), { message: 'invalid --log-backups: 0 is not a positive integer' });
    assert.throws(() => resolveOptions({ app: APP, logMaxBytes: -5 }), { message: 'invalid --log-max-bytes: -5 is not a whole number ≥ 0' });
    assert.equal(resolveOptions({ app: APP, logMaxBytes: 0 }).logMaxBytes, 0);
  });
});

describe('defaultControlPath', () => {
  it('sits beside the pid file, else in the runtime directory, else in a per-user /tmp directory', () => {
    assert.equal(defaultControlPath('/run/app.pid', {}), '/run/app.sock');
    assert.equal(defaultControlPath('/run/app', {}), '/run/app.sock');
    assert.equal(defaultControlPath(undefined, { XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/supervise.sock');
    assert.equal(defaultControlPath(undefined, {}), join(tmpdir(), `supervise-${process.getuid!()}`, 'supervise.sock'));
  });
});

describe('status table', () => {
  it('formats uptimes as ps does, short', () => {
    assert.deepEqual([5_000, 125_000, 3 * 3600_000 + 120_000, 2 * 86400_000 + 3600_000, undefined].map(formatUptime), ['5s', '2m05s', '3h02m', '2d01h', '-']);
  });

  it('prints a header and one aligned row per worker', () => {
    const empty = new Histogram([1]).snapshot();
    const status: PoolStatus = {
      pid: 100, state: 'running', size: 2, concurrency: 1, paused: false, startedAt: new Date(0), spares: 1, restarts: 3, tasks: 42, taskRate: { perSecond: 0.5, windowSeconds: 60 },
      master: { rssBytes: 50 * 1048576, pssBytes: 20 * 1048576, ussBytes: 15 * 1048576, cpuPercent: 0.1 },
      memory: { rssBytes: 94 * 1048576, pssBytes: 30 * 1048576, ussBytes: 22 * 1048576 },
      taskSeconds: empty, respawnSeconds: empty,
      workers: [
        { id: 0, pid: 101, state: 'running', restarts: 0, startedAt: new Date(0), uptimeMs: 61_000, tasks: 40, busy: true, busySlots: 1, paused: false, lastExit: undefined, rssBytes: 44 * 1048576, pssBytes: 10 * 1048576, ussBytes: 7 * 1048576, cpuPercent: 12.5 },
        { id: 1, pid: undefined, state: 'waiting', restarts: 3, startedAt: undefined, uptimeMs: undefined, tasks: 2, busy: false, busySlots: 0, paused: false, lastExit: { code: 1, signal: null, at: new Date(0), cause: 'crash', clean: false }, rssBytes: undefined, pssBytes: undefined, ussBytes: undefined, cpuPercent: undefined },
      ],
    };
    assert.equal(
      formatStatus(status, 90_000),
      [
        'master pid=100 running workers=2 spares=1 up 1m30s tasks=42 restarts=3 pss=20.0M uss=15.0M rss=50.0M cpu=0.1%',
        'pool memory (master + workers + spares): pss=30.0M uss=22.0M rss=94.0M (rss counts shared pages once per process)',
        'ID  PID  STATE    UPTIME  TASKS  RESTARTS  LAST EXIT       PSS   USS    RSS  CPU%',
        ' 0  101  busy      1m01s     40         0  -             10.0M  7.0M  44.0M  12.5',
        ' 1    -  waiting       -      2         3  crash code=1      -     -      -     -',
        '',
      ].join('\n'),
    );
    const serving: PoolStatus = { ...status, listeners: [{ address: '127.0.0.1:8080', kind: 'tcp', fd: 4 }, { address: '/run/app.sock', kind: 'unix', fd: 5 }] };
    assert.equal(formatStatus(serving, 90_000).split('\n')[2], 'listening: 127.0.0.1:8080 (tcp, fd 4), /run/app.sock (unix, fd 5)');
  });
});

describe('CpuMeter', () => {
  it('gives CPU % since the previous reading, or over the life of the process on the first', () => {
    const meter = new CpuMeter();
    assert.equal(meter.percent(7, { rssBytes: 0, cpuSeconds: 1 }, 0, 10_000), 10, '1 s of CPU in 10 s of life');
    assert.equal(meter.percent(7, { rssBytes: 0, cpuSeconds: 1.5 }, 0, 11_000), 50, '0.5 s in the last second');
    meter.retain(new Set());
    assert.equal(meter.percent(7, { rssBytes: 0, cpuSeconds: 1.5 }, 0, 15_000), 10, 'forgotten: over its life again');
  });
});

describe('Histogram', () => {
  it('counts into the first bucket whose bound holds the value, +Inf last, and sums snapshots', () => {
    const h = new Histogram([0.01, 0.1]);
    h.observe(0.005);
    h.observe(0.01);
    h.observe(0.05, 3);
    h.observe(7);
    assert.deepEqual(h.snapshot(), { bounds: [0.01, 0.1], counts: [2, 3, 1], sum: 7.165, count: 6 });
    assert.deepEqual(sumHistograms([0.01, 0.1], [h.snapshot(), undefined, h.snapshot()]).counts, [4, 6, 2]);
  });
});

describe('LogFiles rotation', () => {
  it('moves a file past the limit to .1, shifts older ones, drops the oldest, and leaves a fresh file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervise-logs-'));
    try {
      const files = new LogFiles(dir, 10, 2);
      files.open();
      for (const [name, text] of [['worker-0.log', 'newest line\n'], ['worker-0.log.1', 'older\n'], ['worker-0.log.2', 'oldest\n'], ['worker-1.log', 'small\n']] as const) {
        writeFileSync(join(dir, name), text);
      }
      assert.deepEqual(files.rotateOversized(['worker-0.log', 'worker-1.log']), ['worker-0.log']);
      assert.equal(readFileSync(join(dir, 'worker-0.log'), 'utf8'), '');
      assert.equal(readFileSync(join(dir, 'worker-0.log.1'), 'utf8'), 'newest line\n');
      assert.equal(readFileSync(join(dir, 'worker-0.log.2'), 'utf8'), 'older\n');
      assert.ok(!existsSync(join(dir, 'worker-0.log.3')), 'no more than --log-backups kept');
      assert.equal(readFileSync(join(dir, 'worker-1.log'), 'utf8'), 'small\n', 'a file under the limit stays');
      files.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
