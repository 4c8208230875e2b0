// --user / --group: a master started as root runs its workers as that user (supervisord's
// `user=`), and refuses clearly when the user does not exist or the master is not root.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, FIXTURES, ROOT, killStarted, readEvents, readableCopy, runCli, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** As root, a world-readable copy of the CLI and fixtures (workers as nobody read them); else the checkout's. */
const copy = isRoot ? readableCopy() : undefined;
/** The CLI the tests run. */
const cliPath = copy?.cli ?? CLI;
/** A fixture app from the copy (as root). */
const fixture = (name: string): string => copy?.fixture(name) ?? join(FIXTURES, name);
/** Options that run the copy's CLI from the copy. */
const fromCopy = copy !== undefined ? { cli: copy.cli, cwd: copy.cwd } : {};

/** The real uid and gid of a live process, from /proc. */
function idsOf(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(status)![1]), gid: Number(/^Gid:\s+(\d+)/m.exec(status)![1]) };
}

describe('--user and --group', () => {
  it('runs the workers as the user while the master stays root', { skip: !isRoot && 'needs root: the master drops privileges only when it has them' }, async () => {
    const tmp = tempDir();
    chmodSync(tmp.dir, 0o777); // the workers, as nobody, write their events and logs here
    const events = join(tmp.dir, 'events.jsonl');
    const logs = join(tmp.dir, 'logs');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1', '--user', 'nobody', '--log-dir', logs], { ...fromCopy, env: { FIXTURE_LOG: events, TASK_MS: '50' } });
    // Both workers' tasks: one worker can finish two before the other starts on a loaded machine.
    await waitFor(() => new Set(readEvents(events).filter((e) => e.ev === 'end').map((e) => e.pid)).size >= 2, 45_000, 'a task done by each worker');
    const workers = [...new Set(readEvents(events).map((e) => e.pid))];
    assert.equal(workers.length, 2);
    for (const pid of workers) assert.deepEqual(idsOf(pid), { uid: NOBODY, gid: NOBODY });
    assert.equal(idsOf(cli.pid).uid, 0, 'the master stays root');
    assert.equal(statSync(join(logs, 'worker-0.log')).uid, NOBODY, 'a worker log belongs to the workers\' user');
    // The respawned worker drops privileges too.
    process.kill(workers[0]!, 'SIGKILL');
    await waitFor(() => readEvents(events).some((e) => e.ev === 'start' && !workers.includes(e.pid)), 45_000, 'a respawned worker at work');
    const respawned = readEvents(events).find((e) => !workers.includes(e.pid))!.pid;
    assert.equal(idsOf(respawned).uid, NOBODY);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('--group alone changes only the group', { skip: !isRoot && 'needs root' }, async () => {
    const tmp = tempDir();
    chmodSync(tmp.dir, 0o777);
    const events = join(tmp.dir, 'events.jsonl');
    const cli = startCli(['--app', fixture('app.cjs'), '--poll', '1', '--group', 'nogroup'], { ...fromCopy, env: { FIXTURE_LOG: events } });
    await waitFor(() => readEvents(events).some((e) => e.ev === 'start'), 45_000, 'a task');
    assert.deepEqual(idsOf(readEvents(events)[0]!.pid), { uid: 0, gid: NOBODY });
    cli.child.kill('SIGTERM');
    await cli.exited;
    tmp.remove();
  });

  it('refuses a user that does not exist, in one line, starting nothing', { skip: !isRoot && 'needs root (as another user the root check answers first)' }, async () => {
    const result = await runCli(['--app', fixture('app.cjs'), '--user', 'no-such-user-here'], fromCopy);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'supervise: invalid --user: no such user "no-such-user-here"\n');
    const group = await runCli(['--app', fixture('app.cjs'), '--user', 'nobody', '--group', 'no-such-group-here'], fromCopy);
    assert.equal(group.code, 2);
    assert.equal(group.stderr, 'supervise: invalid --group: no such group "no-such-group-here"\n');
  });

  it('refuses, before any spawn, an app the user cannot read, naming the directory in the way', { skip: !isRoot && 'needs root' }, async () => {
    const tmp = tempDir(); // mode 0700, owner root: nobody may not enter it
    const app = join(tmp.dir, 'app.cjs');
    cpSync(fixture('app.cjs'), app);
    const result = await runCli(['--app', app, '--user', 'nobody'], fromCopy);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr, `supervise: user nobody cannot read ${app}: permission denied on ${tmp.dir} (mode 0700, owner root)\n`);
    chmodSync(tmp.dir, 0o755);
    chmodSync(app, 0o600);
    const file = await runCli(['--app', app, '--user', 'nobody'], fromCopy);
    assert.equal(file.code, 2, file.stderr);
    assert.equal(file.stderr, `supervise: user nobody cannot read ${app}: permission denied on ${app} (mode 0600, owner root)\n`);
    tmp.remove();
  });

  it('refuses --user when the master is not root', async () => {
    // As root, run the CLI itself as nobody to see the refusal; otherwise we are already not root.
    const asNobody = isRoot ? { uid: NOBODY, gid: NOBODY } : {};
    const result = spawnSync(process.execPath, [cliPath, '--app', fixture('app.cjs'), '--user', 'root'], {
      ...asNobody,
      cwd: copy?.cwd ?? ROOT,
      env: { ...process.env, XDG_RUNTIME_DIR: '/nonexistent' },
      encoding: 'utf8',
      timeout: 15_000,
    });
    const uid = isRoot ? NOBODY : process.getuid?.();
    assert.equal(result.status, 2);
    assert.equal(result.stderr, `supervise: --user needs the master to run as root (it runs as uid ${uid})\n`);
  });
});
