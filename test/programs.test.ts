/** Any program as a pool (`supervise -- <program> [args…]`): ids, the protocol's status and --timeout, pause, bad input. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture, isAlive, killStarted, runCli, startCli, waitFor } from './helpers.js';
import { SH, cutJobs, jobsStarted, programPids } from './program-helpers.js';

after(killStarted);

describe('programs: ids', () => {
  it('puts the id in argv ({id}, {{id}} literal) and SUPERVISE_WORKER_ID/SUPERVISE_WORKERS in the env', async () => {
    const script = 'echo "args $1 $2 env $SUPERVISE_WORKER_ID/$SUPERVISE_WORKERS notify=$SUPERVISE_NOTIFY_FD"; exec sleep 60';
    const cli = startCli(['--workers', '3', '--', 'sh', '-c', script, 'sh', 'w{id}', '{{id}}']);
    await waitFor(() => (cli.stdout().match(/^args /gm) ?? []).length >= 3, 45_000, `three programs in:\n${cli.stdout()}`);
    for (const id of [0, 1, 2]) assert.match(cli.stdout(), new RegExp(`^args w${id} \\{id\\} env ${id}/3 notify=3$`, 'm'));
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });

  it('respawns a killed program under the same id', async () => {
    const cli = startCli(['--workers', '2', '--', SH, '{id}']);
    await jobsStarted(cli, 2);
    const before = programPids(cli).get(1)!;
    process.kill(before, 'SIGKILL');
    await waitFor(() => programPids(cli).get(1) !== before, 45_000, `a new program for id 1 in:\n${cli.stdout()}`);
    assert.equal(isAlive(before), false);
    await cli.waitForLog(/worker\[1\] failed in a task: program .*job-loop\.sh was killed by SIGKILL/);
    assert.equal((cli.stdout().match(/^pid \d+ id 0 /gm) ?? []).length, 1, 'id 0 untouched');
    cli.child.kill('SIGTERM');
    await cli.exited;
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
    await waitFor(() => /^go 0$/m.test(cli.stdout()) && /^go 1$/m.test(cli.stdout()), 45_000, 'both programs resumed');
    const beforeGo = cli.stdout().slice(heldAt, cli.stdout().search(/^go \d$/m));
    assert.doesNotMatch(beforeGo, /^job \S+ start$/m, 'no job started while held');
    await waitFor(() => (cli.stdout().slice(heldAt).match(/^job \S+ start$/gm) ?? []).length >= 2, 45_000, 'jobs again after resume');
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    await cli.outputEnded();
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
    await waitFor(() => programPids(cli).get(0), 45_000, 'the program');
    const first = programPids(cli).get(0)!;
    const env = { XDG_RUNTIME_DIR: join(cli.controlPath, '..') };
    const status = await waitFor(async () => {
      const result = await runCli(['status', '--json'], { env });
      if (result.code !== 0) return undefined;
      const worker = (JSON.parse(result.stdout) as { workers: Array<{ tasks: number; busy: boolean; status?: string }> }).workers[0];
      return worker?.busy === true && worker.tasks >= 2 ? worker : undefined;
    }, 45_000, 'status with two tasks done and one busy');
    assert.equal(status.status, 'stuck on job 3');
    assert.match((await runCli(['status'], { env })).stdout, /STATUS[\s\S]*stuck on job 3/);
    await cli.waitForLog(/worker\[0\] timed out: .*--timeout 5s/, 30_000);
    await waitFor(() => !isAlive(first), 10_000, 'the hung program killed with its worker');
    cli.child.kill('SIGTERM');
    await cli.exited;
  });
});

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
