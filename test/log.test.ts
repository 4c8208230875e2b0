import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fixture, killStarted, parentOf, startCli, waitFor } from './helpers.js';

after(killStarted);

/** Runs a 2-worker pool, kills worker 0 once, stops it, and returns its stderr. */
async function lifecycle(args: string[], env: Record<string, string> = {}): Promise<string> {
  const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', ...args], { env });
  const pids = await waitFor(() => (cli.workerPids().size === 2 ? cli.workerPids() : undefined), 45_000, 'two workers');
  // Under --quiet with DEBUG, the trace carries the same words: wait for ready either way, so the
  // kill below hits a ready worker (one killed while loading is respawned with backoff).
  await waitFor(() => /master ready/.test(cli.stderr()), 45_000, 'ready');
  await new Promise((r) => setTimeout(r, 300));
  process.kill(pids.get(0)!, 'SIGKILL');
  await waitFor(() => cli.workerPids().get(0) !== pids.get(0), 45_000, 'respawn');
  await new Promise((r) => setTimeout(r, 300));
  cli.child.kill('SIGTERM');
  assert.equal((await cli.exited).code, 0);
  return cli.stderr();
}

describe('lifecycle lines', () => {
  it('are human lines with timestamps: starting, spawning, spawned pid=, ready, exited, respawning, stopped', async () => {
    const err = await lifecycle([]);
    const lines = err.trim().split('\n');
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z supervise\[\d+\]: /, line);
    for (const pattern of [
      /master starting pid=\d+ workers=2/,
      /worker\[0\] spawning/,
      /worker\[0\] spawned pid=\d+/,
      /worker\[1\] ready/,
      /master ready pid=\d+ workers=2/,
      /worker\[0\] exited signal=SIGKILL pid=\d+/,
      /worker\[0\] respawning/,
      /master stopping/,
      /master stopped/,
    ]) {
      assert.match(err, pattern);
    }
  });

  it('--log-format json writes one JSON object per line with event, worker and pid', async () => {
    const err = await lifecycle(['--log-format', 'json']);
    const records = err.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(records.every((r) => typeof r['time'] === 'string' && typeof r['event'] === 'string' && typeof r['msg'] === 'string'));
    const exit = records.find((r) => r['event'] === 'exit' && r['signal'] === 'SIGKILL');
    assert.equal(exit?.['worker'], 0);
    assert.equal(typeof exit?.['pid'], 'number');
    assert.ok(records.some((r) => r['event'] === 'spawned' && r['worker'] === 1 && typeof r['pid'] === 'number'));
  });

  it('--quiet writes nothing', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--quiet']);
    // No line to wait for: wait for its two workers (spawned after the signal handlers are in place).
    const children = () => readdirSync('/proc').filter((name) => /^\d+$/.test(name) && parentOf(Number(name)) === cli.pid);
    await waitFor(() => children().length === 2, 45_000, 'two workers of the quiet master');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    assert.equal(cli.stderr(), '');
  });

  it('DEBUG=supervise:* traces internals', async () => {
    const err = await lifecycle(['--quiet'], { DEBUG: 'supervise:*' });
    assert.match(err, /supervise:worker worker\[0\] exit code=null signal=SIGKILL/);
    assert.match(err, /supervise:signals received SIGTERM/);
  });
});
