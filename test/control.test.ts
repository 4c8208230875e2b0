// The control socket against live masters: `supervise status` (table and --json) and
// `supervise ctl reload | scale | pause | resume | stop`, a client with no master, the socket's
// permissions, stale and contested socket files.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fixture, isAlive, killStarted, runCli, startCli, tempDir, track, waitFor, type RunningCli } from './helpers.js';

after(killStarted);

/** Runs `supervise <args>` against the master of `cli` (its own runtime directory). */
function client(cli: RunningCli, args: string[], ms = 15_000) {
  return runCli(args, { env: { XDG_RUNTIME_DIR: join(cli.controlPath, '..') }, ms });
}

interface StatusJson {
  pid: number;
  state: string;
  size: number;
  paused: boolean;
  tasks: number;
  workers: Array<{ id: number; pid: number; state: string; tasks: number; restarts: number; rssBytes?: number; pssBytes?: number; ussBytes?: number; cpuPercent?: number; lastExit?: { code: number | null; signal: string | null } }>;
  master: { rssBytes?: number; pssBytes?: number; ussBytes?: number };
  memory: { rssBytes?: number; pssBytes?: number; ussBytes?: number };
}

async function statusJson(cli: RunningCli): Promise<StatusJson> {
  const result = await client(cli, ['status', '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as StatusJson;
}

describe('supervise status', () => {
  it('prints one row per worker, and --json the same for scripts', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '3', '--poll', '1'], { env: { TASK_MS: '20' } });
    await cli.waitForLog(/master ready/);
    const pids = cli.workerPids();
    const table = await client(cli, ['status']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, new RegExp(`^master pid=${cli.pid} running workers=3 `));
    assert.match(lines[1]!, /^pool memory \(master \+ workers \+ spares\): pss=[\d.]+M uss=[\d.]+M rss=[\d.]+M /);
    assert.match(lines[2]!, /^ID\s+PID\s+STATE\s+UPTIME\s+TASKS\s+RESTARTS\s+LAST EXIT\s+PSS\s+USS\s+RSS\s+CPU%$/);
    assert.equal(lines.length, 6, table.stdout);
    for (const id of [0, 1, 2]) {
      assert.match(lines[3 + id]!, new RegExp(`^\\s*${id}\\s+${pids.get(id)}\\s+(running|busy)\\s+\\d+s\\s+\\d+\\s+0\\s+-\\s+[\\d.]+M\\s+[\\d.]+M\\s+[\\d.]+M\\s+[\\d.]+$`));
    }
    const first = await statusJson(cli);
    assert.equal(first.pid, cli.pid);
    assert.deepEqual(first.workers.map((w) => [w.id, w.pid]), [...pids.entries()].sort((a, b) => a[0] - b[0]));
    assert.ok(first.workers.every((w) => (w.rssBytes ?? 0) > 10 * 1048576), 'RSS read from /proc');
    // PSS and USS from smaps_rollup: a worker owns far less than its RSS (the node binary's pages are shared).
    for (const w of [...first.workers, first.master]) {
      assert.ok((w.pssBytes ?? 0) > 0 && (w.ussBytes ?? 0) > 0, `PSS and USS read: ${JSON.stringify(w)}`);
      assert.ok(w.ussBytes! < w.rssBytes! && w.pssBytes! <= w.rssBytes! && w.ussBytes! <= w.pssBytes!, `USS ≤ PSS ≤ RSS, USS < RSS: ${JSON.stringify(w)}`);
    }
    const all = [first.master, ...first.workers];
    assert.equal(first.memory.pssBytes, all.reduce((sum, w) => sum + w.pssBytes!, 0), 'the pool PSS is the sum over master and workers');
    assert.ok(first.memory.pssBytes! < first.memory.rssBytes!, 'the pool PSS is below the RSS sum');
    const later = await waitFor(async () => {
      const s = await statusJson(cli);
      return s.workers.every((w, i) => w.tasks > first.workers[i]!.tasks) ? s : undefined;
    }, 10_000, 'task counts growing');
    assert.ok(later.tasks >= later.workers.reduce((sum, w) => sum + w.tasks, 0));

    process.kill(pids.get(1)!, 'SIGKILL');
    await cli.waitForLog(/worker\[1\] ready[\s\S]*worker\[1\] ready/);
    const after = await statusJson(cli);
    const one = after.workers[1]!;
    assert.equal(one.restarts, 1);
    assert.deepEqual(one.lastExit && [one.lastExit.code, one.lastExit.signal], [null, 'SIGKILL']);
    assert.ok(one.tasks >= later.workers[1]!.tasks, 'an id keeps the tasks of its earlier processes');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    assert.ok(!existsSync(cli.controlPath), 'the socket is removed at exit');
  });

  it('says in one line that no master is running, and exits 1', async () => {
    const tmp = tempDir();
    const result = await runCli(['status', '--control', join(tmp.dir, 'none.sock')]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `supervise: no master is running at ${join(tmp.dir, 'none.sock')}\n`);
    const ctl = await runCli(['ctl', 'reload', '--pid-file', join(tmp.dir, 'app.pid')]);
    assert.equal(ctl.code, 1);
    assert.equal(ctl.stderr, `supervise: no master is running at ${join(tmp.dir, 'app.sock')}\n`);
    tmp.remove();
  });

  it('refuses a bad ctl command or count with one line and exit 2', async () => {
    const bad = await runCli(['ctl', 'explode']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^supervise: .*explode.*\n$/);
    const noCount = await runCli(['ctl', 'scale']);
    assert.equal(noCount.code, 2);
    assert.equal(noCount.stderr, 'supervise: ctl scale needs the new number of workers, a whole number ≥ 0 (got none)\n');
  });
});

describe('supervise ctl', () => {
  it('scales, reloads and stops a live master', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1'], { env: { TASK_MS: '30' } });
    await cli.waitForLog(/master ready/);
    const up = await client(cli, ['ctl', 'scale', '4']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.stdout, 'scale 4: done\n');
    assert.deepEqual((await statusJson(cli)).workers.map((w) => [w.id, w.state]), [0, 1, 2, 3].map((id) => [id, 'running']));
    for (const pid of cli.workerPids().values()) track(pid);

    const before = new Set(cli.workerPids().values());
    const reload = await client(cli, ['ctl', 'reload'], 30_000);
    assert.equal(reload.code, 0, reload.stderr);
    const now = await statusJson(cli);
    assert.equal(now.workers.length, 4);
    assert.ok(now.workers.every((w) => !before.has(w.pid) && isAlive(w.pid)), 'every id runs a new process after the reload');

    const down = await client(cli, ['ctl', 'scale', '1']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await statusJson(cli)).workers.length, 1);

    const stop = await client(cli, ['ctl', 'stop', '--graceful']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, 'stop: done\n');
    assert.equal((await cli.exited).code, 0);
    assert.match(cli.stderr(), /control: stop \(graceful\)/);
  });

  it('reports an operation the master refused in one line, with exit 1', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    copyFileSync(fixture('app.cjs'), app);
    const cli = startCli(['--app', app, '--poll', '1']);
    await cli.waitForLog(/master ready/);
    writeFileSync(app, "throw new Error('half-deployed');\n");
    const reload = await client(cli, ['ctl', 'reload'], 30_000);
    assert.equal(reload.code, 1);
    assert.match(reload.stderr, /^supervise: reload abandoned.*half-deployed.*\n$/);
    assert.equal(reload.stderr.split('\n').length, 2, reload.stderr);
    assert.equal((await statusJson(cli)).workers[0]!.state, 'running', 'the old worker runs on');
    cli.child.kill('SIGTERM');
    await cli.exited;
    tmp.remove();
  });
});

describe('the control socket', () => {
  it('is owner-only, in an owner-only directory', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--poll', '1']);
    await cli.waitForLog(/master ready/);
    const socket = statSync(cli.controlPath);
    assert.ok(socket.isSocket());
    assert.equal(socket.mode & 0o777, 0o600);
    assert.equal(statSync(join(cli.controlPath, '..')).mode & 0o777, 0o700);
    cli.child.kill('SIGTERM');
    await cli.exited;
  });

  it('sits beside the pid file when there is one', async () => {
    const tmp = tempDir();
    const cli = startCli(['--app', fixture('app.cjs'), '--poll', '1', '--pid-file', join(tmp.dir, 'app.pid')]);
    await cli.waitForLog(/master ready/);
    assert.ok(statSync(join(tmp.dir, 'app.sock')).isSocket());
    const status = await runCli(['status', '--pid-file', join(tmp.dir, 'app.pid')]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^master pid=${cli.pid} `));
    cli.child.kill('SIGTERM');
    await cli.exited;
    tmp.remove();
  });

  it('replaces a stale socket file, and refuses one a live master serves', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'ctl.sock');
    // A process that dies by SIGKILL leaves its socket file behind.
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    track(holder.pid);
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    assert.ok(existsSync(path), 'stale socket file left');

    const cli = startCli(['--app', fixture('app.cjs'), '--poll', '1', '--control', path]);
    await cli.waitForLog(/master ready/);
    assert.equal((await runCli(['status', '--control', path])).code, 0);

    const second = await runCli(['--app', fixture('app.cjs'), '--control', path]);
    assert.notEqual(second.code, 0);
    assert.equal(second.stderr.trim().split('\n').at(-1), `supervise: control socket ${path} is in use by another running master (stop it, or give another --control)`);
    assert.doesNotMatch(second.stderr, /spawned/);
    assert.ok(isAlive(cli.pid));
    assert.equal((await runCli(['status', '--control', path])).code, 0, 'the first master keeps its socket');
    cli.child.kill('SIGTERM');
    await cli.exited;
    tmp.remove();
  });

  it('answers garbage with an error and keeps serving; refuses a directory others may write to', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--poll', '1']);
    await cli.waitForLog(/master ready/);
    for (const garbage of ['null', '42', '{"command":"explode"}', 'not json']) {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = createConnection(cli.controlPath, () => socket.write(garbage + '\n'));
        socket.setEncoding('utf8');
        socket.once('data', (data: string) => {
          socket.destroy();
          resolve(data);
        });
        socket.once('error', reject);
      });
      assert.equal((JSON.parse(reply) as { ok: boolean }).ok, false, `${garbage} is refused`);
    }
    assert.ok(isAlive(cli.pid));
    assert.equal((await client(cli, ['status'])).code, 0, 'still serving');
    cli.child.kill('SIGTERM');
    await cli.exited;

    const tmp = tempDir();
    chmodSync(tmp.dir, 0o777);
    const unsafe = await runCli(['--app', fixture('app.cjs'), '--control', join(tmp.dir, 'x.sock')]);
    assert.equal(unsafe.code, 1);
    assert.match(unsafe.stderr, /supervise: control socket directory .* is not safe: .*\n$/);
    assert.doesNotMatch(unsafe.stderr, /spawned/);
    tmp.remove();
  });

  it('a default socket that cannot be served: the master runs without one and says why', async () => {
    const tmp = tempDir();
    chmodSync(tmp.dir, 0o777); // a runtime directory others may write to: no socket of ours goes there
    const cli = startCli(['--app', fixture('app.cjs'), '--poll', '1'], { env: { XDG_RUNTIME_DIR: tmp.dir } });
    await cli.waitForLog(/master ready/);
    assert.match(cli.stderr(), /supervise: control socket directory .* is not safe: .*; this one serves no control socket \(give --control or --pid-file\)\n/);
    assert.ok(!existsSync(join(tmp.dir, 'supervise.sock')));
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('a second master on the default socket runs without one, and says so', async () => {
    const first = startCli(['--app', fixture('app.cjs'), '--poll', '1']);
    await first.waitForLog(/master ready/);
    const env = { XDG_RUNTIME_DIR: join(first.controlPath, '..') };
    const second = startCli(['--app', fixture('app.cjs'), '--poll', '1'], { env });
    await second.waitForLog(/master ready/);
    assert.match(second.stderr(), /supervise: control socket .* is in use by another master; this one serves none/);
    const status = await client(first, ['status', '--json']);
    assert.equal((JSON.parse(status.stdout) as StatusJson).pid, first.pid);
    second.child.kill('SIGTERM');
    first.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
    assert.equal((await first.exited).code, 0);
    assert.ok(!existsSync(first.controlPath));
  });
});
