/**
 * The app's beforeExit hook with real processes: it runs once in each worker after its last task
 * on a graceful stop, a quick stop (ctx.signal aborted), a reload's hand-over and the master's
 * death; a hook that hangs is cut after --grace, one that throws is logged; neither holds a stop.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture, isAlive, killStarted, readEvents, startCli, tempDir, waitFor, type RunningCli } from './helpers.js';

after(killStarted);

/** A pool of `workers` running the before-exit fixture, ready; with its event log. */
async function startPool(workers: number, env: Record<string, string> = {}, args: string[] = []): Promise<{ cli: RunningCli; events: string; remove(): void }> {
  const tmp = tempDir();
  const events = join(tmp.dir, 'events');
  const cli = startCli(['--app', fixture('before-exit.cjs'), '--workers', String(workers), '--poll', '1', ...args], { env: { FIXTURE_LOG: events, ...env } });
  await cli.waitForLog(/master ready/);
  await waitFor(() => readEvents(events).filter((e) => e.ev === 'start').length >= workers, 45_000, 'every worker in a task');
  return { cli, events, remove: () => tmp.remove() };
}

/** Asserts that each pid ran beforeExit once, after its last task ended, and finished it. */
function assertCleanedAfterLastTask(events: string, pids: number[], aborted: boolean): void {
  const all = readEvents(events);
  for (const pid of pids) {
    const mine = all.filter((e) => e.pid === pid);
    const hooks = mine.filter((e) => e.ev === 'beforeExit');
    assert.equal(hooks.length, 1, `pid ${pid} ran beforeExit once`);
    assert.equal(hooks[0]!['aborted'], aborted, `pid ${pid}: ctx.signal aborted is ${aborted}`);
    const lastTask = mine.filter((e) => e.ev === 'end' || e.ev === 'aborted').at(-1);
    assert.ok(lastTask !== undefined && lastTask.t <= hooks[0]!.t, `pid ${pid} ran beforeExit after its last task`);
    assert.ok(mine.some((e) => e.ev === 'cleaned'), `pid ${pid} finished its cleanup`);
  }
}

describe('beforeExit', () => {
  it('runs once per worker after its last task on a graceful stop (QUIT)', async () => {
    const { cli, events, remove } = await startPool(3);
    const pids = [...cli.workerPids().values()];
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    assertCleanedAfterLastTask(events, pids, false);
    remove();
  });

  it('runs with ctx.signal aborted on a quick stop (TERM)', async () => {
    const { cli, events, remove } = await startPool(2, { TASK_MS: '5000' });
    const pids = [...cli.workerPids().values()];
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    assertCleanedAfterLastTask(events, pids, true);
    remove();
  });

  it('runs in each old worker as a reload hands its id over', async () => {
    const { cli, events, remove } = await startPool(2);
    const old = [...cli.workerPids().values()];
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload done/, 15_000);
    await waitFor(() => old.every((pid) => !isAlive(pid)), 45_000, 'old workers gone');
    assertCleanedAfterLastTask(events, old, false);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    remove();
  });

  it("runs after the master's death, and the workers still leave", async () => {
    const { cli, events, remove } = await startPool(2, { TASK_MS: '300' });
    const pids = [...cli.workerPids().values()];
    cli.child.kill('SIGKILL');
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 45_000, 'workers gone after their task and cleanup');
    assertCleanedAfterLastTask(events, pids, false);
    remove();
  });

  it('a hook that never settles is cut after --grace and logged; the stop completes', async () => {
    const { cli, events, remove } = await startPool(1, { BEFORE_EXIT: 'hang' }, ['--grace', '1']);
    const started = Date.now();
    cli.child.kill('SIGQUIT');
    assert.equal((await waitFor(() => cli.exited, 45_000, 'the master to stop')).code, 0);
    assert.ok(Date.now() - started < 4000, 'bounded by the grace');
    assert.match(cli.stderr(), /worker\[0\] failed in beforeExit: did not finish within 1s \(--grace\)/);
    assert.match(cli.stderr(), /worker\[0\] exited code=1/);
    assert.equal(readEvents(events).filter((e) => e.ev === 'beforeExit').length, 1);
    remove();
  });

  it('a hook that throws is logged with its message and the app\'s stack', async () => {
    const { cli, remove } = await startPool(1, { BEFORE_EXIT: 'throw' });
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    assert.match(cli.stderr(), /worker\[0\] failed in beforeExit: cleanup boom/);
    // The app's own failure: its stack follows, indented, the runtime's frames trimmed.
    assert.match(cli.stderr(), /worker\[0\] failed in beforeExit: cleanup boom\n {4}Error: cleanup boom\n {8}at .*before-exit\.cjs:\d+:\d+\)?\n/);
    assert.doesNotMatch(cli.stderr(), /dist\/(worker|shared)\//);
    remove();
  });
});
