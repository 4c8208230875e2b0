/**
 * /livez and /readyz on the metrics address of a real pool: ready once every id runs, 503 naming
 * the id while one crash-loops in backoff, ready again once it comes back; the Host rule holds.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { httpRequest } from './http-client.js';
import { fixture, isAlive, killStarted, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

describe('probes on the metrics address', () => {
  it('/readyz is 503 naming the id while it is down, 200 once every id runs; /livez is 200 throughout', async () => {
    const tmp = tempDir();
    const marker = join(tmp.dir, 'fail');
    const cli = startCli(['--app', fixture('fails-while.cjs'), '--workers', '3', '--poll', '2', '--metrics', '127.0.0.1:0', '--control', join(tmp.dir, 'sock')], {
      env: { FAIL_WHILE: marker, FAIL_ID: '1' },
    });
    const metrics = new URL((await cli.waitForLog(/metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)/, 60_000))[1]!);
    const livez = new URL('/livez', metrics).href;
    const readyz = new URL('/readyz', metrics).href;
    await cli.waitForLog(/master ready/, 60_000);
    await waitFor(async () => (await httpRequest(readyz)).status === 200, 10_000, '/readyz 200 once the pool is up');
    assert.equal((await httpRequest(readyz)).body, 'ok\n');
    assert.deepEqual([(await httpRequest(livez)).status, (await httpRequest(livez)).body], [200, 'ok\n']);

    // Worker 1 now fails its restart until the marker goes: the id is down for a while.
    writeFileSync(marker, '');
    const victim = cli.workerPids().get(1)!;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !isAlive(victim), 10_000, 'worker 1 gone');
    const down = await waitFor(async () => {
      const answer = await httpRequest(readyz);
      return answer.status === 503 ? answer : undefined;
    }, 15_000, '/readyz 503 while worker 1 is down');
    assert.match(down.body, /^worker\[1\] (waiting \(respawn in backoff\)|spawning|loading the app|exited)\n$/);
    assert.equal(down.headers['content-type'], 'text/plain; charset=utf-8');
    // The pool's other ids are fine and the master answers: alive, not ready.
    assert.equal((await httpRequest(livez)).status, 200);
    await waitFor(async () => /waiting \(respawn in backoff\)/.test((await httpRequest(readyz)).body), 15_000, 'the backoff named');

    rmSync(marker);
    await waitFor(async () => (await httpRequest(readyz)).status === 200, 45_000, '/readyz 200 again once worker 1 runs');

    // The metrics server's rules hold for the probes: a rebound Host is refused, POST is not allowed.
    assert.equal((await httpRequest(readyz, { headers: { Host: `attacker.example:${metrics.port}` } })).status, 421);
    assert.equal((await httpRequest(livez, { method: 'POST' })).status, 405);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });
});
