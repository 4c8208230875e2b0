/** Programs stopped without cutting a job: QUIT, the master's SIGKILL, the protocol's STOP, --stop-signal, --stop-wait. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAlive, killStarted, startCli, waitFor } from './helpers.js';
import { SH, cutJobs, jobsStarted, programPids } from './program-helpers.js';
import { stopCases } from './program-stop-cases.js';

after(killStarted);

stopCases('sh');

describe('programs: stop signals', () => {
  it('--stop-signal USR1 is what a graceful stop sends', async () => {
    const cli = startCli(['--workers', '1', '--stop-signal', 'USR1', '--', SH, '{id}'], { env: { JOB_SECONDS: '1' } });
    await jobsStarted(cli, 1);
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    await cli.outputEnded();
    assert.match(cli.stdout(), /^got USR1 0$/m);
    assert.deepEqual(cutJobs(cli.stdout()), []);
  });

  it('--stop-wait: a program that ignores its stop signal is SIGKILLed after the wait', async () => {
    const cli = startCli(['--workers', '1', '--stop-signal', 'QUIT', '--stop-wait', '1', '--', SH, '{id}'], { env: { TERM_MODE: 'ignore', JOB_SECONDS: '60' } });
    await jobsStarted(cli, 1);
    const program = programPids(cli).get(0)!;
    const askedAt = Date.now();
    cli.child.kill('SIGQUIT');
    await cli.waitForLog(/did not exit in time after its stop signal: SIGKILL/, 45_000);
    assert.ok(Date.now() - askedAt >= 900, 'not before --stop-wait');
    await cli.exited;
    await waitFor(() => !isAlive(program), 10_000, 'the program gone');
  });
});

