import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, fixture, isAlive, killStarted, readEvents, startCli, streamsClosed, tempDir, track, waitFor, type RunningCli } from './helpers.js';

after(killStarted);

type Stdio = 'pipe' | 'file' | 'terminal';

/** Starts the CLI with the workers' stdout on a pipe, a file, or a pseudo-terminal (via script(1)). */
function startWith(stdio: Stdio, args: string[], env: Record<string, string>, dir: string): { cli: RunningCli; masterPid: () => Promise<number> } {
  if (stdio === 'pipe') {
    const cli = startCli(args, { env });
    return { cli, masterPid: async () => cli.pid };
  }
  if (stdio === 'file') {
    const fd = openSync(join(dir, 'out'), 'w');
    const cli = startCli(args, { env, stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    return { cli, masterPid: async () => cli.pid };
  }
  // script(1) gives the master and its workers a terminal; the log reaches us through it.
  const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
  const runtimeDir = tempDir('supervise-run-').dir; // its own default control socket
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  track(child.pid);
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    for (const m of c.toString().matchAll(/pid=(\d+)/g)) track(Number(m[1]));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const pids = (): Array<[number, number]> => [...out.matchAll(/worker\[(\d+)\] spawned pid=(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const cli: RunningCli = {
    child,
    pid: child.pid!,
    stderr: () => out,
    stdout: () => out,
    exited,
    outputEnded: (ms) => streamsClosed(child, ms),
    waitForLog: (pattern, ms = 10_000) => waitFor(() => out.match(pattern), ms, `${pattern} in ${out}`),
    workerPids: () => new Map(pids()),
    allWorkerPids: () => pids().map(([, pid]) => pid),
    controlPath: join(runtimeDir, 'supervise.sock'),
  };
  return { cli, masterPid: async () => Number((await cli.waitForLog(/master starting pid=(\d+)/))[1]) };
}

describe('master killed with SIGKILL', () => {
  for (const stdio of ['pipe', 'file', 'terminal'] as const) {
    it(`busy workers finish their task, start no other, and exit (stdout: ${stdio})`, async () => {
      const tmp = tempDir();
      const log = join(tmp.dir, 'events');
      const { cli, masterPid } = startWith(stdio, ['--app', fixture('app.cjs'), '--workers', '3'], { FIXTURE_LOG: log, TASK_MS: '1500' }, tmp.dir);
      await cli.waitForLog(/master ready/);
      await waitFor(() => readEvents(log).filter((e) => e.ev === 'start').length >= 3, 45_000, 'every worker mid-task');
      const workers = [...cli.workerPids().values()];
      const killedAt = Date.now();
      process.kill(await masterPid(), 'SIGKILL');
      await waitFor(() => workers.every((pid) => !isAlive(pid)), 45_000, 'workers to exit after their task');
      const events = readEvents(log);
      for (const pid of workers) {
        const mine = events.filter((e) => e.pid === pid);
        const starts = mine.filter((e) => e.ev === 'start');
        const ends = mine.filter((e) => e.ev === 'end');
        assert.equal(ends.length, starts.length, `worker ${pid} finished every task it started`);
        assert.ok(starts.every((e) => e.t < killedAt + 50), `worker ${pid} started no task after the master died`);
        assert.ok(!mine.some((e) => e.ev === 'aborted'), 'master death does not abort ctx.signal');
      }
      tmp.remove();
    });
  }

  it('idle workers (instant tasks) exit at once', async () => {
    const cli = startCli(['--app', fixture('instant.cjs'), '--workers', '4']);
    await cli.waitForLog(/master ready/);
    const workers = [...cli.workerPids().values()];
    process.kill(cli.pid, 'SIGKILL');
    await waitFor(() => workers.every((pid) => !isAlive(pid)), 45_000, 'idle workers gone (at once; the bound is for a loaded machine)');
  });
});
