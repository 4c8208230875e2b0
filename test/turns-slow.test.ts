// How late the task loop yields (to IPC, signals, a stop) when its tasks turn from trivial to slow
// at once: in a run of trivial tasks it reads the clock every few tasks, doubling up to 16
// (MAX_TASKS_PER_CLOCK_READ in src/worker/entry.cts), so the yield comes at most that many slow
// tasks late, whatever their pace. Counted in tasks by the app itself (test/fixtures/turns-slow.cjs),
// not timed: a loaded machine changes when, not how many.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bounded, fixture, killStarted, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

/** Trivial tasks between two clock reads at most (MAX_TASKS_PER_CLOCK_READ, src/worker/entry.cts). */
const CAP = 16;
/** One read more than a batch: the read right after a yield does not yield again (the loop has just turned). */
const LATE_BOUND = CAP + 1;

/** The lines of `file` as [kind, pid, value] (the fixture writes each line in one write). */
function lines(file: string): Array<[string, number, number]> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => /^\w+ \d+( \d+)?$/.test(line))
    .map((line) => {
      const [kind, pid, value] = line.split(' ');
      return [kind!, Number(pid), Number(value ?? 0)];
    });
}

/** The values of `kind` lines of `pid`. */
function valuesOf(file: string, kind: string, pid: number): number[] {
  return lines(file)
    .filter(([k, p]) => k === kind && p === pid)
    .map(([, , v]) => v);
}

describe('a task loop whose tasks turn slow', () => {
  it(`trivial tasks, then 20 ms synchronous ones: QUIT stops the worker within ${LATE_BOUND} slow tasks (~${(LATE_BOUND * 0.02).toFixed(1)} s)`, async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'slow');
    const cli = startCli(['--app', fixture('turns-slow.cjs'), '--workers', '1', '--poll', '1'], { env: { SLOW_LOG: log, SLOW_MS: '20' } });
    await cli.waitForLog(/master ready/, 45_000);
    const pid = cli.workerPids().get(0)!;
    await waitFor(() => valuesOf(log, 'slow', pid).length > 0, 45_000, 'the first slow task');
    const before = valuesOf(log, 'slow', pid).length;
    cli.child.kill('SIGQUIT');
    // 17 slow tasks of 20 ms are 0.34 s; the rest is room for a loaded machine.
    assert.deepEqual(await bounded(cli.exited, 60_000, 'the master to exit after QUIT'), { code: 0, signal: null });
    const after_ = valuesOf(log, 'slow', pid).length - before;
    const late = valuesOf(log, 'late', pid);
    // The yield after the first slow one: at most a batch of them.
    assert.ok(late.length > 0 && late[0]! <= LATE_BOUND, `slow tasks before the first yield: ${late.join(', ')}`);
    // Then the stop is seen at a yield within two tasks, plus however long the master took to send it.
    assert.ok(after_ <= LATE_BOUND + 50, `${after_} slow tasks ran after QUIT`);
    assert.doesNotMatch(cli.stderr(), /timeout|no heartbeat|killed/);
    tmp.remove();
  });

  it(`over 12 trivial-to-slow changes, the yield never comes more than ${LATE_BOUND} slow tasks late`, async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'slow');
    // Tasks of 2 ms: the bound is in tasks, whatever their pace; each change costs at most ~0.5 s.
    const cli = startCli(['--app', fixture('turns-slow.cjs'), '--workers', '1', '--poll', '1'], { env: { SLOW_LOG: log, SLOW_MS: '2', EPISODES: '12' } });
    await cli.waitForLog(/master ready/, 45_000);
    const pid = cli.workerPids().get(0)!;
    await waitFor(() => lines(log).some(([kind, p]) => kind === 'done' && p === pid), 120_000, () => `12 changes done: ${valuesOf(log, 'late', pid).join(', ')}`);
    const late = valuesOf(log, 'late', pid).slice(0, 12);
    assert.equal(late.length, 12);
    // Each change falls at a random place in a batch: 12 of them come near the batch's size, so a
    // batch four times larger (64) would show here with a chance of 1 − (17/64)^12.
    assert.ok(Math.max(...late) <= LATE_BOUND, `slow tasks before a yield, per change: ${late.join(', ')}`);
    cli.child.kill('SIGTERM');
    assert.equal((await bounded(cli.exited, 60_000, 'the master to exit')).code, 0);
    tmp.remove();
  });

  it(`with --timeout, at most ${LATE_BOUND} slow tasks come before a yield, so the heartbeat is not held up and the worker is not taken for hung`, async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'slow');
    // 17 tasks of 20 ms hold the heartbeat 0.34 s; 200 of them would pass --timeout 3's beat (3.75 s).
    const cli = startCli(['--app', fixture('turns-slow.cjs'), '--workers', '1', '--poll', '1', '--timeout', '3'], { env: { SLOW_LOG: log, SLOW_MS: '20' } });
    await cli.waitForLog(/master ready/, 45_000);
    const pid = cli.workerPids().get(0)!;
    await waitFor(() => valuesOf(log, 'late', pid).length > 0, 45_000, 'the first yield after the slow tasks began');
    const late = valuesOf(log, 'late', pid);
    assert.ok(late[0]! <= LATE_BOUND, `slow tasks before the first yield: ${late.join(', ')}`);
    cli.child.kill('SIGQUIT');
    assert.deepEqual(await bounded(cli.exited, 60_000, 'the master to exit after QUIT'), { code: 0, signal: null });
    assert.doesNotMatch(cli.stderr(), /no heartbeat|task running|killed/);
    assert.deepEqual([...new Set(lines(log).map(([, p]) => p))], [pid], 'one worker process throughout');
    tmp.remove();
  });
});
