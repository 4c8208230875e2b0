// A paused master kills nobody (Unicorn's t/heartbeat-timeout.t): the master stopped well past
// --timeout, then continued, reads what its workers sent meanwhile and keeps every one of them.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, killStarted, sleep, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

/** Task starts per worker id after epoch ms `since`, from the fixture's event file (a half-written last line is skipped). */
function startsSince(file: string, since: number): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let event: { ev?: string; id?: number; t?: number };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      continue;
    }
    if (event.ev === 'start' && event.t! > since) counts.set(event.id!, (counts.get(event.id!) ?? 0) + 1);
  }
  return counts;
}

describe('a master that was stopped', () => {
  it('SIGSTOP for 3.5 s past --timeout 2, then SIGCONT: no worker is killed, none changes pid', async () => {
    const tmp = tempDir();
    const events = join(tmp.dir, 'events');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--timeout', '2', '--boot-timeout', '2'], { env: { FIXTURE_LOG: events, TASK_MS: '100' } });
    try {
      await cli.waitForLog(/master ready/, 30_000);
      const pids = cli.workerPids();
      await waitFor(() => startsSince(events, 0).size === 2, 45_000, 'both workers at work');
      process.kill(cli.pid, 'SIGSTOP');
      await sleep(3500); // the scenario: the master is away for longer than --timeout (and --boot-timeout)
      process.kill(cli.pid, 'SIGCONT');
      const resumed = Date.now();
      // Past --timeout and two checks after the wake-up, each worker having worked all along.
      await waitFor(() => {
        const counts = startsSince(events, resumed + 3000);
        return (counts.get(0) ?? 0) >= 3 && (counts.get(1) ?? 0) >= 3;
      }, 30_000, 'both workers still at work 3 s after SIGCONT');
      assert.doesNotMatch(cli.stderr(), /timed out/);
      assert.deepEqual(cli.workerPids(), pids, 'no worker pid changed');
      assert.match(cli.stderr(), /master was stopped or starved for \d+\.\ds/);
      cli.child.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
    } finally {
      try {
        process.kill(cli.pid, 'SIGCONT'); // never leave a stopped master behind
      } catch {
        // already gone
      }
      tmp.remove();
    }
  });
});
