// A start that cannot settle ends, and running out of a resource is named: a worker that dies right
// after ready every time fails the start; a spawn the OS refuses (EMFILE under `ulimit -n`) fails
// the start in one line naming the limit, and later leaves its id waiting with the reason in status.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, fixture, killStarted, runCli, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

const NO_DEBUG = { DEBUG: '' };

/** `supervise …` under `ulimit -n <limit>`, as a shell would start it; output collected, pids tracked. */
function underUlimit(limit: number, args: string[], runtimeDir: string, env: Record<string, string> = {}) {
  const child = spawn('bash', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, CLI, ...args], {
    env: { ...process.env, ...NO_DEBUG, ...env, XDG_RUNTIME_DIR: runtimeDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child.pid);
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    for (const m of chunk.toString().matchAll(/spawned pid=(\d+)/g)) track(Number(m[1]));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

/** `supervise <args>` as a client of the master whose control socket is in `runtimeDir`. */
function client(args: string[], runtimeDir: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir }, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('a start that cannot settle ends', () => {
  for (const [fail, message] of [
    ['exit-after-ready', /start failed: worker\[0\] exited code=3 right after it became ready, 3 times in a row\n/],
    ['task', /start failed: worker\[0\] failed in a task: task boom 0\n {4}Error: task boom 0\n {8}at failInTask /],
  ] as const) {
    it(`a worker that fails right after ready, every time (${fail}): the start fails with its message, exit 1`, async () => {
      // Worker 1 takes 20 s to get ready: the start cannot settle before worker 0 has failed 3 times.
      const env = { ...NO_DEBUG, FAIL: fail, FAIL_ID: '0', SLOW_ID: '1' };
      const result = await runCli(['--app', fixture('fails.cjs'), '--workers', '2', '--poll', '1'], { env, ms: 60_000 });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /master ready/);
    });
  }
});

describe('a scale that cannot settle answers', () => {
  it('ctl scale to an id whose worker fails in afterFork every time: exit 1 naming it, the pool keeps the others', async () => {
    const run = tempDir();
    const cli = underUlimit(1024, ['--app', fixture('fails.cjs'), '--workers', '2', '--poll', '1'], run.dir, { FAIL: 'afterFork', FAIL_ID: '2' });
    try {
      await waitFor(() => /master ready/.test(cli.stderr()), 30_000, 'master ready');
      const scale = client(['ctl', 'scale', '3'], run.dir);
      assert.equal(scale.code, 1, scale.stdout + scale.stderr);
      assert.match(scale.stderr, /^supervise: scale to 3 stopped short at 2 live workers: worker\[2\] .*afterFork boom 2.*; the ids short keep retrying\n$/);
      const status = JSON.parse(client(['status', '--json'], run.dir).stdout) as { size: number; live: number };
      assert.deepEqual([status.size, status.live], [3, 2]);
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.child.kill('SIGKILL');
      run.remove();
    }
  });
});

describe('running out of a resource is named', () => {
  it('ulimit -n 60 and --workers 64: the start fails in one line naming EMFILE and the limit', async () => {
    const run = tempDir();
    const cli = underUlimit(60, ['--app', fixture('app.cjs'), '--workers', '64'], run.dir);
    const code = await waitFor(() => cli.exited, 60_000, 'the master to give up');
    assert.equal(code, 1, cli.stderr());
    const lines = cli.stderr().trimEnd().split('\n');
    assert.equal(lines.length, 1, cli.stderr());
    assert.match(lines[0]!, /start failed: worker\[\d+\] could not be spawned: too many open files \(EMFILE\): the master may open 60; raise LimitNOFILE= or ulimit -n$/);
    run.remove();
  });

  it('past the limit at run time: the ids wait, status says why and counts only live workers', async () => {
    const run = tempDir();
    const cli = underUlimit(60, ['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1'], run.dir);
    try {
      await waitFor(() => /master ready/.test(cli.stderr()), 30_000, 'master ready');
      // The scale answers once an id cannot come up: the pool keeps the new size and retries.
      const scale = client(['ctl', 'scale', '64'], run.dir);
      assert.equal(scale.code, 1, scale.stdout + scale.stderr);
      assert.match(scale.stderr, /^supervise: scale to 64 stopped short at \d+ live workers: worker\[\d+\] could not be spawned: too many open files \(EMFILE\): the master may open 60; raise LimitNOFILE= or ulimit -n; the ids short keep retrying\n$/);
      await waitFor(() => /worker\[\d+\] could not be spawned: too many open files \(EMFILE\): the master may open 60/.test(cli.stderr()), 30_000, 'the EMFILE named in the log');
      const status = await waitFor(() => {
        const reply = client(['status', '--json'], run.dir);
        if (reply.code !== 0) return undefined;
        const parsed = JSON.parse(reply.stdout) as { size: number; live: number; workers: Array<{ id: number; state: string; lastError?: string }> };
        return parsed.size === 64 && parsed.workers.some((w) => w.state === 'waiting' && /EMFILE/.test(w.lastError ?? '')) ? parsed : undefined;
      }, 30_000, 'status with a waiting id and its reason');
      assert.ok(status.live < status.size, `live ${status.live} < size ${status.size}`);
      assert.ok(status.live >= 2);
      const text = client(['status'], run.dir).stdout;
      assert.match(text, /workers=\d+\/64 live/);
      assert.match(text, /\nworker\[\d+\] waiting: could not be spawned: too many open files \(EMFILE\): the master may open 60; raise LimitNOFILE= or ulimit -n\n/);
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.child.kill('SIGKILL');
      run.remove();
    }
  });
});
