/**
 * --boot-timeout with real processes (3 s: a loaded CI machine can take over a second to start a
 * healthy worker, which a 1 s limit would kill): a worker stuck loading the app or in afterFork is killed and
 * its id respawned; a start that cannot finish fails in one line; a reload whose new code never
 * loads is abandoned with the old workers untouched.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, killStarted, readEvents, sleep, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

/**
 * An app whose afterFork hangs (with a timer keeping the event loop alive) for worker STUCK_ID
 * while the file STUCK_MARKER exists, and otherwise runs 50 ms tasks; events go to FIXTURE_LOG.
 */
const STUCK_APP = `const { appendFileSync, existsSync } = require('node:fs');
const log = (ev, id) => appendFileSync(process.env.FIXTURE_LOG, JSON.stringify({ ev, id, pid: process.pid, t: Date.now() }) + '\\n');
exports.afterFork = async (id) => {
  log('afterFork', id);
  if (id === Number(process.env.STUCK_ID) && existsSync(process.env.STUCK_MARKER)) await new Promise(() => setInterval(() => {}, 1000));
};
exports.workerStart = async (id) => { log('start', id); await new Promise((r) => setTimeout(r, 50)); };
`;

describe('--boot-timeout', () => {
  it('a start whose worker never gets past afterFork fails in one line, leaving nothing running', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const events = join(tmp.dir, 'events');
    writeFileSync(app, STUCK_APP);
    writeFileSync(join(tmp.dir, 'stuck'), '');
    const cli = startCli(['--app', app, '--workers', '2', '--boot-timeout', '3'], { env: { FIXTURE_LOG: events, STUCK_ID: '0', STUCK_MARKER: join(tmp.dir, 'stuck') } });
    const { code } = await waitFor(() => cli.exited, 45_000, 'the master to give up');
    assert.equal(code, 1);
    // The summary is the last line when the start failed fast; a start slower than the hold-back
    // (a loaded machine) keeps its lines, the stop's ones after the summary: find the summary.
    const lines = cli.stderr().trim().split('\n');
    const summary = /^(\S+ supervise\[\d+\]: start failed: |supervise: )worker\[0\] timed out: not ready after \d+\.\ds \(loading the app or in afterFork\), over --boot-timeout 3s$/;
    assert.equal(lines.filter((line) => summary.test(line)).length, 1, `one summary line in:\n${cli.stderr()}`);
    assert.doesNotMatch(cli.stderr(), /^\s+at /m, 'no stack trace');
    for (const pid of cli.allWorkerPids()) await waitFor(() => !isAlive(pid), 45_000, `worker pid=${pid} gone`);
    tmp.remove();
  });

  it('a respawned worker stuck in afterFork is killed and the id comes back once it can', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const events = join(tmp.dir, 'events');
    const marker = join(tmp.dir, 'stuck');
    writeFileSync(app, STUCK_APP);
    const cli = startCli(['--app', app, '--workers', '2', '--poll', '1', '--boot-timeout', '3'], { env: { FIXTURE_LOG: events, STUCK_ID: '1', STUCK_MARKER: marker } });
    await cli.waitForLog(/master ready/);
    writeFileSync(marker, ''); // worker 1's next processes hang in afterFork
    const first = cli.workerPids().get(1)!;
    process.kill(first, 'SIGKILL');
    const line = await cli.waitForLog(/worker\[1\] timed out: not ready after (\d+\.\d)s \(loading the app or in afterFork\), over --boot-timeout 3s; killing pid=(\d+)/, 45_000);
    const stuck = Number(line[2]);
    assert.notEqual(stuck, first);
    // Not before the limit; how long after it depends on the machine's load (the bench measures that).
    assert.ok(Number(line[1]) >= 3, `killed only past the limit: ${line[1]}s`);
    await waitFor(() => !isAlive(stuck), 45_000, 'the stuck worker gone');
    await cli.waitForLog(/worker\[1\] exited signal=SIGKILL pid=\d+ before it was ready/);
    const zeroTasks = readEvents(events).filter((e) => e.ev === 'start' && e.id === 0).length;
    await waitFor(() => readEvents(events).filter((e) => e.ev === 'start' && e.id === 0).length > zeroTasks, 45_000, 'worker 0 running tasks meanwhile');
    rmSync(marker);
    const since = Date.now();
    await waitFor(() => readEvents(events).some((e) => e.ev === 'start' && e.id === 1 && e.t > since), 45_000, 'id 1 back at work');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('abandons a reload whose new code never finishes loading; the old workers keep running untouched', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const events = join(tmp.dir, 'events');
    writeFileSync(app, STUCK_APP);
    const cli = startCli(['--app', app, '--workers', '2', '--boot-timeout', '3'], { env: { FIXTURE_LOG: events, STUCK_ID: '-1', STUCK_MARKER: join(tmp.dir, 'unused') } });
    await cli.waitForLog(/master ready/);
    const before = new Map(cli.workerPids());
    // The new code spins at load: no message, no answer, only the deadline can end it.
    writeFileSync(app, 'for (;;);\n');
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload candidate pid=\d+ timed out: app not loaded after \d+\.\ds, over --boot-timeout 3s; killing pid=\d+/, 45_000);
    await cli.waitForLog(/reload abandoned: the new process timed out: app not loaded after \d+\.\ds, over --boot-timeout 3s; every worker keeps the old code/, 45_000);
    for (const [id, pid] of before) assert.ok(isAlive(pid), `worker ${id} untouched`);
    assert.deepEqual(new Map(cli.workerPids()), before, 'no id changed hands');
    const since = Date.now();
    await waitFor(() => readEvents(events).filter((e) => e.ev === 'start' && e.t > since).length >= 4, 45_000, 'old workers still at work');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });
});
