/**
 * examples/express: an unchanged Express app (`app.listen(port)`) served by four workers on one
 * `--listen` socket, through a rolling reload under load. Express is the example's own dependency,
 * installed from the npm registry by `make example-express-test` (or `make example-express`);
 * `make check` does not reach the network, so there this test skips until it is installed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, isAlive, killStarted, startCli, waitFor } from './helpers.js';
import { startLoad } from './http-load.js';

after(killStarted);

const EXAMPLE = join(ROOT, 'examples', 'express');
const installed = existsSync(join(EXAMPLE, 'node_modules', 'express', 'package.json'));

describe('examples/express', () => {
  it('four workers of an unchanged Express app share one port; HUP under load fails no request', { skip: !installed && 'express is not installed in examples/express: make example-express-test installs it (from the npm registry) and runs this' }, async () => {
    const cli = startCli(['--app', join(EXAMPLE, 'server.js'), '--workers', '4', '--listen', '127.0.0.1:0']);
    const [, port] = await cli.waitForLog(/listening on 127\.0\.0\.1:(\d+)/, 30_000);
    await cli.waitForLog(/master ready/, 60_000);
    const answer = await new Promise<string>((resolve, reject) => {
      void import('node:http').then(({ default: http }) =>
        http.get({ host: '127.0.0.1', port: Number(port), path: '/' }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        }).on('error', reject),
      );
    });
    assert.match(answer, /^hello from express, worker [0-3] \(pid \d+\)$/m);
    const old = [...cli.workerPids().values()];
    const load = startLoad({ port: Number(port) }, { keepAlive: true, concurrency: 8 });
    await waitFor(() => load.result.ok > 50, 30_000, 'the load to get going');
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload done/, 120_000);
    const before = load.result.ok;
    await waitFor(() => load.result.ok > before + 50, 30_000, 'answers after the reload');
    const result = await load.stop();
    assert.deepEqual(result.errors, {}, `failures during the reload: ${JSON.stringify(result.errors)}`);
    assert.ok(old.every((pid) => !isAlive(pid)), 'every old worker is gone');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });
});
