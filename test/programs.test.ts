/** Any program as a pool (`supervise -- <program> [args…]`): real shell and Python job loops. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, fixture, isAlive, killStarted, runCli, startCli, tempDir, track, waitFor, type RunningCli } from './helpers.js';

after(killStarted);

const SH = fixture('job-loop.sh');
const PY = fixture('job_loop.py');

/** True when `name` runs from PATH. */
function installed(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const HAS_PYTHON = installed('python3');

/** The command for job loop `kind`: the shell fixture, or the Python one through python3. */
function jobLoop(kind: 'sh' | 'py'): string[] {
  return kind === 'sh' ? [SH, '{id}'] : ['python3', PY, '{id}'];
}

/** Program pids by id, latest per id, from the fixtures' "pid P id I" lines; each is tracked for killStarted. */
function programPids(cli: RunningCli): Map<number, number> {
  const pids = new Map<number, number>();
  for (const m of cli.stdout().matchAll(/^pid (\d+) id (\d+)/gm)) {
    track(Number(m[1]));
    pids.set(Number(m[2]), Number(m[1]));
  }
  return pids;
}

/** Every job the programs started that has no "done" line: the jobs cut. */
function cutJobs(out: string): string[] {
  const done = new Set([...out.matchAll(/^job (\S+) done/gm)].map((m) => m[1]));
  return [...out.matchAll(/^job (\S+) start/gm)].map((m) => m[1]!).filter((job) => !done.has(job));
}

/** Waits until each of ids 0..n-1 has a job started. */
function jobsStarted(cli: RunningCli, n: number, ms = 20_000): Promise<unknown> {
  return waitFor(() => Array.from({ length: n }, (_, i) => new RegExp(`^job ${i}\\.[\\d.]+ start`, 'm')).every((re) => re.test(cli.stdout())), ms, `a job started on each of ${n} ids in:\n${cli.stdout()}`);
}

describe('programs: ids', () => {
  it('puts the id in argv ({id}, {{id}} literal) and SUPERVISE_WORKER_ID/SUPERVISE_WORKERS in the env', async () => {
    const script = 'echo "args $1 $2 env $SUPERVISE_WORKER_ID/$SUPERVISE_WORKERS notify=$SUPERVISE_NOTIFY_FD"; exec sleep 60';
    const cli = startCli(['--workers', '3', '--', 'sh', '-c', script, 'sh', 'w{id}', '{{id}}']);
    await waitFor(() => (cli.stdout().match(/^args /gm) ?? []).length >= 3, 20_000, `three programs in:\n${cli.stdout()}`);
    for (const id of [0, 1, 2]) assert.match(cli.stdout(), new RegExp(`^args w${id} \\{id\\} env ${id}/3 notify=3$`, 'm'));
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });

  it('respawns a killed program under the same id', async () => {
    const cli = startCli(['--workers', '2', '--', SH, '{id}']);
    await jobsStarted(cli, 2);
    const before = programPids(cli).get(1)!;
    process.kill(before, 'SIGKILL');
    await waitFor(() => programPids(cli).get(1) !== before, 20_000, `a new program for id 1 in:\n${cli.stdout()}`);
    assert.equal(isAlive(before), false);
    await cli.waitForLog(/worker\[1\] failed in a task: program .*job-loop\.sh was killed by SIGKILL/);
    assert.equal((cli.stdout().match(/^pid \d+ id 0 /gm) ?? []).length, 1, 'id 0 untouched');
    cli.child.kill('SIGTERM');
    await cli.exited;
  });
});

for (const kind of ['sh', 'py'] as const) {
  describe(`programs (${kind}): stopping without cutting a job`, { skip: kind === 'py' && !HAS_PYTHON ? 'python3 not installed' : false }, () => {
    it('QUIT: a program that finishes its job on TERM does so, and the master exits 0', async () => {
      const cli = startCli(['--workers', '2', '--', ...jobLoop(kind)], { env: { TERM_MODE: 'finish', JOB_SECONDS: '1.5' } });
      await jobsStarted(cli, 2);
      cli.child.kill('SIGQUIT');
      assert.equal((await cli.exited).code, 0);
      assert.deepEqual(cutJobs(cli.stdout()), []);
      assert.match(cli.stdout(), /^exit 0$/m);
      assert.match(cli.stdout(), /^exit 1$/m);
    });

    it('the master SIGKILLed: every program gets its stop signal, finishes its job and exits; none is left', async () => {
      const cli = startCli(['--workers', '3', '--', ...jobLoop(kind)], { env: { TERM_MODE: 'finish', JOB_SECONDS: '2' } });
      await jobsStarted(cli, 3);
      const programs = [...programPids(cli).values()];
      const workers = cli.allWorkerPids();
      assert.equal(programs.length, 3);
      cli.child.kill('SIGKILL');
      await waitFor(() => [...programs, ...workers].every((pid) => !isAlive(pid)), 30_000, 'every program and worker gone');
      await waitFor(() => (cli.stdout().match(/^exit \d$/gm) ?? []).length === 3, 10_000, `three exits in:\n${cli.stdout()}`);
      assert.deepEqual(cutJobs(cli.stdout()), []);
    });

    it('a program that dies at once on TERM but speaks the protocol is not cut by QUIT: it is signalled between jobs', async () => {
      const cli = startCli(['--workers', '2', '--', ...jobLoop(kind)], { env: { NOTIFY: '1', JOB_SECONDS: '1.5' } });
      await jobsStarted(cli, 2);
      cli.child.kill('SIGQUIT');
      assert.equal((await cli.exited).code, 0);
      assert.deepEqual(cutJobs(cli.stdout()), [], cli.stdout() + cli.stderr());
    });

    it('a program that reads the answer after IDLE=1 is told STOP before it takes another job', async () => {
      const cli = startCli(['--workers', '2', '--', ...jobLoop(kind)], { env: { NOTIFY: '1', TERM_MODE: 'finish', JOB_SECONDS: '1.5' } });
      await jobsStarted(cli, 2);
      cli.child.kill('SIGQUIT');
      assert.equal((await cli.exited).code, 0);
      assert.deepEqual(cutJobs(cli.stdout()), [], cli.stdout() + cli.stderr());
      assert.match(cli.stdout(), /^told STOP 0$/m);
      assert.match(cli.stdout(), /^told STOP 1$/m);
    });
  });
}

describe('programs: reload and stop signals', () => {
  it('HUP restarts one id at a time and cuts no job of a protocol-speaking program that dies on TERM', async () => {
    const cli = startCli(['--workers', '2', '--', SH, '{id}'], { env: { NOTIFY: '1', JOB_SECONDS: '1' } });
    await jobsStarted(cli, 2);
    await cli.waitForLog(/master ready/);
    const before = programPids(cli);
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload done: 2 workers/, 30_000);
    const afterReload = await waitFor(() => {
      const now = programPids(cli);
      return now.get(0) !== before.get(0) && now.get(1) !== before.get(1) ? now : undefined;
    }, 20_000, `a new program on each id in:\n${cli.stdout()}`);
    // One id at a time: an id's old program leaves, its new one is ready, and only then the next id's leaves.
    const reload = cli.stderr().slice(cli.stderr().indexOf('reloading 2 workers'));
    const steps = [...reload.matchAll(/worker\[(\d)\] (exited|ready)/g)].map((m) => `${m[2]} ${m[1]}`);
    const [first, second] = steps[0] === 'exited 0' ? ['0', '1'] : ['1', '0'];
    assert.deepEqual(steps.slice(0, 4), [`exited ${first}`, `ready ${first}`, `exited ${second}`, `ready ${second}`], reload);
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    assert.deepEqual(cutJobs(cli.stdout()), []);
  });

  it('--stop-signal USR1 is what a graceful stop sends', async () => {
    const cli = startCli(['--workers', '1', '--stop-signal', 'USR1', '--', SH, '{id}'], { env: { JOB_SECONDS: '1' } });
    await jobsStarted(cli, 1);
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    assert.match(cli.stdout(), /^got USR1 0$/m);
    assert.deepEqual(cutJobs(cli.stdout()), []);
  });

  it('--stop-wait: a program that ignores its stop signal is SIGKILLed after the wait', async () => {
    const cli = startCli(['--workers', '1', '--stop-signal', 'QUIT', '--stop-wait', '1', '--', SH, '{id}'], { env: { TERM_MODE: 'ignore', JOB_SECONDS: '60' } });
    await jobsStarted(cli, 1);
    const program = programPids(cli).get(0)!;
    const askedAt = Date.now();
    cli.child.kill('SIGQUIT');
    await cli.waitForLog(/did not exit in time after its stop signal: SIGKILL/, 20_000);
    assert.ok(Date.now() - askedAt >= 900, 'not before --stop-wait');
    await cli.exited;
    await waitFor(() => !isAlive(program), 10_000, 'the program gone');
  });
});

describe('programs: pause', () => {
  it('with --pause-signal/--resume-signal: ctl pause holds each program after its job, ctl resume lets it go on', async () => {
    const cli = startCli(['--workers', '2', '--pause-signal', 'USR2', '--resume-signal', 'CONT', '--', SH, '{id}'], { env: { NOTIFY: '1', JOB_SECONDS: '0.5' } });
    await jobsStarted(cli, 2);
    const env = { XDG_RUNTIME_DIR: join(cli.controlPath, '..') };
    const paused = await runCli(['ctl', 'pause'], { env });
    assert.equal(paused.code, 0, paused.stderr);
    for (const id of [0, 1]) assert.match(cli.stdout(), new RegExp(`^hold ${id}$`, 'm'));
    const status = await runCli(['status', '--json'], { env });
    assert.deepEqual((JSON.parse(status.stdout) as { workers: Array<{ paused: boolean }> }).workers.map((w) => w.paused), [true, true]);
    const heldAt = cli.stdout().length;
    assert.equal((await runCli(['ctl', 'resume'], { env })).code, 0);
    await waitFor(() => /^go 0$/m.test(cli.stdout()) && /^go 1$/m.test(cli.stdout()), 20_000, 'both programs resumed');
    const beforeGo = cli.stdout().slice(heldAt, cli.stdout().search(/^go \d$/m));
    assert.doesNotMatch(beforeGo, /^job \S+ start$/m, 'no job started while held');
    await waitFor(() => (cli.stdout().slice(heldAt).match(/^job \S+ start$/gm) ?? []).length >= 2, 20_000, 'jobs again after resume');
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    assert.deepEqual(cutJobs(cli.stdout()), []);
  });

  it('without --pause-signal, pausing a program is refused in one line', async () => {
    const cli = startCli(['--workers', '1', '--', SH, '{id}']);
    await jobsStarted(cli, 1);
    const result = await runCli(['ctl', 'pause'], { env: { XDG_RUNTIME_DIR: join(cli.controlPath, '..') } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /cannot pause: a program run after -- holds only with --pause-signal and --resume-signal/);
    cli.child.kill('SIGTERM');
    await cli.exited;
  });
});

describe('programs: the protocol feeds status and --timeout', () => {
  it('BUSY..IDLE are tasks in status, STATUS= shows there, and a job busy past --timeout is killed', async () => {
    // Two quick jobs, a status line, then a job that never ends.
    const script = 'fd=$SUPERVISE_NOTIFY_FD; for j in 1 2; do echo BUSY=1 >&$fd; echo IDLE=1 >&$fd; done; echo STATUS=stuck on job 3 >&$fd; echo BUSY=1 >&$fd; echo "pid $$ id $1"; exec sleep 600';
    // --timeout 5: the status queries below (a CLI each, slow on a loaded machine) must catch the job busy before the kill.
    const cli = startCli(['--workers', '1', '--timeout', '5', '--', 'sh', '-c', script, 'sh', '{id}']);
    await waitFor(() => programPids(cli).get(0), 20_000, 'the program');
    const first = programPids(cli).get(0)!;
    const env = { XDG_RUNTIME_DIR: join(cli.controlPath, '..') };
    const status = await waitFor(async () => {
      const result = await runCli(['status', '--json'], { env });
      if (result.code !== 0) return undefined;
      const worker = (JSON.parse(result.stdout) as { workers: Array<{ tasks: number; busy: boolean; status?: string }> }).workers[0];
      return worker?.busy === true && worker.tasks >= 2 ? worker : undefined;
    }, 20_000, 'status with two tasks done and one busy');
    assert.equal(status.status, 'stuck on job 3');
    assert.match((await runCli(['status'], { env })).stdout, /STATUS[\s\S]*stuck on job 3/);
    await cli.waitForLog(/worker\[0\] timed out: .*--timeout 5s/, 30_000);
    await waitFor(() => !isAlive(first), 10_000, 'the hung program killed with its worker');
    cli.child.kill('SIGTERM');
    await cli.exited;
  });
});

for (const [kind, command] of [
  ['python-worker', ['python3', join(ROOT, 'examples', 'python-worker', 'worker.py')]],
  ['shell-worker', [join(ROOT, 'examples', 'shell-worker', 'worker.sh')]],
] as const) {
  describe(`examples/${kind}`, { skip: kind === 'python-worker' && !HAS_PYTHON ? 'python3 not installed' : false }, () => {
    it('works the whole queue through a HUP and a QUIT: every job done once, none left claimed', async () => {
      const tmp = tempDir('supervise-queue-');
      after(() => tmp.remove());
      const env = { QUEUE_DIR: tmp.dir };
      execFileSync(command[0], [...command.slice(1), 'seed', '10'], { env: { ...process.env, ...env } });
      const cli = startCli(['--workers', '3', '--', ...command, 'work', '{id}'], { env });
      const done = (): number => readdirSync(join(tmp.dir, 'done')).filter((f) => !f.startsWith('.')).length;
      await waitFor(() => done() >= 2, 30_000, 'two jobs done');
      cli.child.kill('SIGHUP');
      await cli.waitForLog(/reload done: 3 workers/, 30_000);
      await waitFor(() => done() === 10, 60_000, `all ten jobs done in:\n${cli.stdout()}`);
      cli.child.kill('SIGQUIT');
      assert.equal((await cli.exited).code, 0);
      assert.equal((cli.stdout().match(/: job-\d+ done/g) ?? []).length, 10, cli.stdout());
      assert.deepEqual(readdirSync(join(tmp.dir, 'pending')), []);
      for (const id of ['0', '1', '2']) assert.deepEqual(readdirSync(join(tmp.dir, 'claimed', id)), [], `id ${id} left a claim`);
    });
  });
}

describe('programs: bad input', () => {
  it('a missing program is one clear line and exit 2, nothing started', async () => {
    const result = await runCli(['--workers', '2', '--', 'no-such-program-xyz', '{id}']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'supervise: program "no-such-program-xyz" not found on PATH\n');
  });

  it('a program that is not executable, and --app with a program, are one clear line each', async () => {
    const notExec = await runCli(['--', fixture('app.cjs')]);
    assert.equal(notExec.code, 2);
    assert.match(notExec.stderr, /^supervise: program ".*app\.cjs" is not executable .*\n$/);
    const both = await runCli(['--app', fixture('app.cjs'), '--', 'sh']);
    assert.equal(both.code, 2);
    assert.equal(both.stderr, `supervise: give either --app ${JSON.stringify(fixture('app.cjs'))} or a program after -- ("sh"), not both\n`);
  });
});
