import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ErrorCode, Supervisor, SuperviseError, type WorkerInfo } from '../dist/index.js';
import { ROOT, fixture, isAlive, killStarted, readEvents, tempDir, track, waitFor } from './helpers.js';

const pools: Supervisor[] = [];
/** A Supervisor whose workers are tracked for cleanup. */
function pool(options: ConstructorParameters<typeof Supervisor>[0]): Supervisor {
  const sv = new Supervisor({ quiet: true, ...options });
  sv.on('fork', (w) => track(w.pid));
  pools.push(sv);
  return sv;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((sv) => sv.stop({ graceful: false }).catch(() => {})));
});
after(killStarted);

describe('Supervisor API', () => {
  it('start() resolves once every worker has run afterFork; workers lists ids, pids, states', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events');
    const sv = pool({ app: fixture('app.cjs'), workers: 3, env: { FIXTURE_LOG: log } });
    assert.equal(sv.state, 'idle');
    await sv.start();
    assert.equal(sv.state, 'running');
    assert.deepEqual(readEvents(log).filter((e) => e.ev === 'afterFork').map((e) => e.id).sort(), [0, 1, 2]);
    const workers = sv.workers;
    assert.deepEqual(workers.map((w) => w.id), [0, 1, 2]);
    for (const w of workers) {
      assert.equal(w.state, 'running');
      assert.equal(w.restarts, 0);
      assert.ok(w.pid && isAlive(w.pid));
      assert.ok(w.startedAt instanceof Date);
    }
    await sv.stop({ graceful: true });
    assert.equal(sv.state, 'stopped');
    assert.ok(workers.every((w) => !isAlive(w.pid!)));
    tmp.remove();
  });

  it('emits fork, online and exit, and respawns a killed worker under its id', async () => {
    const sv = pool({ app: fixture('app.cjs'), workers: 2 });
    const seen: string[] = [];
    sv.on('fork', (w) => seen.push(`fork ${w.id}`));
    sv.on('online', (w) => seen.push(`online ${w.id}`));
    const exits: Array<[WorkerInfo, { code: number | null; signal: string | null }]> = [];
    sv.on('exit', (w, e) => exits.push([w, e]));
    await sv.start();
    assert.deepEqual(seen.filter((s) => s.startsWith('fork')).sort(), ['fork 0', 'fork 1']);
    assert.deepEqual(seen.filter((s) => s.startsWith('online')).sort(), ['online 0', 'online 1']);
    const victim = sv.workers[1]!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor(() => sv.workers[1]?.state === 'running' && sv.workers[1].pid !== victim.pid, 45_000, 'id 1 respawned');
    assert.equal(exits.length, 1);
    assert.equal(exits[0]![0].id, 1);
    assert.equal(exits[0]![0].pid, victim.pid);
    assert.deepEqual(exits[0]![1], { code: null, signal: 'SIGKILL' });
    assert.equal(sv.workers[1]!.restarts, 1);
  });

  it('reports worker failures on `error` with the id, and does not throw without a listener', async () => {
    const sv = pool({ app: fixture('app.cjs'), workers: 1, env: { MODE: 'task-throw' } });
    const failures: SuperviseError[] = [];
    await sv.start();
    await waitFor(() => sv.workers[0]!.restarts >= 1, 45_000, 'a failure without listener');
    sv.on('error', (e) => failures.push(e));
    await waitFor(() => failures.length >= 1, 45_000, 'an error event');
    const failure = failures[0] as SuperviseError & { worker: number; phase: string };
    assert.equal(failure.worker, 0);
    assert.equal(failure.phase, 'task');
    assert.match(failure.message, /task boom 0/);
  });

  it('scale(n) adds the next ids and retires the highest after their current task', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events');
    const sv = pool({ app: fixture('app.cjs'), workers: 2, env: { FIXTURE_LOG: log, TASK_MS: '300' } });
    await sv.start();
    await sv.scale(4);
    assert.deepEqual(sv.workers.map((w) => [w.id, w.state]), [[0, 'running'], [1, 'running'], [2, 'running'], [3, 'running']]);
    const retired = sv.workers.slice(1).map((w) => w.pid!);
    await sv.scale(1);
    assert.deepEqual(sv.workers.map((w) => w.id), [0]);
    assert.ok(retired.every((pid) => !isAlive(pid)));
    const events = readEvents(log);
    for (const pid of retired) {
      const mine = events.filter((e) => e.pid === pid);
      assert.equal(mine.filter((e) => e.ev === 'end').length, mine.filter((e) => e.ev === 'start').length, 'retired after its task');
    }
    await sv.scale(0);
    assert.deepEqual(sv.workers, []);
    assert.equal(sv.state, 'running');
    await assert.rejects(sv.scale(-1), { code: ErrorCode.OPTION });
    tmp.remove();
  });

  for (const preload of [true, false]) {
    it(`start() rejects with a coded error when the app cannot load (preload: ${preload})`, async () => {
      const broken = pool({ app: fixture('throws-on-load.cjs'), workers: 2, preload });
      await assert.rejects(broken.start(), (e: SuperviseError) => e.code === ErrorCode.APP_LOAD && /cannot reach the config server/.test(e.message));
      assert.equal(broken.state, 'stopped');
      const empty = pool({ app: fixture('no-worker-start.mjs'), workers: 2, preload });
      await assert.rejects(empty.start(), { code: ErrorCode.APP_EXPORTS });
    });
  }

  it('rejects bad options in the constructor, and start() twice', async () => {
    assert.throws(() => new Supervisor({ app: fixture('app.cjs'), workers: 0 }), { code: ErrorCode.OPTION, message: /invalid --workers: 0/ });
    assert.throws(() => new Supervisor({ app: 'nope.js' }), { code: ErrorCode.APP_NOT_FOUND });
    const sv = pool({ app: fixture('app.cjs') });
    await sv.start();
    await assert.rejects(sv.start(), { code: ErrorCode.STATE });
  });

  it('refuses an unknown option key or a value of the wrong type from plain JS, as the CLI does', () => {
    // Plain JS, in a process of its own: no TypeScript to catch the typo first.
    const script = `import { Supervisor } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};
for (const options of [{ app: ${JSON.stringify(fixture('app.cjs'))}, wokers: 3 }, { app: ${JSON.stringify(fixture('app.cjs'))}, workers: '3' }]) {
  try { new Supervisor(options); console.log('accepted'); } catch (e) { console.log(e.name, e.code, e.message); }
}`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 45_000 });
    assert.equal(out, 'SuperviseError E_OPTION unknown option wokers (did you mean workers?)\nSuperviseError E_OPTION invalid --workers: "3" is a string, not a number (convert it: Number(…))\n');
  });

  it('stop() before start() and during start() settle cleanly', async () => {
    const idle = pool({ app: fixture('app.cjs') });
    await idle.stop();
    assert.equal(idle.state, 'stopped');
    const starting = pool({ app: fixture('app.cjs'), workers: 3 });
    const started = assert.rejects(starting.start(), { code: ErrorCode.STOPPED });
    await starting.stop();
    await started;
    assert.ok(starting.workers.every((w) => w.pid === undefined || !isAlive(w.pid)));
  });

  for (const ending of ['exit', 'throw', 'signal'] as const) {
    it(`leaves no worker behind when its host process ends (${ending}) without stop()`, async () => {
      const host = spawn(process.execPath, [fixture('embed-host.mjs'), fixture('app.cjs'), ending], { stdio: ['ignore', 'pipe', 'pipe'] });
      track(host.pid);
      let out = '';
      host.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const line = await waitFor(() => out.split('\n').find((l) => l.startsWith('{')), 45_000, 'the host to report its workers');
      const { pids } = JSON.parse(line) as { pids: number[] };
      pids.forEach(track);
      if (ending === 'signal') host.kill('SIGTERM');
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 45_000, 'workers gone with their host');
    });
  }
});
