/**
 * --config: a JSON or module file sets the pool; flags beat SUPERVISE_* beat the file; a bad key is
 * one line with a did-you-mean (exit 2); --print-config shows what is in effect; HUP rereads it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, killStarted, runCli, startCli, tempDir, waitFor } from './helpers.js';

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
