/**
 * Master upgrade (Unicorn's USR2 + QUIT; here `supervise ctl upgrade` or SIGURG), with real
 * processes under a real load: the new master inherits the sockets, the old one stops gracefully,
 * no connection is refused and no request fails; a new master that cannot start leaves the old one
 * serving and nothing of itself behind.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bounded, fixture, isAlive, killStarted, parentOf, runCli, startCli, tempDir, track, waitFor, type RunningCli } from './helpers.js';
import { startLoad, type LoadResult } from './http-load.js';

after(killStarted);

const hasPython = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;

/** Worker pids a given master logged (`supervise[<master>]: worker[i] spawned pid=N`). */
function workersOf(cli: RunningCli, master: number): number[] {
  return [...cli.stderr().matchAll(new RegExp(`supervise\\[${master}\\]: worker\\[\\d+\\] spawned pid=(\\d+)`, 'g'))].map((m) => Number(m[1]));
}

/** Waits until `load` has `more` answers beyond what it has now. */
async function moreAnswers(load: { result: LoadResult }, more: number, what: string): Promise<void> {
  const before = load.result.ok;
  await waitFor(() => load.result.ok >= before + more, 30_000, what);
}

/** A port the OS says is free now (for an address the two masters must hand over: port 0 would give each its own). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Stops `pid` (a master the test did not spawn: an upgrade's new one) and waits until it and `workers` are gone. */
async function stopMaster(pid: number, workers: number[]): Promise<void> {
  process.kill(pid, 'SIGTERM');
  await waitFor(() => !isAlive(pid) && workers.every((w) => !isAlive(w)), 30_000, `master ${pid} and its workers gone`);
}

describe('master upgrade', () => {
  it('under load (keep-alive on TCP, a connection per request on a Unix socket): 0 failed; the new master serves, the old one and its workers are gone', async () => {
    const tmp = tempDir();
    const sock = join(tmp.dir, 'http.sock'); // not app.sock: the control socket sits beside app.pid as that
    const pidFile = join(tmp.dir, 'app.pid');
    // A metrics address given as a port (not 0): the new master can bind it only once the old one let go.
    const metricsPort = await freePort();
    const cli = startCli(['--app', fixture('http-two.cjs'), '--workers', '2', '--listen', '127.0.0.1:0', '--listen', sock, '--pid-file', pidFile, '--metrics', `127.0.0.1:${metricsPort}`], { env: { SOCKET: sock } });
    const [, port] = await cli.waitForLog(/listening on 127\.0\.0\.1:(\d+)/, 30_000);
    await cli.waitForLog(/master ready/, 30_000);
    const oldWorkers = workersOf(cli, cli.pid);
    const tcp = startLoad({ port: Number(port) }, { keepAlive: true, concurrency: 6 });
    const unix = startLoad({ socketPath: sock }, { keepAlive: false, concurrency: 4 });
    await waitFor(() => tcp.result.ok > 50 && unix.result.ok > 50, 30_000, 'the load to get going');

    const upgrade = await runCli(['ctl', 'upgrade', '--pid-file', pidFile], { ms: 120_000 });
    assert.equal(upgrade.code, 0, upgrade.stderr);
    const newPid = Number(/^upgrade: done \(new master pid=(\d+)\)$/m.exec(upgrade.stdout)?.[1]);
    track(newPid);
    assert.ok(newPid > 0 && newPid !== cli.pid, upgrade.stdout);

    const { code } = await bounded(cli.exited, 60_000, 'the old master to exit');
    assert.equal(code, 0, 'the old master stopped gracefully');
    await waitFor(() => oldWorkers.every((pid) => !isAlive(pid)), 30_000, 'the old workers gone');
    const newWorkers = workersOf(cli, newPid);
    assert.equal(newWorkers.length, 2, cli.stderr());
    newWorkers.forEach(track);
    // Served from now on by the new workers alone, on both sockets.
    await moreAnswers(tcp, 50, 'TCP answers after the old master exited');
    await moreAnswers(unix, 50, 'Unix socket answers after the old master exited');
    const [tcpResult, unixResult] = await Promise.all([tcp.stop(), unix.stop()]);
    assert.deepEqual(tcpResult.errors, {}, `TCP failures: ${JSON.stringify(tcpResult.errors)}`);
    assert.deepEqual(unixResult.errors, {}, `Unix socket failures: ${JSON.stringify(unixResult.errors)}`);
    assert.ok(newWorkers.every((pid) => tcpResult.byPid.has(pid) || unixResult.byPid.has(pid)), 'the new workers answered');

    assert.ok(isAlive(newPid), 'the new master outlives the old one');
    assert.notEqual(parentOf(newPid), cli.pid);
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(newPid), 'the pid file names the new master');
    assert.ok(existsSync(sock), 'the Unix socket file stays');
    const status = await runCli(['status', '--pid-file', pidFile], { ms: 30_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^master pid=${newPid} running`, 'm'), 'the control socket is the new master\'s');
    // The sockets it adopted, as `status` shows them (and its JSON).
    assert.ok(status.stdout.split('\n').includes(`listening: 127.0.0.1:${port} (tcp, fd 4), ${sock} (unix, fd 5)`), status.stdout);
    const json = await runCli(['status', '--json', '--pid-file', pidFile], { ms: 30_000 });
    assert.deepEqual((JSON.parse(json.stdout) as { listeners: unknown }).listeners, [
      { address: `127.0.0.1:${port}`, kind: 'tcp', fd: 4 },
      { address: sock, kind: 'unix', fd: 5 },
    ]);
    assert.match(cli.stderr(), new RegExp(`supervise\\[${newPid}\\]: took over from the old master pid=${cli.pid}`));
    // The old master is gone: whoever answers the metrics address is the new one.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${metricsPort}/livez`).catch(() => undefined))?.ok, 30_000, 'the new master serving the metrics address');

    await stopMaster(newPid, newWorkers);
    assert.equal(existsSync(sock), false, 'the new master removes the socket file at its exit');
    assert.equal(existsSync(pidFile), false);
    tmp.remove();
  });

  it('a new master whose app fails to load: ctl upgrade exits 1 with why, the old master keeps serving (0 failed), nothing of the new one is left', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    copyFileSync(fixture('http-server.cjs'), app);
    const pidFile = join(tmp.dir, 'app.pid');
    const cli = startCli(['--app', app, '--workers', '2', '--listen', '127.0.0.1:0', '--pid-file', pidFile]);
    const [, port] = await cli.waitForLog(/listening on 127\.0\.0\.1:(\d+)/, 30_000);
    await cli.waitForLog(/master ready/, 30_000);
    const workers = workersOf(cli, cli.pid);
    const load = startLoad({ port: Number(port) }, { keepAlive: false, concurrency: 6 });
    await waitFor(() => load.result.ok > 50, 30_000, 'the load to get going');

    writeFileSync(app, "throw new Error('this release is broken');\n");
    const upgrade = await runCli(['ctl', 'upgrade', '--pid-file', pidFile], { ms: 120_000 });
    assert.equal(upgrade.code, 1, upgrade.stdout + upgrade.stderr);
    assert.match(upgrade.stderr, /^supervise: upgrade failed: the new master pid=\d+ failed to start: .*this release is broken.*; this master keeps serving$/m);
    const newPid = Number(/upgrading: new master pid=(\d+)/.exec(cli.stderr())?.[1]);
    track(newPid);
    await waitFor(() => !isAlive(newPid) && workersOf(cli, newPid).every((pid) => !isAlive(pid)), 30_000, 'the failed new master and its workers gone');

    await moreAnswers(load, 50, 'answers after the failed upgrade');
    const result = await load.stop();
    assert.deepEqual(result.errors, {}, `failures: ${JSON.stringify(result.errors)}`);
    assert.ok(isAlive(cli.pid), 'the old master serves on');
    assert.deepEqual(workersOf(cli, cli.pid), workers, 'with the same workers');
    assert.ok(workers.every(isAlive));
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(cli.pid), 'the pid file still names the old master');
    const status = await runCli(['status', '--pid-file', pidFile], { ms: 30_000 });
    assert.match(status.stdout, new RegExp(`^master pid=${cli.pid} running`, 'm'));
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('SIGURG with a --config that no longer parses: one line, the old master keeps serving', async () => {
    const tmp = tempDir();
    const config = join(tmp.dir, 'pool.json');
    writeFileSync(config, JSON.stringify({ app: fixture('http-server.cjs'), workers: 1, listen: ['127.0.0.1:0'] }));
    const cli = startCli(['--config', config]);
    const [, port] = await cli.waitForLog(/listening on 127\.0\.0\.1:(\d+)/, 30_000);
    await cli.waitForLog(/master ready/, 30_000);
    const load = startLoad({ port: Number(port) }, { keepAlive: true, concurrency: 4 });
    await waitFor(() => load.result.ok > 20, 30_000, 'the load to get going');
    writeFileSync(config, '{ "workers": ');
    cli.child.kill('SIGURG');
    const [line] = await cli.waitForLog(/upgrade failed: the new master pid=\d+ exited with code 2 before it was ready[^\n]*; this master keeps serving/, 60_000);
    assert.ok(line);
    await moreAnswers(load, 20, 'answers after the failed upgrade');
    const result = await load.stop();
    assert.deepEqual(result.errors, {});
    assert.ok(isAlive(cli.pid));
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('a pool without --listen refuses: one line, exit 1, nothing changes', async () => {
    const tmp = tempDir();
    const control = join(tmp.dir, 'ctl.sock');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '1', '--control', control], { env: { TASK_MS: '20' } });
    await cli.waitForLog(/master ready/, 30_000);
    const upgrade = await runCli(['ctl', 'upgrade', '--control', control], { ms: 60_000 });
    assert.equal(upgrade.code, 1);
    assert.match(upgrade.stderr, /^supervise: cannot upgrade: an upgrade hands the --listen sockets to a new master, and this pool has none/);
    assert.equal(upgrade.stderr.trim().split('\n').length, 1, upgrade.stderr);
    assert.doesNotMatch(cli.stderr(), /upgrading: new master/);
    assert.ok(isAlive(cli.pid));
    cli.child.kill('SIGTERM');
    await cli.exited;
    tmp.remove();
  });

  it('under systemd notify: the old master says RELOADING=1, the new one READY=1 with its MAINPID=, and the old one no STOPPING=1', async (t) => {
    if (!hasPython) return t.skip('python3 is not installed (the test receiver and the helper need it)');
    const tmp = tempDir();
    const notify = join(tmp.dir, 'notify.sock');
    const receiver = spawn('python3', [fixture('notify-receiver.py'), notify], { stdio: ['ignore', 'pipe', 'inherit'] });
    track(receiver.pid);
    const received: string[][] = [];
    let listening = false;
    createInterface({ input: receiver.stdout }).on('line', (line) => {
      if (line === 'listening') listening = true;
      else received.push((JSON.parse(line) as { fields: string[] }).fields);
    });
    await waitFor(() => listening, 60_000, 'the receiver bound');
    const control = join(tmp.dir, 'ctl.sock');
    const cli = startCli(['--app', fixture('http-server.cjs'), '--workers', '1', '--listen', '127.0.0.1:0', '--control', control], { env: { NOTIFY_SOCKET: notify, INVOCATION_ID: 'test' } });
    await waitFor(() => received.some((f) => f.includes('READY=1') && f.includes(`MAINPID=${cli.pid}`)), 60_000, 'the first READY=1');
    const upgrade = await runCli(['ctl', 'upgrade', '--control', control], { ms: 120_000 });
    assert.equal(upgrade.code, 0, upgrade.stderr);
    const newPid = Number(/new master pid=(\d+)/.exec(upgrade.stdout)?.[1]);
    track(newPid);
    // Each master's datagrams go through its own helper process: wait for them rather than assume they are in.
    const ready = await waitFor(() => received.findIndex((f) => f.includes('READY=1') && f.includes(`MAINPID=${newPid}`)) + 1, 30_000, () => `READY=1 with MAINPID=${newPid} in ${JSON.stringify(received)}`) - 1;
    const reloading = received.findIndex((f) => f.includes('RELOADING=1'));
    assert.ok(reloading >= 0 && ready > reloading, JSON.stringify(received));
    await bounded(cli.exited, 60_000, 'the old master to exit');
    const workers = workersOf(cli, newPid);
    workers.forEach(track);
    await stopMaster(newPid, workers);
    await waitFor(() => received.some((f) => f.includes('STOPPING=1')), 30_000, "the new master's STOPPING=1");
    assert.equal(received.filter((f) => f.includes('STOPPING=1')).length, 1, `only the new master's stop says STOPPING=1: ${JSON.stringify(received)}`);
    receiver.kill();
    tmp.remove();
  });
});
