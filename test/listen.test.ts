import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { CLI, fixture, isAlive, killStarted, procState, readableCopy, runCli, startCli, tempDir, track, waitFor, type RunningCli } from './helpers.js';
import { get, startLoad, type LoadResult, type Target } from './http-load.js';

after(killStarted);

const APP = fixture('http-server.cjs');

/** Starts an unchanged http app on `workers` workers sharing `--listen 127.0.0.1:0`; returns the bound port. */
async function serve(workers: number, extra: string[] = [], env: Record<string, string> = {}): Promise<{ cli: RunningCli; port: number }> {
  const cli = startCli(['--app', APP, '--workers', String(workers), '--listen', '127.0.0.1:0', ...extra], { env });
  const [, port] = await cli.waitForLog(/listening on 127\.0\.0\.1:(\d+)/, 45_000);
  await cli.waitForLog(/master ready/, 30_000);
  return { cli, port: Number(port) };
}

/** Socket inodes of `pid`'s open fds. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Established TCP connections to local `port` (from /proc/net/tcp) whose socket `pid` holds. */
function acceptedBy(pid: number, port: number): number {
  const mine = socketInodes(pid);
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '01' && mine.has(f[9] ?? ''))
    .length;
}

/** Runs load while `during` acts, then returns the counts. */
async function underLoad(target: Target, keepAlive: boolean, during: () => Promise<void>): Promise<LoadResult> {
  const load = startLoad(target, { keepAlive, concurrency: 8 });
  await waitFor(() => load.result.ok > 50, 45_000, 'the load to get going');
  await during();
  const before = load.result.ok;
  await waitFor(() => load.result.ok > before + 50, 45_000, 'answers after the action');
  return load.stop();
}

function refused(result: LoadResult): number {
  return result.errors['ECONNREFUSED'] ?? 0;
}

describe('--listen: workers share the master\'s socket', () => {
  it('four workers of an unchanged app share one port; the master never accepts', async () => {
    const { cli, port } = await serve(4);
    const pids = new Set(cli.workerPids().values());
    const load = startLoad({ port }, { keepAlive: false, concurrency: 16 });
    await waitFor(() => [...pids].every((pid) => load.result.byPid.has(pid)), 30_000, 'an answer from each of the four workers');
    assert.equal(acceptedBy(cli.pid, port), 0, 'the master holds no accepted connection');
    const result = await load.stop();
    assert.deepEqual(result.errors, {});
    assert.equal(acceptedBy(cli.pid, port), 0);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });

  for (const keepAlive of [true, false]) {
    it(`HUP under load (${keepAlive ? 'keep-alive' : 'a connection per request'}): every worker replaced, 0 failed requests`, async () => {
      const { cli, port } = await serve(2);
      const old = [...cli.workerPids().values()];
      const result = await underLoad({ port }, keepAlive, async () => {
        cli.child.kill('SIGHUP');
        await cli.waitForLog(/reload (done|finished|complete)/i, 60_000);
      });
      assert.deepEqual(result.errors, {}, `failures during the reload: ${JSON.stringify(result.errors)}`);
      const now = [...cli.stderr().matchAll(/handed to new process pid=(\d+)/g)].map((m) => Number(m[1]));
      assert.equal(now.length, 2, 'both workers were replaced');
      assert.ok(old.every((pid) => !isAlive(pid)), 'the old workers are gone');
      // Each new worker serves. Kept-alive connections may all have landed on one of them (the
      // kernel gives a shared socket's connection to whichever process accepts first, and a
      // kept-alive one stays there): fresh connections ask until each has answered (seen once
      // beside a CPU hog: the second new worker had no connection among the load's eight).
      const answered = new Set(result.byPid.keys());
      await waitFor(
        async () => {
          answered.add((await get({ port })).pid);
          return now.every((pid) => answered.has(pid));
        },
        45_000,
        () => `an answer from each new worker (${now.join(', ')}); answered: ${[...answered].join(', ')}`,
      );
      cli.child.kill('SIGTERM');
      await cli.exited;
    });
  }

  it('TTIN then TTOU under load: 0 failed requests', async () => {
    const { cli, port } = await serve(2);
    const result = await underLoad({ port }, true, async () => {
      cli.child.kill('SIGTTIN');
      await cli.waitForLog(/worker\[2\] ready/, 30_000);
      cli.child.kill('SIGTTOU');
      await cli.waitForLog(/worker\[2\] exited code=0/, 30_000);
    });
    assert.deepEqual(result.errors, {});
    cli.child.kill('SIGTERM');
    await cli.exited;
  });

  it('kill -9 of a worker under load: no connection refused; its id is respawned and serves', async () => {
    const { cli, port } = await serve(2);
    const victim = cli.workerPids().get(0)!;
    const result = await underLoad({ port }, false, async () => {
      process.kill(victim, 'SIGKILL');
      await waitFor(() => cli.workerPids().get(0) !== victim, 45_000, 'worker 0 respawned');
      await cli.waitForLog(/worker\[0\] ready[\s\S]*worker\[0\] ready/, 30_000);
    });
    assert.equal(refused(result), 0, `refused: ${JSON.stringify(result.errors)}`);
    assert.ok(result.byPid.has(cli.workerPids().get(0)!), 'the respawned worker answered');
    cli.child.kill('SIGTERM');
    await cli.exited;
  });

  it('connections queue in the backlog while no worker listens', async () => {
    const { cli, port } = await serve(1);
    const victim = cli.workerPids().get(0)!;
    cli.child.kill('SIGSTOP'); // no respawn while we look
    try {
      process.kill(victim, 'SIGKILL');
      await waitFor(() => procState(victim) === 'Z' || procState(victim) === undefined, 10_000, 'the worker gone');
      const pending = get({ port });
      cli.child.kill('SIGCONT');
      const { pid } = await pending;
      assert.notEqual(pid, victim, 'answered by the respawned worker');
    } finally {
      cli.child.kill('SIGCONT');
    }
    cli.child.kill('SIGTERM');
    await cli.exited;
  });

  it('QUIT with slow requests in flight: every one finishes, with Connection: close', async () => {
    const { cli, port } = await serve(2);
    const agent = new (await import('node:http')).Agent({ keepAlive: true });
    const slow = Array.from({ length: 6 }, () => get({ port }, '/slow?ms=1500', agent));
    // Every request accepted and in a worker's hands before the stop.
    await waitFor(() => acceptedByWorkers(cli, port) >= 6, 45_000, 'six connections accepted');
    cli.child.kill('SIGQUIT');
    const answers = await Promise.all(slow);
    assert.equal(answers.length, 6);
    assert.ok(answers.every((a) => a.connection === 'close'), `Connection headers: ${answers.map((a) => a.connection).join(',')}`);
    assert.equal((await cli.exited).code, 0);
    agent.destroy();
  });

  it('a Unix socket, with its mode; a stale socket file is replaced, a live one refused', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'app.sock');
    // A stale file: bound by a process that exited without removing it (Node's net would remove it).
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
    assert.ok(statSync(path).isSocket());
    const cli = startCli(['--app', APP, '--workers', '2', '--listen', `${path}:600`], { env: { SOCKET: path } });
    await cli.waitForLog(/master ready/, 30_000);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const result = await underLoad({ socketPath: path }, true, async () => {});
    assert.deepEqual(result.errors, {});
    const live = await runCli(['--app', APP, '--listen', path], { ms: 60_000 });
    assert.equal(live.code, 2);
    assert.match(live.stderr, /cannot listen on .*app\.sock: a live process is listening on it/);
    cli.child.kill('SIGTERM');
    await cli.exited;
    assert.equal(statSafe(path), false, 'the socket file is removed at exit');
    tmp.remove();
  });

  it('an address in use or malformed: one line, exit 2, no worker started', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as { port: number }).port;
    const inUse = await runCli(['--app', APP, '--listen', `127.0.0.1:${port}`], { ms: 60_000 });
    taken.close();
    assert.equal(inUse.code, 2);
    assert.match(inUse.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use \\(EADDRINUSE\\)`));
    assert.doesNotMatch(inUse.stderr, /spawn|\n\s+at /);
    for (const bad of ['127.0.0.1:99999', 'example.com:80', '::1:80']) {
      const r = await runCli(['--app', APP, '--listen', bad], { ms: 60_000 });
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /invalid --listen: "/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('--concurrency 3: one server per process, and every slot\'s ctx has the process\'s listeners', async () => {
    const cli = startCli(['--app', fixture('http-slots.cjs'), '--workers', '1', '--concurrency', '3', '--listen', '127.0.0.1:0']);
    const [, port] = await cli.waitForLog(/listening on 127\.0\.0\.1:(\d+)/, 20_000);
    await cli.waitForLog(/master ready/, 30_000);
    await waitFor(() => (cli.stdout().match(/^slot=\d /gm) ?? []).length === 3, 30_000, () => `a line from each of the 3 slots in:\n${cli.stdout()}`);
    for (const slot of [0, 1, 2]) {
      assert.ok(cli.stdout().includes(`slot=${slot} listeners=[{"fd":4,"port":${port},"host":"127.0.0.1"}]`), cli.stdout());
    }
    const { pid } = await get({ port: Number(port) });
    assert.equal(pid, cli.workerPids().get(0));
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });

  it('a program (-- python3 …) gets the sockets systemd-style: LISTEN_FDS from fd 3, LISTEN_PID its own pid, notify after them', async (t) => {
    if (spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status !== 0) return t.skip('python3 is not installed');
    const cli = startCli(['--workers', '2', '--listen', '127.0.0.1:0', '--', 'python3', fixture('listen_program.py')]);
    const [, port] = await cli.waitForLog(/listening on 127\.0\.0\.1:(\d+)/, 20_000);
    await cli.waitForLog(/master ready/, 30_000);
    const load = startLoad({ port: Number(port) }, { keepAlive: false, concurrency: 8 });
    await waitFor(() => load.result.byPid.size >= 2, 30_000, () => `answers from both programs: ${JSON.stringify([...load.result.byPid])} ${cli.stderr()}`);
    const result = await load.stop();
    assert.deepEqual(result.errors, {});
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(Number(port), '127.0.0.1', () => socket.end('GET / HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /pid=\d+ fds=1 notify=4/);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });

  it('--user nobody serves a privileged port from unprivileged workers (as root)', { skip: process.getuid?.() !== 0 && 'not root' }, async (t) => {
    const probe = createServer().listen(80, '127.0.0.1');
    const free = await new Promise<boolean>((r) => {
      probe.once('listening', () => probe.close(() => r(true)));
      probe.once('error', () => r(false));
    });
    if (!free) return t.skip('port 80 is in use');
    // Workers as nobody must read the CLI and the app: a world-readable copy, wherever the checkout is.
    const copy = readableCopy();
    const cli = startCli(['--app', copy.fixture('http-server.cjs'), '--workers', '2', '--listen', '127.0.0.1:80', '--user', 'nobody'], { cli: copy.cli, cwd: copy.cwd });
    await cli.waitForLog(/master ready/, 30_000);
    const { pid } = await get({ port: 80 });
    const uid = /Uid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    assert.notEqual(uid, '0', 'the answering worker is not root');
    cli.child.kill('SIGTERM');
    await cli.exited;
  });
});

describe('--listen: systemd socket activation', () => {
  const activate = ['/usr/bin/systemd-socket-activate', '/bin/systemd-socket-activate'].find((p) => statSafe(p));
  it('a master started with LISTEN_FDS adopts the socket instead of binding; the first connection waits and is served', { skip: activate === undefined && 'systemd-socket-activate is not installed' }, async () => {
    // systemd-socket-activate needs a port of its own: take a free one from the OS, then free it.
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const runtime = tempDir();
    const child = spawn(activate!, ['-l', `127.0.0.1:${port}`, process.execPath, CLI, '--app', APP, '--workers', '2', '--control', join(runtime.dir, 'c.sock')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    track(child.pid);
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      for (const m of c.toString().matchAll(/spawned pid=(\d+)/g)) track(Number(m[1]));
    });
    await waitFor(() => err.includes('Listening on'), 45_000, 'systemd-socket-activate listening');
    // The master starts on this first connection, which waits in the backlog until a worker accepts.
    const first = await get({ port });
    assert.ok(first.pid > 0);
    // The master's lines come through a pipe, perhaps after the answer.
    await waitFor(() => new RegExp(`listening on 127\\.0\\.0\\.1:${port}`).test(err), 45_000, `the master's listening line in:\n${err}`);
    const load = await underLoad({ port }, false, async () => {});
    assert.deepEqual(load.errors, {});
    assert.ok(load.byPid.size >= 1);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    runtime.remove();
  });
});

function statSafe(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Established connections to `port` held by the pool's current workers. */
function acceptedByWorkers(cli: RunningCli, port: number): number {
  return [...cli.workerPids().values()].reduce((sum, pid) => sum + acceptedBy(pid, port), 0);
}
