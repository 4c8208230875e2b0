// --concurrency c: c task loops in each worker process, each with its ctx.slot; they run at once,
// status shows the busy slots, a graceful stop lets every slot finish its task, a quick stop
// aborts them all.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture, isAlive, killStarted, readEvents, runCli, startCli, tempDir, waitFor, type FixtureEvent, type RunningCli } from './helpers.js';

after(killStarted);

/** Starts app.cjs with `workers` × `concurrency` task loops (and `flags`), waiting until `started` tasks have begun. */
async function slotPool(workers: number, concurrency: number, env: Record<string, string>, started = workers * concurrency, flags: string[] = []) {
  const tmp = tempDir();
  const log = join(tmp.dir, 'events');
  const cli = startCli(['--app', fixture('app.cjs'), '--workers', String(workers), '--concurrency', String(concurrency), ...flags], { env: { FIXTURE_LOG: log, ...env } });
  await cli.waitForLog(/master ready/, 30_000);
  await waitFor(() => readEvents(log).filter((e) => e.ev === 'start').length >= started, 30_000, `${started} tasks started`);
  return { cli, log, tmp, pids: [...cli.workerPids().values()] };
}

/** A task's identity: its process and the process's task number. */
const key = (e: FixtureEvent): string => `${e.pid}/${String(e['n'])}`;

/** `supervise status --json` of `cli`'s master. */
async function statusJson(cli: RunningCli): Promise<{ concurrency: number; workers: Array<{ id: number; busySlots: number; busy: boolean }> }> {
  const result = await runCli(['status', '--json'], { env: { XDG_RUNTIME_DIR: join(cli.controlPath, '..') } });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as never;
}

describe('--concurrency', () => {
  it('runs c tasks at once in one process, with slots 0..c-1 and the process id', async () => {
    // Four 300 ms tasks: in one process, one after the other, the fourth would start after the first ended.
    const { cli, log, tmp, pids } = await slotPool(1, 4, { TASK_MS: '300' }, 8);
    const events = readEvents(log);
    assert.equal(pids.length, 1);
    const starts = events.filter((e) => e.ev === 'start');
    const first = [0, 1, 2, 3].map((slot) => starts.find((e) => e['slot'] === slot));
    assert.ok(first.every((e) => e !== undefined && e.pid === pids[0] && e.id === 0), `one process, id 0, slots 0..3: ${JSON.stringify(starts)}`);
    assert.ok(starts.every((e) => typeof e['slot'] === 'number' && (e['slot'] as number) >= 0 && (e['slot'] as number) < 4), 'no slot outside 0..3');
    const ends = new Map(events.filter((e) => e.ev === 'end').map((e) => [key(e), e]));
    const firstEnd = Math.min(...first.map((e) => ends.get(key(e!))?.t ?? Number.POSITIVE_INFINITY));
    const lastStart = Math.max(...first.map((e) => e!.t));
    assert.ok(lastStart < firstEnd, `the four first tasks overlap: last start ${lastStart}, first end ${firstEnd}`);
    // Each slot runs its tasks one after the other: a slot's second task starts after its first ended.
    for (const slot of [0, 1, 2, 3]) {
      const own = starts.filter((e) => e['slot'] === slot);
      if (own.length < 2) continue;
      assert.ok(own[1]!.t >= (ends.get(key(own[0]!))?.t ?? Number.POSITIVE_INFINITY), `slot ${slot} ran its tasks in turn`);
    }
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    tmp.remove();
  });

  it('status shows the busy slots; a quick stop aborts every slot of every worker', async () => {
    const { cli, log, tmp, pids } = await slotPool(2, 3, { TASK_MS: '60000' });
    const status = await waitFor(async () => {
      const s = await statusJson(cli);
      return s.workers.every((w) => w.busySlots === 3) ? s : undefined;
    }, 15_000, 'three busy slots in each worker');
    assert.equal(status.concurrency, 3);
    const table = await runCli(['status'], { env: { XDG_RUNTIME_DIR: join(cli.controlPath, '..') } });
    assert.match(table.stdout, /^master pid=\d+ running workers=2x3 /);
    assert.match(table.stdout, /^ID\s+PID\s+STATE\s+BUSY\s+UPTIME/m);
    assert.match(table.stdout, /^\s*0\s+\d+\s+busy\s+3\/3\s/m);
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    assert.ok(pids.every((pid) => !isAlive(pid)));
    const aborted = readEvents(log).filter((e) => e.ev === 'aborted');
    assert.deepEqual(aborted.map((e) => `${e.id}:${String(e['slot'])}`).sort(), ['0:0', '0:1', '0:2', '1:0', '1:1', '1:2']);
    tmp.remove();
  });

  it('a graceful stop (QUIT) lets every slot finish its task and start no other', async () => {
    const { cli, log, tmp, pids } = await slotPool(2, 3, { TASK_MS: '1500' });
    cli.child.kill('SIGQUIT');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    assert.ok(pids.every((pid) => !isAlive(pid)));
    const events = readEvents(log);
    const ended = new Set(events.filter((e) => e.ev === 'end').map(key));
    const starts = events.filter((e) => e.ev === 'start');
    assert.ok(starts.length >= 6);
    assert.deepEqual(starts.filter((e) => !ended.has(key(e))).map(key), [], 'every task that started also ended');
    assert.equal(events.filter((e) => e.ev === 'aborted').length, 0);
    tmp.remove();
  });

  it('a pause holds once every slot has finished its task; resume starts them again', async () => {
    const { cli, log, tmp } = await slotPool(1, 3, { TASK_MS: '400' });
    const env = { XDG_RUNTIME_DIR: join(cli.controlPath, '..') };
    const pause = await runCli(['ctl', 'pause'], { env });
    assert.equal(pause.code, 0, pause.stderr);
    const held = readEvents(log);
    const ended = new Set(held.filter((e) => e.ev === 'end').map(key));
    assert.deepEqual(held.filter((e) => e.ev === 'start' && !ended.has(key(e))).map(key), [], 'no task runs once paused');
    const status = await statusJson(cli);
    assert.deepEqual(status.workers.map((w) => w.busySlots), [0]);
    const resume = await runCli(['ctl', 'resume'], { env });
    assert.equal(resume.code, 0, resume.stderr);
    await waitFor(() => new Set(readEvents(log).slice(held.length).filter((e) => e.ev === 'start').map((e) => e['slot'])).size === 3, 30_000, 'all three slots working again');
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    tmp.remove();
  });

  it('gives ctx.slot 0 with c = 1, and refuses a bad value in one line', async () => {
    const { cli, log, tmp } = await slotPool(1, 1, { TASK_MS: '20' }, 2);
    assert.ok(readEvents(log).filter((e) => e.ev === 'start').every((e) => e['slot'] === 0));
    cli.child.kill('SIGTERM');
    await cli.exited;
    tmp.remove();
    const bad = await runCli(['--app', fixture('app.cjs'), '--concurrency', '0']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'supervise: invalid --concurrency: 0 is not a positive integer\n');
  });

  it('--timeout times the oldest task: a hung slot gets the process killed and respawned while the other slots kept working', async () => {
    const { cli, log, tmp, pids } = await slotPool(1, 3, { MODE: 'hang-slot-0', TASK_MS: '100' }, 3, ['--timeout', '2']);
    const [first] = pids;
    await cli.waitForLog(/worker\[0\] timed out: task running [\d.]+s, over --timeout 2s; killing pid=\d+/, 30_000);
    await waitFor(() => cli.workerPids().get(0) !== first && !isAlive(first!), 30_000, 'id 0 respawned under a new pid');
    const events = readEvents(log).filter((e) => e.pid === first);
    const others = events.filter((e) => e.ev === 'end' && e['slot'] !== 0);
    assert.ok(others.length >= 4, `slots 1 and 2 kept finishing tasks beside the hung one: ${others.length}`);
    assert.equal(events.filter((e) => e.ev === 'end' && e['slot'] === 0).length, 0, 'the hung task never ended');
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    tmp.remove();
  });

  it("--max-tasks counts the process's tasks over all slots: it recycles with every slot's task finished", async () => {
    const { cli, log, tmp, pids } = await slotPool(1, 3, { TASK_MS: '150' }, 3, ['--max-tasks', '9']);
    const [first] = pids;
    await cli.waitForLog(/worker\[0\] recycling: served \d+ tasks/, 30_000);
    await waitFor(() => cli.workerPids().get(0) !== first && !isAlive(first!), 30_000, 'id 0 replaced under a new pid');
    const events = readEvents(log).filter((e) => e.pid === first);
    const starts = events.filter((e) => e.ev === 'start');
    const ended = new Set(events.filter((e) => e.ev === 'end').map(key));
    // 9 tasks, up to 10 % more drawn per worker, plus the two other slots' tasks in flight at the limit.
    assert.ok(starts.length >= 9 && starts.length <= 9 + 1 + 2, `tasks of the recycled process: ${starts.length}`);
    assert.deepEqual(starts.filter((e) => !ended.has(key(e))).map(key), [], 'every task of the recycled process finished');
    assert.equal(events.filter((e) => e.ev === 'aborted').length, 0);
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    tmp.remove();
  });

  it('a rolling reload (HUP) replaces each process once every one of its slots has finished its task', async () => {
    const { cli, log, tmp, pids } = await slotPool(2, 3, { TASK_MS: '700' });
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload done: 2 workers/, 60_000);
    const fresh = [...cli.workerPids().values()];
    assert.ok(fresh.every((pid) => !pids.includes(pid)), `new pids ${fresh.join(',')} vs ${pids.join(',')}`);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 30_000, 'the old processes gone');
    const events = readEvents(log);
    const old = events.filter((e) => pids.includes(e.pid));
    const ended = new Set(old.filter((e) => e.ev === 'end').map(key));
    assert.deepEqual(old.filter((e) => e.ev === 'start' && !ended.has(key(e))).map(key), [], 'every task of the old processes finished');
    assert.equal(events.filter((e) => e.ev === 'aborted').length, 0);
    await waitFor(() => fresh.every((pid) => readEvents(log).some((e) => e.ev === 'start' && e.pid === pid)), 30_000, 'the new processes work');
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    tmp.remove();
  });
});
