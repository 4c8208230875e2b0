/**
 * --config: a JSON or module file sets the pool; flags beat SUPERVISE_* beat the file; a bad key is
 * one line with a did-you-mean (exit 2); --print-config shows what is in effect; HUP rereads it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, killStarted, readEvents, runCli, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

describe('--config', () => {
  it('a JSON file sets the pool, and a HUP rereads it and applies the new size', async () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'pool.json');
    writeFileSync(file, JSON.stringify({ app: fixture('app.cjs'), workers: 3, poll: 1, control: join(tmp.dir, 'sock') }));
    const cli = startCli(['--config', file], { env: { TASK_MS: '20' } });
    await cli.waitForLog(/master ready pid=\d+ workers=3/, 60_000);
    assert.deepEqual([...cli.workerPids().keys()].sort(), [0, 1, 2]);

    writeFileSync(file, JSON.stringify({ app: fixture('app.cjs'), workers: 2, poll: 1, control: join(tmp.dir, 'sock'), timeout: 30 }));
    process.kill(cli.pid, 'SIGHUP');
    await cli.waitForLog(/config \S+pool\.json reread: applied workers 3 → 2; changed but needs a restart: timeout/, 60_000);
    await cli.waitForLog(/worker\[2\] (exited|retired)/, 60_000);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('a HUP applies a changed --timeout and --grace at run time: the next task past the new timeout is killed as timed out', { timeout: 180_000 }, async () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'pool.json');
    const events = join(tmp.dir, 'events.jsonl');
    const pool = { app: fixture('app.cjs'), workers: 1, poll: 1, control: join(tmp.dir, 'sock'), timeout: 30, grace: 5 };
    writeFileSync(file, JSON.stringify(pool));
    // Every task takes 3 s: within the 30 s timeout, beyond the 1 s one the file will say.
    const cli = startCli(['--config', file], { env: { TASK_MS: '3000', FIXTURE_LOG: events } });
    await cli.waitForLog(/master ready pid=\d+ workers=1/, 60_000);
    await waitFor(() => readEvents(events).some((e) => e.ev === 'end'), 60_000, 'a 3 s task to finish under --timeout 30');
    assert.doesNotMatch(cli.stderr(), /timed out/);

    writeFileSync(file, JSON.stringify({ ...pool, timeout: 1, grace: 2 }));
    process.kill(cli.pid, 'SIGHUP');
    await cli.waitForLog(/config \S+pool\.json reread: applied timeout 30s → 1s, grace 5s → 2s$/m, 60_000);
    assert.doesNotMatch(cli.stderr(), /needs a restart/);
    // The task running at the HUP was promised 30 s: it ends, and its process hands over to the reload's.
    const first = readEvents(events).find((e) => e.ev === 'start')!;
    await cli.waitForLog(new RegExp(`worker\\[0\\] exited code=0 pid=${first.pid}`), 60_000);
    // Same master, no restart: the next task over 1 s is a timeout, and the id is respawned.
    const [, seconds] = await cli.waitForLog(/worker\[0\] timed out: task running (\d+\.\d)s, over --timeout 1s; killing pid=\d+/, 60_000);
    assert.ok(Number(seconds) >= 1 && Number(seconds) < 3, `killed after ${seconds}s, before the task's own 3 s`);
    await cli.waitForLog(/worker\[0\] respawning/, 30_000);
    assert.equal((await runCli(['status', '--json', '--control', pool.control])).code, 0);
    assert.match(cli.stderr(), new RegExp(`master ready pid=${cli.pid} `), 'the master that started is the one that applied it');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('a key that names no option is one line naming the file and the key, with a did-you-mean, exit 2', async () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ app: fixture('app.cjs'), wrokers: 3 }));
    const result = await runCli(['--config', file], { ms: 60_000 });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `supervise: ${file}: unknown option "wrokers" (did you mean "workers"?)\n`);
    tmp.remove();
  });

  it('flags beat SUPERVISE_* beat the file (--print-config), and a .mjs file works as JSON does', async () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'pool.mjs');
    writeFileSync(file, `export default { app: ${JSON.stringify(fixture('app.cjs'))}, workers: 3, bootTimeout: 9, poll: 4 };\n`);
    const shown = async (args: string[], env: Record<string, string> = {}) => {
      const result = await runCli(['--config', file, '--print-config', ...args], { env, ms: 60_000 });
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const fromFile = await shown([]);
    assert.deepEqual([fromFile['workers'], fromFile['bootTimeout'], fromFile['poll'], fromFile['timeout']], [3, 9, 4, null]);
    assert.equal((await shown([], { SUPERVISE_WORKERS: '5' }))['workers'], 5);
    const flagWins = await shown(['--workers', '7'], { SUPERVISE_WORKERS: '5' });
    assert.deepEqual([flagWins['workers'], flagWins['poll']], [7, 4]);
    tmp.remove();
  });
});
