import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture, killStarted, readEvents, startCli, tempDir, waitFor, isAlive, cmdline, runCli, ROOT } from './helpers.js';
import { readFileSync } from 'node:fs';

after(killStarted);

describe('supervise CLI: a pool of workers', () => {
  it('runs ids 0..3, afterFork once each, workerStart in a loop, with id env and title', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '4', '--poll', '1'], { env: { FIXTURE_LOG: log, TASK_MS: '30' } });
    await cli.waitForLog(/master ready/);
    await waitFor(() => [0, 1, 2, 3].every((id) => readEvents(log).filter((e) => e.ev === 'end' && e.id === id).length >= 2), 45_000, 'two tasks per id');
    for (const [id, pid] of cli.workerPids()) {
      assert.match(cmdline(pid) ?? '', new RegExp(`^supervise: worker\\[${id}\\]`));
    }
    cli.child.kill('SIGTERM');
    assert.deepEqual(await cli.exited, { code: 0, signal: null });
    const events = readEvents(log);
    const afterForks = events.filter((e) => e.ev === 'afterFork');
    assert.deepEqual(afterForks.map((e) => e.id).sort(), [0, 1, 2, 3]);
    for (const e of afterForks) {
      assert.equal(e['envId'], String(e.id));
      assert.equal(e['ctxId'], e.id);
      assert.equal(e['title'], `supervise: worker[${e.id}]`);
    }
    assert.equal(events.filter((e) => e.ev === 'beforeFork').length, 0, 'beforeFork runs only with --preload');
    assert.ok(cli.allWorkerPids().every((pid) => !isAlive(pid)));
    tmp.remove();
  });

  it('prints --version and --help', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout.trim(), version);
    const h = await runCli(['--help']);
    assert.equal(h.code, 0);
    for (const flag of ['--app', '--workers', '--poll', '--preload', '--grace', '--quiet', '--log-format']) assert.ok(h.stdout.includes(flag), flag);
  });
});

describe('supervise CLI: app shapes and hooks', () => {
  for (const [file, shape] of [['esm.mjs', 'esm'], ['default-export.mjs', 'default'], ['app.cjs', undefined]] as const) {
    it(`runs an app written as ${file}`, async () => {
      const tmp = tempDir();
      const log = join(tmp.dir, 'events');
      const cli = startCli(['--app', fixture(file), '--workers', '2'], { env: { FIXTURE_LOG: log } });
      await cli.waitForLog(/master ready/);
      await waitFor(() => readEvents(log).filter((e) => e.ev === 'start').length >= 4, 45_000, 'tasks');
      cli.child.kill('SIGINT');
      assert.equal((await cli.exited).code, 0);
      const events = readEvents(log);
      assert.deepEqual([...new Set(events.filter((e) => e.ev === 'start').map((e) => e.id))].sort(), [0, 1]);
      if (shape) assert.ok(events.every((e) => e['shape'] === shape));
      tmp.remove();
    });
  }

  it('with --preload runs beforeFork in the master before each spawn, including respawns', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--preload'], { env: { FIXTURE_LOG: log } });
    await cli.waitForLog(/master ready/);
    const victim = cli.workerPids().get(1)!;
    process.kill(victim, 'SIGKILL');
    await cli.waitForLog(/worker\[1\] respawning[\s\S]*worker\[1\] ready/);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    const before = readEvents(log).filter((e) => e.ev === 'beforeFork');
    assert.deepEqual(before.map((e) => e.id), [0, 1, 1]);
    assert.ok(before.every((e) => e.pid === cli.pid), 'beforeFork runs in the master');
    const forks = readEvents(log).filter((e) => e.ev === 'afterFork');
    assert.ok(forks.every((e) => e.pid !== cli.pid), 'afterFork runs in workers');
    tmp.remove();
  });

  it('takes options from SUPERVISE_* environment variables', async () => {
    const cli = startCli(['--app', fixture('app.cjs')], { env: { SUPERVISE_WORKERS: '3', SUPERVISE_QUIET: 'false' } });
    await cli.waitForLog(/master ready pid=\d+ workers=3/);
    assert.deepEqual([...cli.workerPids().keys()].sort(), [0, 1, 2]);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });

  it('ignores a SUPERVISE_WORKER_ID inherited from an enclosing worker', async () => {
    const cli = startCli(['--app', fixture('app.cjs')], { env: { SUPERVISE_WORKER_ID: '7' } });
    await cli.waitForLog(/master ready/);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });
});
