/**
 * Supervisor with fake children and mocked timers: start, respawn, backoff, poll sweep, scale, stop,
 * events. No process is started: every 'spawn', message and 'exit' is emitted by the test.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ErrorCode, SuperviseError } from '../../dist/shared/errors.cjs';
import type { PoolOptions } from '../../dist/shared/options.js';
import { Supervisor, type WorkerInfo } from '../../dist/master/supervisor.js';
import type { WorkerExit } from '../../dist/master/worker-handle.js';
import { FakePool, flush, fixture, track } from './fakes.js';

const APP = fixture('app.cjs');
const FAILED_LOAD = { supervise: 1, type: 'failed', phase: 'load', message: 'cannot reach the config server' } as const;

/** A supervisor over a fake pool; poll 1 s caps the backoff at 1000 ms. */
function setup(options: Partial<PoolOptions> = {}) {
  const pool = new FakePool();
  const sv = new Supervisor(
    { app: APP, workers: 2, poll: 1, grace: 5, quiet: true, ...options },
    { spawnWorker: pool.spawnWorker, signalGroup: pool.signalGroup },
  );
  return { pool, sv };
}

/** Starts `sv` and makes every worker spawned so far ready; resolves once start() did. */
async function started(options: Partial<PoolOptions> = {}) {
  const { pool, sv } = setup(options);
  const start = sv.start();
  for (const { child } of pool.spawned) child.ready();
  await start;
  return { pool, sv };
}

/** Asserts that `promise` rejects with a SuperviseError of `code`. */
async function rejectsCode(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SuperviseError, `not a SuperviseError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern !== undefined) assert.match(error.message, pattern);
    return true;
  });
}

/** Exits every live fake child, so a stop can finish. */
function exitAll(pool: FakePool): void {
  for (const { child } of pool.spawned) if (child.connected) child.exit(0);
}

describe('Supervisor', () => {
  let current: Supervisor | undefined;
  let currentPool: FakePool | undefined;

  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(async () => {
    // Leave no exit hook or signal handler behind: stop the pool and let every fake child exit.
    if (current !== undefined && currentPool !== undefined) {
      const stop = current.stop();
      exitAll(currentPool);
      await stop.catch(() => {});
    }
    current = undefined;
    currentPool = undefined;
    mock.timers.reset();
  });

  /** Registers a pool for cleanup. */
  function keep<T extends { pool: FakePool; sv: Supervisor }>(s: T): T {
    current = s.sv;
    currentPool = s.pool;
    return s;
  }

  describe('start', () => {
    it('spawns ids 0..N-1 and resolves only when all are ready', async () => {
      const { pool, sv } = keep(setup({ workers: 3 }));
      const start = track(sv.start());
      assert.deepEqual(pool.ids, [0, 1, 2]);
      pool.child(0).ready();
      pool.child(2).ready();
      await flush();
      assert.equal(start.settled(), false);
      assert.equal(sv.state, 'starting');
      pool.child(1).ready();
      await start.promise;
      assert.equal(sv.state, 'running');
      assert.deepEqual(
        sv.workers.map((w) => [w.id, w.state]),
        [
          [0, 'running'],
          [1, 'running'],
          [2, 'running'],
        ],
      );
    });

    it('rejects a second start() with E_STATE', async () => {
      const { pool, sv } = keep(setup());
      const first = sv.start();
      await rejectsCode(sv.start(), ErrorCode.STATE);
      for (const { child } of pool.spawned) child.ready();
      await first;
      await rejectsCode(sv.start(), ErrorCode.STATE);
      assert.equal(pool.spawned.length, 2, 'the second start spawned nothing');
    });

    it('rejects with E_APP_LOAD and the app message when a worker fails before ready, and stops the rest', async () => {
      const { pool, sv } = keep(setup({ workers: 3 }));
      const start = track(sv.start());
      pool.child(0).ready();
      pool.child(1).emit('spawn');
      pool.child(1).emit('message', FAILED_LOAD);
      pool.child(1).exit(1);
      await flush();
      assert.deepEqual(pool.signalsTo(pool.child(0)), ['SIGTERM'], 'the ready worker is stopped quickly');
      assert.deepEqual(pool.signalsTo(pool.child(2)), ['SIGTERM'], 'the loading worker is stopped');
      assert.equal(start.settled(), false, 'start waits for the other workers to exit');
      pool.child(0).exit(null, 'SIGTERM');
      pool.child(2).exit(null, 'SIGTERM');
      await rejectsCode(start.promise, ErrorCode.APP_LOAD, /worker\[1\] failed to load the app: cannot reach the config server/);
      assert.equal(pool.spawned.length, 3, 'the failed id is not respawned');
      assert.equal(sv.state, 'stopped');
    });

    it('rejects with E_APP_EXPORTS when the failed message carries that code', async () => {
      const { pool, sv } = keep(setup({ workers: 1 }));
      const start = sv.start();
      pool.child(0).emit('spawn');
      pool.child(0).emit('message', { ...FAILED_LOAD, code: ErrorCode.APP_EXPORTS, message: 'no workerStart' });
      pool.child(0).exit(1);
      await rejectsCode(start, ErrorCode.APP_EXPORTS, /no workerStart/);
    });

    it('rejects with E_APP_LOAD when a worker exits before ready without saying why', async () => {
      const { pool, sv } = keep(setup({ workers: 1 }));
      const start = sv.start();
      pool.child(0).emit('spawn');
      pool.child(0).exit(null, 'SIGSEGV');
      await rejectsCode(start, ErrorCode.APP_LOAD, /worker\[0\] exited signal=SIGSEGV before it was ready/);
    });

    it('respawns a worker that was ready and then exited during start, and still starts', async () => {
      const { pool, sv } = keep(setup({ workers: 2 }));
      const start = track(sv.start());
      pool.child(0).ready();
      pool.child(0).exit(1);
      assert.deepEqual(pool.ids, [0, 1, 0]);
      pool.child(1).ready();
      await flush();
      assert.equal(start.settled(), false);
      pool.child(0).ready();
      await start.promise;
    });

    it("a start failure reports the failing process's own error, not an earlier process's", async () => {
      const { pool, sv } = keep(setup({ workers: 2 }));
      const start = sv.start();
      pool.child(0).ready(); // id 1 still loading: start() still waits
      pool.child(0).emit('message', { supervise: 1, type: 'failed', phase: 'task', message: 'task boom' });
      pool.child(0).exit(1);
      pool.child(0).emit('spawn');
      pool.child(0).exit(null, 'SIGSEGV');
      pool.child(1).exit(null, 'SIGTERM');
      await rejectsCode(start, ErrorCode.APP_LOAD, /worker\[0\] exited signal=SIGSEGV before it was ready/);
    });

    it('rejects start() with E_STOPPED when stop() comes first', async () => {
      const { pool, sv } = keep(setup({ workers: 1 }));
      const start = sv.start();
      const stop = sv.stop();
      await rejectsCode(start, ErrorCode.STOPPED);
      pool.child(0).exit(null, 'SIGTERM');
      await stop;
    });
  });

  describe('respawn and backoff', () => {
    it('respawns an exited id at once, as a new process for the same id', async () => {
      const { pool, sv } = keep(await started());
      const first = pool.child(1);
      mock.timers.tick(5000);
      first.exit(0);
      assert.deepEqual(pool.ids, [0, 1, 1]);
      assert.notEqual(pool.child(1), first);
      assert.equal(sv.workers[1]!.restarts, 1);
      assert.equal(sv.workers[1]!.state, 'spawning');
    });

    it('backs off repeated early failures: at once, then 100, 200, 400 ms … capped at the poll interval', async () => {
      const { pool, sv } = keep(await started({ workers: 1, poll: 1 }));
      const waits: number[] = [];
      for (let failure = 1; failure <= 7; failure++) {
        const before = pool.spawnsOf(0);
        pool.child(0).emit('spawn');
        pool.child(0).exit(1); // dies while loading: an early failure
        let waited = 0;
        while (pool.spawnsOf(0) === before) {
          assert.equal(sv.workers[0]!.state, 'waiting');
          assert.ok(waited < 5000, 'no respawn within 5 s');
          mock.timers.tick(10);
          waited += 10;
        }
        assert.equal(pool.spawnsOf(0), before + 1, 'exactly one respawn per failure');
        waits.push(waited);
      }
      assert.deepEqual(waits, [0, 100, 200, 400, 800, 1000, 1000]);
    });

    it('the poll sweep never spawns an id that is waiting for its backoff', async () => {
      const { pool, sv } = keep(await started({ workers: 1, poll: 1 }));
      for (let i = 0; i < 6; i++) pool.child(0).exit(1), mock.timers.tick(1000);
      // Failures 1..6 wait 0, 100, 200, 400, 800, 1000 ms: each 1000 ms tick spans at least one
      // poll sweep and exactly one respawn.
      assert.equal(pool.spawnsOf(0), 7);
      pool.child(0).exit(1); // failure 7: waits the cap, 1000 ms
      mock.timers.tick(999);
      assert.equal(pool.spawnsOf(0), 7);
      assert.equal(sv.workers[0]!.state, 'waiting');
      mock.timers.tick(1);
      assert.equal(pool.spawnsOf(0), 8);
    });

    it('forgets past failures once a worker ran healthy for 1 s', async () => {
      const { pool } = keep(await started({ workers: 1, poll: 30 }));
      pool.child(0).exit(1); // failure 1: at once
      pool.child(0).exit(1); // failure 2: 100 ms
      mock.timers.tick(100);
      assert.equal(pool.spawnsOf(0), 3);
      pool.child(0).ready();
      mock.timers.tick(1000);
      pool.child(0).exit(1); // healthy exit: count reset, at once
      assert.equal(pool.spawnsOf(0), 4);
      pool.child(0).exit(1); // failure 1 again: at once
      assert.equal(pool.spawnsOf(0), 5);
    });

    it('respawns at once after deliberate kills of ready workers, however many', async () => {
      const { pool } = keep(await started({ workers: 1 }));
      for (let i = 0; i < 5; i++) {
        pool.child(0).ready();
        pool.child(0).exit(null, 'SIGKILL');
      }
      assert.equal(pool.spawnsOf(0), 6);
    });

    it('retries an id whose spawn threw with backoff, without spinning', async () => {
      const pool = new FakePool();
      let failSpawns = 0;
      let attempts = 0;
      const sv = new Supervisor(
        { app: APP, workers: 1, poll: 1, quiet: true },
        {
          spawnWorker: (id) => {
            attempts++;
            if (failSpawns > 0) {
              failSpawns--;
              throw new Error('spawn EAGAIN');
            }
            return pool.spawnWorker(id);
          },
          signalGroup: pool.signalGroup,
        },
      );
      keep({ pool, sv });
      const start = sv.start();
      pool.child(0).ready();
      await start;
      failSpawns = 3;
      pool.child(0).exit(null, 'SIGKILL');
      assert.equal(attempts, 3, 'respawn at once, its failure retried at once, then backoff');
      assert.equal(sv.workers[0]!.state, 'waiting');
      // Node 20's mock timers skip timers created during a long tick: advance in small steps.
      for (let i = 0; i < 100; i++) mock.timers.tick(10);
      assert.equal(pool.spawnsOf(0), 2, 'the id is held again');
      assert.equal(attempts, 5, 'attempts at 0, 0 and 100 ms failed; the one at 300 ms worked');
    });
  });

  describe('boot timeout', () => {
    it('kills a worker not ready within bootTimeout during start, and start() rejects naming the timeout', async () => {
      const { pool, sv } = keep(setup({ workers: 1, bootTimeout: 2 }));
      const start = track(sv.start());
      pool.child(0).emit('spawn'); // loading, never ready
      mock.timers.tick(2000);
      assert.deepEqual(pool.signalsTo(pool.child(0)), [], 'not before the limit');
      mock.timers.tick(1000);
      assert.deepEqual(pool.signalsTo(pool.child(0)), ['SIGKILL']);
      pool.child(0).exit(null, 'SIGKILL');
      await rejectsCode(start.promise, ErrorCode.APP_LOAD, /^worker\[0\] timed out: not ready after [23]\.\ds \(loading the app or in afterFork\), over --boot-timeout 2s$/);
    });

    it('kills a respawned worker stuck before ready and respawns the id with backoff', async () => {
      const { pool, sv } = keep(await started({ workers: 1, poll: 30, bootTimeout: 2 }));
      pool.child(0).exit(1);
      const stuck = pool.child(0);
      stuck.emit('spawn');
      mock.timers.tick(3000);
      assert.deepEqual(pool.signalsTo(stuck), ['SIGKILL']);
      mock.timers.tick(3000);
      assert.deepEqual(pool.signalsTo(stuck), ['SIGKILL'], 'killed once, not at every check');
      stuck.exit(null, 'SIGKILL');
      assert.equal(sv.workers[0]!.state, 'waiting', 'an early failure: the respawn backs off');
      mock.timers.tick(100);
      assert.equal(pool.spawnsOf(0), 3);
    });

    it('never kills a ready worker, a loaded spare waiting for an id, or anything with bootTimeout 0', async () => {
      const { pool } = keep(await started({ workers: 1, spares: 1, bootTimeout: 2 }));
      const spare = pool.child(undefined);
      spare.emit('spawn');
      spare.emit('message', { supervise: 1, type: 'loaded' });
      mock.timers.tick(10_000);
      assert.deepEqual(pool.calls, []);
      const off = setup({ workers: 1, bootTimeout: 0 });
      void off.sv.start().catch(() => {});
      off.pool.child(0).emit('spawn');
      mock.timers.tick(600_000);
      assert.deepEqual(off.pool.calls, []);
      const stop = off.sv.stop();
      exitAll(off.pool);
      await stop;
    });
  });

  describe('scale', () => {
    it('scaling up spawns the next ids and resolves when they are ready', async () => {
      const { pool, sv } = keep(await started({ workers: 2 }));
      const scale = track(sv.scale(4));
      assert.deepEqual(pool.ids, [0, 1, 2, 3]);
      assert.equal(sv.size, 4);
      pool.child(2).ready();
      await flush();
      assert.equal(scale.settled(), false);
      pool.child(3).ready();
      await scale.promise;
    });

    it('scaling down stops the highest ids gracefully and drops them once they exit', async () => {
      const { pool, sv } = keep(await started({ workers: 3 }));
      const scale = track(sv.scale(1));
      for (const id of [1, 2]) assert.deepEqual(pool.child(id).sent, [{ supervise: 1, type: 'stop', graceful: true }]);
      assert.deepEqual(pool.child(0).sent, []);
      assert.deepEqual(pool.calls, [], 'no signal: retiring workers finish their task');
      assert.deepEqual(
        sv.workers.map((w) => [w.id, w.state]),
        [
          [0, 'running'],
          [1, 'stopping'],
          [2, 'stopping'],
        ],
      );
      pool.child(2).exit(0);
      await flush();
      assert.equal(scale.settled(), false);
      pool.child(1).exit(0);
      await scale.promise;
      assert.deepEqual(
        sv.workers.map((w) => w.id),
        [0],
      );
      assert.equal(pool.spawned.length, 3, 'retired ids are not respawned');
    });

    it('scaling down drops an id that is waiting for its backoff', async () => {
      const { pool, sv } = keep(await started({ workers: 2 }));
      pool.child(1).exit(1);
      pool.child(1).exit(1); // second early failure: waits 100 ms
      assert.equal(sv.workers[1]!.state, 'waiting');
      await sv.scale(1);
      mock.timers.tick(1000);
      assert.deepEqual(
        sv.workers.map((w) => w.id),
        [0],
      );
      assert.equal(pool.spawnsOf(1), 2, 'the pending respawn was cancelled');
    });

    it('scale to 0 retires every worker', async () => {
      const { pool, sv } = keep(await started({ workers: 2 }));
      const scale = sv.scale(0);
      exitAll(pool);
      await scale;
      assert.deepEqual(sv.workers, []);
    });

    for (const bad of [-1, 1.5]) {
      it(`scale(${bad}) rejects with E_OPTION and changes nothing`, async () => {
        const { pool, sv } = keep(await started({ workers: 2 }));
        await rejectsCode(sv.scale(bad), ErrorCode.OPTION, new RegExp(`--workers: ${String(bad).replace('.', '\\.')}`));
        assert.equal(sv.size, 2);
        assert.equal(pool.spawned.length, 2);
      });
    }

    it('scale() after stop rejects with E_STOPPED', async () => {
      const { pool, sv } = keep(await started({ workers: 1 }));
      const stop = sv.stop();
      exitAll(pool);
      await stop;
      await rejectsCode(sv.scale(3), ErrorCode.STOPPED);
    });
  });

  describe('stop', () => {
    it('graceful stop asks ready workers to finish their task, with no signal', async () => {
      const { pool, sv } = keep(await started({ workers: 2 }));
      const stop = track(sv.stop({ graceful: true }));
      for (const id of [0, 1]) assert.deepEqual(pool.child(id).sent, [{ supervise: 1, type: 'stop', graceful: true }]);
      mock.timers.tick(60_000);
      assert.deepEqual(pool.calls, []);
      await flush();
      assert.equal(stop.settled(), false, 'a graceful stop has no deadline');
      exitAll(pool);
      await stop.promise;
    });

    it('resolves only after every worker exited, and respawns none of them', async () => {
      const { pool, sv } = keep(await started({ workers: 2 }));
      const stop = track(sv.stop());
      assert.equal(sv.state, 'stopping');
      pool.child(0).exit(null, 'SIGTERM');
      await flush();
      assert.equal(stop.settled(), false);
      pool.child(1).exit(null, 'SIGTERM');
      await stop.promise;
      assert.equal(sv.state, 'stopped');
      assert.equal(pool.spawned.length, 2);
      mock.timers.tick(60_000);
      assert.equal(pool.spawned.length, 2, 'no poll sweep after stop');
    });

    it('quick stop SIGTERMs every group, then SIGKILLs what is left after the grace', async () => {
      const { pool, sv } = keep(await started({ workers: 2, grace: 2 }));
      const stop = sv.stop();
      assert.deepEqual(pool.signalsTo(pool.child(0)), ['SIGTERM']);
      assert.deepEqual(pool.signalsTo(pool.child(1)), ['SIGTERM']);
      pool.child(0).exit(null, 'SIGTERM');
      mock.timers.tick(2000);
      assert.deepEqual(pool.signalsTo(pool.child(0)), ['SIGTERM']);
      assert.deepEqual(pool.signalsTo(pool.child(1)), ['SIGTERM', 'SIGKILL']);
      pool.child(1).exit(null, 'SIGKILL');
      await stop;
    });

    it('stop() during a graceful stop escalates to quick; a further stop() kills at once', async () => {
      const { pool, sv } = keep(await started({ workers: 2 }));
      const graceful = sv.stop({ graceful: true });
      assert.deepEqual(pool.calls, []);
      const quick = sv.stop();
      assert.equal(quick, graceful, 'every stop() returns the one stop under way');
      for (const id of [0, 1]) assert.deepEqual(pool.signalsTo(pool.child(id)), ['SIGTERM']);
      sv.stop({ graceful: true }); // never slows it down
      for (const id of [0, 1]) assert.deepEqual(pool.signalsTo(pool.child(id)), ['SIGTERM']);
      sv.stop();
      for (const id of [0, 1]) assert.deepEqual(pool.signalsTo(pool.child(id)), ['SIGTERM', 'SIGKILL']);
      exitAll(pool);
      await graceful;
    });

    it('a scale() under way rejects with E_STOPPED when the pool stops', async () => {
      const { pool, sv } = keep(await started({ workers: 1 }));
      const scale = sv.scale(2);
      const stop = sv.stop();
      await rejectsCode(scale, ErrorCode.STOPPED);
      exitAll(pool);
      await stop;
    });

    it(
      'after stop, no id is reported as waiting for a respawn',
      async () => {
        const { pool, sv } = keep(await started({ workers: 2 }));
        const stop = sv.stop();
        exitAll(pool);
        await stop;
        assert.deepEqual(
          sv.workers.filter((w) => w.state === 'waiting').map((w) => w.id),
          [],
        );
      },
    );

    it('stop() on a supervisor never started resolves at once', async () => {
      const { sv } = setup();
      await sv.stop();
      assert.equal(sv.state, 'stopped');
    });

    it('cancels a pending backoff respawn', async () => {
      const { pool, sv } = keep(await started({ workers: 1 }));
      pool.child(0).exit(1);
      pool.child(0).exit(1); // waits 100 ms
      await sv.stop();
      mock.timers.tick(5000);
      assert.equal(pool.spawnsOf(0), 2);
    });

    it('emits stop once every worker is gone', async () => {
      const { pool, sv } = keep(await started({ workers: 1 }));
      let stops = 0;
      sv.on('stop', () => stops++);
      const stop = sv.stop();
      assert.equal(stops, 0);
      exitAll(pool);
      await stop;
      assert.equal(stops, 1);
    });
  });

  describe('events and snapshot', () => {
    it('emits fork, online and exit with the WorkerInfo of that moment', async () => {
      const { pool, sv } = keep(setup({ workers: 1 }));
      const seen: [string, WorkerInfo, WorkerExit?][] = [];
      sv.on('fork', (w) => seen.push(['fork', w]));
      sv.on('online', (w) => seen.push(['online', w]));
      sv.on('exit', (w, e) => seen.push(['exit', w, e]));
      const start = sv.start();
      const child = pool.child(0);
      child.ready();
      await start;
      mock.timers.tick(2000);
      child.exit(0);
      const pid = child.pid;
      assert.deepEqual(
        seen.slice(0, 3).map(([name, w, e]) => [name, w.id, w.pid, w.state, w.restarts, e]),
        [
          ['fork', 0, pid, 'spawning', 0, undefined],
          ['online', 0, pid, 'running', 0, undefined],
          ['exit', 0, pid, 'exited', 0, { code: 0, signal: null }],
        ],
      );
      assert.ok(seen[0]![1].startedAt instanceof Date);
      assert.equal(seen[0]![1].startedAt.getTime(), 1_000_000);
      assert.deepEqual(
        seen.slice(3).map(([name, w]) => [name, w.id, w.pid, w.restarts]),
        [['fork', 0, pool.child(0).pid, 1]],
        'the respawn is forked with its restart counted',
      );
    });

    it('shows an id held back by backoff as waiting, with no pid', async () => {
      const { pool, sv } = keep(await started({ workers: 2 }));
      pool.child(0).exit(1);
      pool.child(0).exit(1);
      const [w0, w1] = sv.workers;
      assert.deepEqual([w0!.id, w0!.state, w0!.pid, w0!.startedAt], [0, 'waiting', undefined, undefined]);
      assert.equal(w0!.restarts, 2);
      assert.equal(w1!.state, 'running');
    });

    it('a failed message with no error listener does not throw', async () => {
      const { pool, sv } = keep(await started({ workers: 1 }));
      assert.equal(sv.listenerCount('error'), 0);
      assert.doesNotThrow(() =>
        pool.child(0).emit('message', { supervise: 1, type: 'failed', phase: 'task', message: 'task boom' }),
      );
    });

    it('a failed message reaches error listeners with the worker id and phase', async () => {
      const { pool, sv } = keep(await started({ workers: 2 }));
      const errors: unknown[] = [];
      sv.on('error', (e) => errors.push(e));
      pool.child(1).emit('message', { supervise: 1, type: 'failed', phase: 'afterFork', message: 'afterFork boom' });
      assert.equal(errors.length, 1);
      const error = errors[0] as SuperviseError & { worker: number; phase: string };
      assert.ok(error instanceof SuperviseError);
      assert.equal(error.worker, 1);
      assert.equal(error.phase, 'afterFork');
      assert.match(error.message, /worker\[1\] failed in afterFork: afterFork boom/);
    });

    it('exposes the resolved options and the size', () => {
      const { sv } = setup({ workers: 3 });
      assert.equal(sv.options.app, APP);
      assert.equal(sv.options.workers, 3);
      assert.equal(sv.size, 3);
      assert.equal(sv.state, 'idle');
    });

    it('validates options in the constructor', () => {
      assert.throws(
        () => new Supervisor({ app: APP, workers: 0 }),
        (e: unknown) => e instanceof SuperviseError && e.code === ErrorCode.OPTION,
      );
    });
  });
});
