import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, isAlive, killStarted, readEvents, startCli, tempDir, waitFor, sleep } from './helpers.js';

after(killStarted);

describe('respawn', () => {
  it('replaces a SIGKILLed worker under the same id at once, well before the poll sweep', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '3', '--poll', '30']);
    await cli.waitForLog(/master ready/);
    const old = cli.workerPids().get(1)!;
    process.kill(old, 'SIGKILL');
    // poll is 30 s: only the event-driven respawn can bring it back within the bound.
    await cli.waitForLog(/worker\[1\] exited signal=SIGKILL[\s\S]*worker\[1\] respawning[\s\S]*worker\[1\] ready/, 45_000);
    const fresh = cli.workerPids().get(1)!;
    assert.notEqual(fresh, old);
    assert.ok(isAlive(fresh));
    assert.deepEqual([...cli.workerPids().keys()].sort(), [0, 1, 2]);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });

  for (const [mode, words] of [
    ['task-throw', /worker\[0\] failed in a task: task boom 0/],
    ['task-reject', /worker\[0\] failed in a task: task rejected 0/],
    ['task-exit', /worker\[0\] exited code=3/],
  ] as const) {
    it(`logs and replaces a worker whose task ${mode.replace('task-', '')}s`, async () => {
      const tmp = tempDir();
      const log = join(tmp.dir, 'events');
      const cli = startCli(['--app', fixture('app.cjs'), '--workers', '1', '--poll', '1'], { env: { MODE: mode, FIXTURE_LOG: log } });
      await cli.waitForLog(words);
      await cli.waitForLog(/worker\[0\] respawning[\s\S]*worker\[0\] spawned/);
      await waitFor(() => new Set(readEvents(log).filter((e) => e.ev === 'start').map((e) => e.pid)).size >= 2, 45_000, 'a second process running tasks');
      cli.child.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
      tmp.remove();
    });
  }

  it('backs off a worker that keeps failing at start, capped at the poll interval, and recovers when fixed', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events');
    const marker = join(tmp.dir, 'broken');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1'], {
      env: { MODE: 'fail-after-marker', MARKER: marker, FIXTURE_LOG: log },
    });
    await cli.waitForLog(/master ready/);
    writeFileSync(marker, ''); // from now on every new worker fails in afterFork
    process.kill(cli.workerPids().get(0)!, 'SIGKILL');
    await cli.waitForLog(/worker\[0\] failed in afterFork: marker present 0/);
    await cli.waitForLog(/worker\[0\] respawning in 1000ms/, 45_000);
    const attempts = (): number => readEvents(log).filter((e) => e.ev === 'afterFork' && e.id === 0).length;
    const before = attempts();
    await sleep(2500);
    // capped at 1 s: at most ~3 attempts in 2.5 s, never a spin
    assert.ok(attempts() - before <= 4, `attempts in 2.5 s: ${attempts() - before}`);
    assert.match(cli.stderr(), /respawning in 100ms[\s\S]*respawning in 200ms[\s\S]*respawning in 400ms/);
    // worker 1 was never disturbed
    assert.equal(cli.workerPids().get(1), readEvents(log).find((e) => e.ev === 'afterFork' && e.id === 1)?.pid);
    rmSync(marker); // fixed: the next attempt succeeds
    await waitFor(() => /worker\[0\] ready[\s\S]*$/.test(cli.stderr().split('marker present 0').at(-1) ?? ''), 45_000, 'worker 0 back');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });
});
