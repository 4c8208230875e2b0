// Pause and resume (Unicorn's WINCH): every worker finishes its task and holds, the master and the
// processes stay; resume restarts the loop. By `supervise ctl`, by WINCH, and through the API.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Supervisor } from '../dist/index.js';
import { fixture, isAlive, killStarted, readEvents, runCli, sleep, startCli, tempDir, track, waitFor, type FixtureEvent } from './helpers.js';

after(killStarted);

/** Tasks that started and never ended (cut), per the fixture's events. */
function cutTasks(events: FixtureEvent[]): FixtureEvent[] {
  const ended = new Set(events.filter((e) => e.ev === 'end').map((e) => `${e.pid}:${String(e['n'])}`));
  return events.filter((e) => e.ev === 'start' && !ended.has(`${e.pid}:${String(e['n'])}`));
}

describe('pause and resume', () => {
  it('ctl pause: tasks finish, nothing new starts, processes stay; ctl resume starts them again', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events.jsonl');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '3', '--poll', '1'], { env: { FIXTURE_LOG: log, TASK_MS: '300' } });
    await cli.waitForLog(/master ready/);
    await waitFor(() => readEvents(log).filter((e) => e.ev === 'start').length >= 3, 45_000, 'every worker in a task');
    const env = { XDG_RUNTIME_DIR: join(cli.controlPath, '..') };
    const pause = await runCli(['ctl', 'pause'], { env });
    assert.equal(pause.code, 0, pause.stderr);
    // ctl pause answers once every worker holds: every task that started has ended.
    const atPause = readEvents(log);
    assert.deepEqual(cutTasks(atPause), [], 'no task is cut or still running when pause returns');
    const pids = [...cli.workerPids().values()];
    await sleep(700);
    assert.equal(readEvents(log).length, atPause.length, 'no task starts while paused');
    assert.ok(pids.every(isAlive), 'the workers stay alive');
    const status = await runCli(['status', '--json'], { env });
    const pool = JSON.parse(status.stdout) as { paused: boolean; workers: Array<{ paused: boolean }> };
    assert.equal(pool.paused, true);
    assert.ok(pool.workers.every((w) => w.paused));
    assert.match((await runCli(['status'], { env })).stdout, /running \(paused\)[\s\S]*paused/);

    const resume = await runCli(['ctl', 'resume'], { env });
    assert.equal(resume.code, 0, resume.stderr);
    await waitFor(() => {
      const since = readEvents(log).slice(atPause.length);
      return pids.every((pid) => since.some((e) => e.ev === 'start' && e.pid === pid));
    }, 10_000, 'every worker starting tasks again');
    assert.match(cli.stderr(), /pausing: workers hold after their current task[\s\S]*resuming: workers start tasks again/);
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    assert.deepEqual(cutTasks(readEvents(log)), []);
    tmp.remove();
  });

  it('WINCH pauses (the master has no terminal); a worker respawned while paused holds too', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events.jsonl');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1'], { env: { FIXTURE_LOG: log, TASK_MS: '100' } });
    await cli.waitForLog(/master ready/);
    cli.child.kill('SIGWINCH');
    await cli.waitForLog(/pausing/);
    const env = { XDG_RUNTIME_DIR: join(cli.controlPath, '..') };
    await waitFor(async () => {
      const s = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as { workers: Array<{ paused: boolean }> };
      return s.workers.every((w) => w.paused);
    }, 10_000, 'every worker holding');
    const victim = cli.workerPids().get(0)!;
    process.kill(victim, 'SIGKILL');
    await cli.waitForLog(/worker\[0\] ready[\s\S]*worker\[0\] ready/);
    const replacement = cli.workerPids().get(0)!;
    track(replacement);
    await sleep(500);
    assert.ok(!readEvents(log).some((e) => e.pid === replacement && e.ev === 'start'), 'the replacement holds before its first task');
    assert.ok(readEvents(log).some((e) => e.pid === replacement && e.ev === 'afterFork'), 'it did run afterFork');
    assert.equal((await runCli(['ctl', 'resume'], { env })).code, 0);
    await waitFor(() => readEvents(log).some((e) => e.pid === replacement && e.ev === 'start'), 45_000, 'the replacement starting tasks');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('a reload during a pause moves every id to new code and stays paused', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events.jsonl');
    const sv = new Supervisor({ app: fixture('app.cjs'), workers: 2, poll: 1, quiet: true, env: { FIXTURE_LOG: log, TASK_MS: '50' } });
    sv.on('fork', (w) => track(w.pid));
    await sv.start();
    await sv.pause();
    const old = sv.workers.map((w) => w.pid);
    const starts = readEvents(log).filter((e) => e.ev === 'start').length;
    await sv.reload();
    assert.ok(sv.workers.every((w) => !old.includes(w.pid)), 'new processes hold the ids');
    await sleep(300);
    assert.equal(readEvents(log).filter((e) => e.ev === 'start').length, starts, 'no task starts: still paused');
    assert.ok((await sv.status()).workers.every((w) => w.paused));
    await sv.resume();
    await waitFor(() => sv.workers.every((w) => readEvents(log).some((e) => e.ev === 'start' && e.pid === w.pid)), 45_000, 'the new workers at work');
    await sv.stop();
    tmp.remove();
  });

  it('through the API: pause() resolves once every worker holds; a stop while paused exits at once', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events.jsonl');
    const sv = new Supervisor({ app: fixture('app.cjs'), workers: 2, poll: 1, quiet: true, env: { FIXTURE_LOG: log, TASK_MS: '200' } });
    sv.on('fork', (w) => track(w.pid));
    await sv.start();
    await waitFor(() => readEvents(log).some((e) => e.ev === 'start'), 45_000, 'a task');
    await sv.pause();
    assert.equal(sv.paused, true);
    assert.deepEqual(cutTasks(readEvents(log)), []);
    const status = await sv.status();
    assert.ok(status.paused && status.workers.every((w) => w.paused && !w.busy));
    const began = Date.now();
    await sv.stop({ graceful: true });
    assert.ok(Date.now() - began < 10_000, 'holding workers leave at once on a graceful stop');
    await assert.rejects(sv.resume(), { code: 'E_STOPPED' });
    tmp.remove();
  });
});
