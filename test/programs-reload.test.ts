/** Programs through a rolling reload (HUP): one id at a time, no job cut; the queue examples through HUP and QUIT. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, killStarted, startCli, tempDir, waitFor } from './helpers.js';
import { HAS_PYTHON, SH, cutJobs, jobsStarted, programPids } from './program-helpers.js';

after(killStarted);

describe('programs: rolling reload', () => {
  it('HUP restarts one id at a time and cuts no job of a protocol-speaking program that dies on TERM', async () => {
    const cli = startCli(['--workers', '2', '--', SH, '{id}'], { env: { NOTIFY: '1', JOB_SECONDS: '1' } });
    await jobsStarted(cli, 2);
    await cli.waitForLog(/master ready/);
    const before = programPids(cli);
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload done: 2 workers/, 30_000);
    const afterReload = await waitFor(() => {
      const now = programPids(cli);
      return now.get(0) !== before.get(0) && now.get(1) !== before.get(1) ? now : undefined;
    }, 45_000, `a new program on each id in:\n${cli.stdout()}`);
    // One id at a time: an id's old program leaves, its new one is ready, and only then the next id's leaves.
    const reload = cli.stderr().slice(cli.stderr().indexOf('reloading 2 workers'));
    const steps = [...reload.matchAll(/worker\[(\d)\] (exited|ready)/g)].map((m) => `${m[2]} ${m[1]}`);
    const [first, second] = steps[0] === 'exited 0' ? ['0', '1'] : ['1', '0'];
    assert.deepEqual(steps.slice(0, 4), [`exited ${first}`, `ready ${first}`, `exited ${second}`, `ready ${second}`], reload);
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    await cli.outputEnded();
    assert.deepEqual(cutJobs(cli.stdout()), []);
  });

});

for (const [kind, command] of [
  ['python-worker', ['python3', join(ROOT, 'examples', 'python-worker', 'worker.py')]],
  ['shell-worker', [join(ROOT, 'examples', 'shell-worker', 'worker.sh')]],
] as const) {
  describe(`examples/${kind}`, { skip: kind === 'python-worker' && !HAS_PYTHON ? 'python3 not installed' : false }, () => {
    it('works the whole queue through a HUP and a QUIT: every job done once, none left claimed', async () => {
      const tmp = tempDir('supervise-queue-');
      after(() => tmp.remove());
      const env = { QUEUE_DIR: tmp.dir };
      execFileSync(command[0], [...command.slice(1), 'seed', '10'], { env: { ...process.env, ...env } });
      const cli = startCli(['--workers', '3', '--', ...command, 'work', '{id}'], { env });
      const done = (): number => readdirSync(join(tmp.dir, 'done')).filter((f) => !f.startsWith('.')).length;
      await waitFor(() => done() >= 2, 30_000, 'two jobs done');
      cli.child.kill('SIGHUP');
      await cli.waitForLog(/reload done: 3 workers/, 30_000);
      await waitFor(() => done() === 10, 60_000, `all ten jobs done in:\n${cli.stdout()}`);
      cli.child.kill('SIGQUIT');
      assert.equal((await cli.exited).code, 0);
      await cli.outputEnded();
      assert.equal((cli.stdout().match(/: job-\d+ done/g) ?? []).length, 10, cli.stdout());
      assert.deepEqual(readdirSync(join(tmp.dir, 'pending')), []);
      for (const id of ['0', '1', '2']) assert.deepEqual(readdirSync(join(tmp.dir, 'claimed', id)), [], `id ${id} left a claim`);
    });
  });
}

