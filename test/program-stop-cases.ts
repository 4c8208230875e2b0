/** The stop cases run for each kind of job loop (shell, Python): none may cut a job. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAlive, startCli, waitFor } from './helpers.js';
import { HAS_PYTHON, cutJobs, jobLoop, jobsStarted, programPids } from './program-helpers.js';

/** Registers the graceful-stop tests for job loop `kind`. */
export function stopCases(kind: 'sh' | 'py'): void {
  describe(`programs (${kind}): stopping without cutting a job`, { skip: kind === 'py' && !HAS_PYTHON ? 'python3 not installed' : false }, () => {
    it('QUIT: a program that finishes its job on TERM does so, and the master exits 0', async () => {
      const cli = startCli(['--workers', '2', '--', ...jobLoop(kind)], { env: { TERM_MODE: 'finish', JOB_SECONDS: '1.5' } });
      await jobsStarted(cli, 2);
      cli.child.kill('SIGQUIT');
      assert.equal((await cli.exited).code, 0);
      await cli.outputEnded();
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
      await cli.outputEnded();
      assert.deepEqual(cutJobs(cli.stdout()), []);
    });

    it('a program that dies at once on TERM but speaks the protocol is not cut by QUIT: it is signalled between jobs', async () => {
      const cli = startCli(['--workers', '2', '--', ...jobLoop(kind)], { env: { NOTIFY: '1', JOB_SECONDS: '1.5' } });
      await jobsStarted(cli, 2);
      cli.child.kill('SIGQUIT');
      assert.equal((await cli.exited).code, 0);
      await cli.outputEnded();
      assert.deepEqual(cutJobs(cli.stdout()), [], cli.stdout() + cli.stderr());
    });

    it('a program that reads the answer after IDLE=1 is told STOP before it takes another job (its stop signal ignored)', async () => {
      // It ignores TERM, so only the STOP answer can end it before --stop-wait's SIGKILL.
      const cli = startCli(['--workers', '2', '--stop-wait', '60', '--', ...jobLoop(kind)], { env: { NOTIFY: '1', TERM_MODE: 'ignore', JOB_SECONDS: '1.5' } });
      await jobsStarted(cli, 2);
      cli.child.kill('SIGQUIT');
      assert.equal((await cli.exited).code, 0);
      await cli.outputEnded();
      assert.deepEqual(cutJobs(cli.stdout()), [], cli.stdout() + cli.stderr());
      assert.match(cli.stdout(), /^told STOP 0$/m);
      assert.match(cli.stdout(), /^told STOP 1$/m);
    });
  });
}
