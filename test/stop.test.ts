import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture, isAlive, killStarted, readEvents, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

/** Starts `workers` workers of app.cjs with the given env, waiting until every one is mid-task. */
async function busyPool(workers: number, env: Record<string, string>, extra: string[] = []) {
  const tmp = tempDir();
  const log = join(tmp.dir, 'events');
  const cli = startCli(['--app', fixture('app.cjs'), '--workers', String(workers), ...extra], { env: { FIXTURE_LOG: log, ...env } });
  await cli.waitForLog(/master ready/);
  await waitFor(() => new Set(readEvents(log).filter((e) => e.ev === 'start').map((e) => e.id)).size === workers, 45_000, 'all workers mid-task');
  return { cli, log, tmp, pids: [...cli.workerPids().values()] };
}

describe('stopping the pool', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: quick stop aborts ctx.signal, workers end, master exits 0`, async () => {
      const { cli, log, tmp, pids } = await busyPool(3, { TASK_MS: '60000' });
      cli.child.kill(signal);
      assert.deepEqual(await cli.exited, { code: 0, signal: null });
      assert.ok(pids.every((pid) => !isAlive(pid)));
      const aborted = readEvents(log).filter((e) => e.ev === 'aborted');
      assert.deepEqual(aborted.map((e) => e.id).sort(), [0, 1, 2]);
      assert.match(cli.stderr(), /master stopping \(quick/);
      tmp.remove();
    });
  }

  it('TERM: a task that ignores the abort is SIGKILLed after --grace', async () => {
    const { cli, tmp, pids } = await busyPool(2, { TASK_MS: '60000', MODE: 'ignore-abort' }, ['--grace', '1']);
    const sent = Date.now();
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    assert.ok(Date.now() - sent >= 900, 'waited for the grace period');
    assert.match(cli.stderr(), /worker\[0\] exited signal=SIGKILL/);
    assert.ok(pids.every((pid) => !isAlive(pid)));
    tmp.remove();
  });

  it('a second TERM kills at once, without waiting for --grace', async () => {
    const { cli, tmp, pids } = await busyPool(2, { TASK_MS: '60000', MODE: 'ignore-abort' }, ['--grace', '30']);
    cli.child.kill('SIGTERM');
    await cli.waitForLog(/master stopping/);
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    assert.match(cli.stderr(), /killing every worker now/);
    assert.ok(pids.every((pid) => !isAlive(pid)));
    tmp.remove();
  });

  it('QUIT: every worker finishes its current task, starts no other, and exits; master exits 0', async () => {
    const { cli, log, tmp, pids } = await busyPool(3, { TASK_MS: '800' });
    const sent = Date.now();
    cli.child.kill('SIGQUIT');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    const events = readEvents(log);
    for (const pid of pids) {
      const mine = events.filter((e) => e.pid === pid);
      assert.equal(mine.filter((e) => e.ev === 'end').length, mine.filter((e) => e.ev === 'start').length, `${pid} finished its task`);
      assert.ok(!mine.some((e) => e.ev === 'start' && e.t > sent + 50), `${pid} started nothing after QUIT`);
      assert.ok(!mine.some((e) => e.ev === 'aborted'));
    }
    assert.ok(pids.every((pid) => !isAlive(pid)));
    tmp.remove();
  });

  it('TERM after QUIT turns the graceful stop into a quick one', async () => {
    const { cli, log, tmp } = await busyPool(2, { TASK_MS: '60000' });
    cli.child.kill('SIGQUIT');
    await cli.waitForLog(/master stopping \(graceful/);
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    assert.equal(readEvents(log).filter((e) => e.ev === 'aborted').length, 2);
    tmp.remove();
  });

  it('sees a stop within a bound even when tasks return at once', async () => {
    const cli = startCli(['--app', fixture('instant.cjs'), '--workers', '2']);
    await cli.waitForLog(/master ready/);
    cli.child.kill('SIGQUIT');
    const timer = setTimeout(() => cli.child.kill('SIGKILL'), 45_000); // a bound, not a timing: a loaded machine is slow
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    clearTimeout(timer);
  });
});

describe('a stop that comes during start', () => {
  it('TERM before the workers are ready still exits 0 and leaves nothing', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '3']);
    await cli.waitForLog(/worker\[2\] spawned/);
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    assert.ok(cli.allWorkerPids().every((pid) => !isAlive(pid)));
  });
});
