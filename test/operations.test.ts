import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, fixture, isAlive, killStarted, parentOf, procState, runCli, startCli, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

describe('--pid-file', () => {
  it('is written atomically at start with the master pid, and removed at exit', async () => {
    const tmp = tempDir();
    const pidFile = join(tmp.dir, 'supervise.pid');
    const cli = startCli(['--app', fixture('app.cjs'), '--pid-file', pidFile]);
    await cli.waitForLog(/master ready/);
    assert.equal(readFileSync(pidFile, 'utf8'), `${cli.pid}\n`);
    assert.deepEqual(readdirSync(tmp.dir).sort(), ['supervise.pid', 'supervise.sock'], 'no temporary file left behind (the control socket sits beside the pid file)');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    assert.ok(!existsSync(pidFile));
    tmp.remove();
  });

  it('refuses to start while a live master holds it, with one clear line', async () => {
    const tmp = tempDir();
    const pidFile = join(tmp.dir, 'supervise.pid');
    const first = startCli(['--app', fixture('app.cjs'), '--pid-file', pidFile]);
    await first.waitForLog(/master ready/);
    const second = await runCli(['--app', fixture('app.cjs'), '--pid-file', pidFile]);
    assert.equal(second.code, 2);
    assert.equal(second.stderr.trim().split('\n').at(-1), `supervise: another master (pid ${first.pid}) is running with --pid-file ${pidFile}`);
    assert.doesNotMatch(second.stderr, /spawned/);
    assert.equal(readFileSync(pidFile, 'utf8'), `${first.pid}\n`, 'the live master keeps its file');
    first.child.kill('SIGTERM');
    assert.equal((await first.exited).code, 0);
    tmp.remove();
  });

  it('replaces a stale one whose pid is gone', async () => {
    const tmp = tempDir();
    const pidFile = join(tmp.dir, 'supervise.pid');
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(pidFile, `${gone}\n`);
    const cli = startCli(['--app', fixture('app.cjs'), '--pid-file', pidFile]);
    await cli.waitForLog(/master ready/);
    assert.equal(readFileSync(pidFile, 'utf8'), `${cli.pid}\n`);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });
});

/** True when this machine lets us make a PID namespace. */
function canUnshare(): boolean {
  return spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { timeout: 10_000 }).status === 0;
}

describe('as PID 1 of a fresh PID namespace (a container entrypoint)', () => {
  it('handles TERM, reaps its workers, and exits 0', { skip: canUnshare() ? false : 'this machine does not allow `unshare --pid` (needs root or user namespaces)' }, async () => {
    const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, CLI, '--app', fixture('app.cjs'), '--workers', '2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    track(child.pid);
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(() => /master ready pid=1 /.test(err), 45_000, `master ready as pid 1 in: ${err}`);
    // The master's pid outside the namespace: unshare's only child.
    const master = await waitFor(() => readdirSync('/proc').map(Number).find((pid) => pid > 0 && parentOf(pid) === child.pid), 45_000, 'the master');
    track(master);
    const workers = (): number[] => readdirSync('/proc').map(Number).filter((pid) => pid > 0 && parentOf(pid) === master);
    workers().forEach(track);
    // A worker killed inside: respawned, and the dead one is reaped (no zombie under PID 1).
    const victim = workers()[0]!;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => /worker\[\d\] respawning[\s\S]*ready/.test(err), 45_000, 'respawn');
    await waitFor(() => procState(victim) === undefined, 45_000, 'the killed worker reaped');
    workers().forEach(track);
    assert.ok(workers().every((pid) => procState(pid) !== 'Z'));
    process.kill(master, 'SIGTERM');
    assert.equal(await exited, 0);
    assert.match(err, /master stopped/);
    assert.ok(!isAlive(master));
  });
});
