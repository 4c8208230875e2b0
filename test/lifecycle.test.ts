import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cmdline, fixture, isAlive, killStarted, parentOf, readEvents, sleep, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

/** An app file whose afterFork/beforeFork/tasks log their code version; rewritten to "deploy". */
function versionedApp(file: string, version: string, taskMs = 100): void {
  writeFileSync(
    file,
    `const { appendFileSync } = require('node:fs');
const log = (ev, id, extra = {}) => appendFileSync(process.env.FIXTURE_LOG, JSON.stringify({ ev, id, pid: process.pid, t: Date.now(), v: ${JSON.stringify(version)}, ...extra }) + '\\n');
exports.beforeFork = (id) => log('beforeFork', id);
exports.afterFork = (id) => log('afterFork', id);
exports.workerStart = async (id) => { log('start', id); await new Promise((r) => setTimeout(r, ${taskMs})); log('end', id); };
`,
  );
}

/** The master's children, from /proc/<pid>/task/<tid>/children (no scan of all of /proc: fast on a busy machine). */
function childrenOf(master: number): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${master}/task`)) {
      for (const child of readFileSync(`/proc/${master}/task/${task}/children`, 'utf8').trim().split(/\s+/)) if (child !== '') pids.push(Number(child));
    }
  } catch {
    // the master is gone
  }
  return pids;
}

/** Pids of every live process titled "supervise: worker[id]" whose parent is `master`, by id. */
function liveWorkersOf(master: number): Map<number, number[]> {
  const byId = new Map<number, number[]>();
  for (const pid of childrenOf(master)) {
    const title = cmdline(pid);
    const m = title?.match(/^supervise: worker\[(\d+)\]/);
    if (m === null || m === undefined || parentOf(pid) !== master || !isAlive(pid)) continue;
    byId.set(Number(m[1]), [...(byId.get(Number(m[1])) ?? []), pid]);
  }
  return byId;
}

describe('rolling reload (HUP)', () => {
  it('moves every id to new code, one process per id at every instant, no task cut, one id paused at a time', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const log = join(tmp.dir, 'events');
    versionedApp(app, 'v1');
    const cli = startCli(['--app', app, '--workers', '4'], { env: { FIXTURE_LOG: log } });
    await cli.waitForLog(/master ready/);
    versionedApp(app, 'v2');
    let sampling = true;
    let samples = 0;
    const doubles: string[] = [];
    const sampler = (async () => {
      while (sampling) {
        // A scan of /proc is not atomic: an old worker seen alive early in it may have exited before
        // its successor was seen. A double counts only if every pid is still alive after the scan.
        for (const [id, pids] of liveWorkersOf(cli.pid)) {
          if (pids.length > 1 && pids.every((pid) => isAlive(pid))) doubles.push(`id ${id}: ${pids.join(',')}`);
        }
        samples++;
        await sleep(1);
      }
    })();
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload done: 4 workers on new code in \d+ ms/, 45_000);
    sampling = false;
    await sampler;
    assert.deepEqual(doubles, [], 'never two live processes for one id');
    // Enough looks to have seen the hand-overs (a loaded machine gives fewer: the bound is modest).
    assert.ok(samples > 10, `sampled /proc ${samples} times`);
    await waitFor(() => [0, 1, 2, 3].every((id) => readEvents(log).some((e) => e.ev === 'end' && e.id === id && e['v'] === 'v2')), 45_000, 'v2 tasks on every id');
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    const events = readEvents(log);
    for (const pid of new Set(events.map((e) => e.pid))) {
      const mine = events.filter((e) => e.pid === pid);
      assert.equal(mine.filter((e) => e.ev === 'end').length, mine.filter((e) => e.ev === 'start').length, `no task of ${pid} was cut`);
    }
    // Each id's pause (last v1 end → first v2 start) must not overlap another id's: N-1 keep working.
    const pauses = [0, 1, 2, 3].map((id) => {
      const mine = events.filter((e) => e.id === id);
      const lastOld = Math.max(...mine.filter((e) => e.ev === 'end' && e['v'] === 'v1').map((e) => e.t));
      const firstNew = Math.min(...mine.filter((e) => e.ev === 'start' && e['v'] === 'v2').map((e) => e.t));
      return [lastOld, firstNew] as const;
    });
    pauses.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < pauses.length; i++) assert.ok(pauses[i]![0] >= pauses[i - 1]![1], `pauses overlap: ${JSON.stringify(pauses)}`);
    tmp.remove();
  });

  it('abandons a reload whose new code fails to load; the old workers keep running untouched', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const log = join(tmp.dir, 'events');
    versionedApp(app, 'v1');
    const cli = startCli(['--app', app, '--workers', '3'], { env: { FIXTURE_LOG: log } });
    await cli.waitForLog(/master ready/);
    const before = new Map(cli.workerPids());
    writeFileSync(app, "throw new Error('bad deploy');\n");
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload abandoned: .*bad deploy; every worker keeps the old code/);
    const tasksBefore = readEvents(log).length;
    await waitFor(() => readEvents(log).length > tasksBefore, 45_000, 'old workers still running tasks');
    for (const [id, pid] of before) assert.ok(isAlive(pid), `worker ${id} untouched`);
    assert.deepEqual(new Map(cli.workerPids()), before, 'no id changed hands');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('queues a HUP that arrives during a reload; reloads never interleave', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const log = join(tmp.dir, 'events');
    versionedApp(app, 'v1', 200);
    const cli = startCli(['--app', app, '--workers', '2'], { env: { FIXTURE_LOG: log } });
    await cli.waitForLog(/master ready/);
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reloading 2 workers/);
    cli.child.kill('SIGHUP');
    await waitFor(() => (cli.stderr().match(/reload done/g) ?? []).length === 2, 45_000, 'two reloads');
    const order = [...cli.stderr().matchAll(/(reloading|reload done)/g)].map((m) => m[1]);
    assert.deepEqual(order, ['reloading', 'reload done', 'reloading', 'reload done']);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('with --preload, the master reloads its copy too: beforeFork runs the new code', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.cjs');
    const log = join(tmp.dir, 'events');
    versionedApp(app, 'v1');
    const cli = startCli(['--app', app, '--workers', '2', '--preload'], { env: { FIXTURE_LOG: log } });
    await cli.waitForLog(/master ready/);
    versionedApp(app, 'v2');
    cli.child.kill('SIGHUP');
    await cli.waitForLog(/reload done/, 45_000);
    const before = readEvents(log).filter((e) => e.ev === 'beforeFork');
    assert.deepEqual(before.map((e) => `${e.id}${e['v']}`), ['0v1', '1v1', '0v2', '1v2']);
    assert.ok(before.every((e) => e.pid === cli.pid));
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });
});

describe('scaling by signal', () => {
  it('TTIN adds the next id, TTOU retires the highest after its task, down to zero with the master alive', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2']);
    await cli.waitForLog(/master ready/);
    cli.child.kill('SIGTTIN');
    await cli.waitForLog(/worker\[2\] ready/);
    const retiring = cli.workerPids().get(2)!;
    // Unix merges a signal sent again before the first is handled: one at a time.
    for (const id of [2, 1, 0]) {
      cli.child.kill('SIGTTOU');
      await cli.waitForLog(new RegExp(`worker\\[${id}\\] retired`));
    }
    assert.ok(!isAlive(retiring));
    assert.deepEqual(liveWorkersOf(cli.pid), new Map());
    assert.ok(isAlive(cli.pid), 'the master stays with no workers');
    cli.child.kill('SIGTTIN');
    await cli.waitForLog(/worker\[0\] ready[\s\S]*worker\[0\] ready/);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });
});

describe('--timeout', () => {
  for (const hang of ['async', 'sync'] as const) {
    it(`kills a task that hangs (${hang}) within timeout + 1 s, says so, and respawns the id`, async () => {
      const cli = startCli(['--app', fixture('hang.cjs'), '--workers', '2', '--timeout', '1'], { env: { HANG: hang } });
      await cli.waitForLog(/master ready/);
      const hung = cli.workerPids().get(1)!;
      const line = await cli.waitForLog(/worker\[1\] timed out: (.*), over --timeout 1s; killing pid=(\d+)/, 45_000);
      assert.equal(Number(line[2]), hung);
      await cli.waitForLog(/worker\[1\] exited signal=SIGKILL[\s\S]*worker\[1\] respawning[\s\S]*worker\[1\] spawned/);
      assert.notEqual(cli.workerPids().get(1), hung);
      cli.child.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
    });
  }

  it('leaves tasks shorter than the timeout alone', async () => {
    // 100 ms tasks under a 3 s timeout: a margin no scheduling delay of a loaded machine reaches.
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--timeout', '3'], { env: { TASK_MS: '100' } });
    await cli.waitForLog(/master ready/);
    await sleep(4000);
    assert.doesNotMatch(cli.stderr(), /timed out/);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });
});

describe('recycling', () => {
  it('--max-tasks: a worker leaves after its last task and is replaced at once', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--max-tasks', '5'], { env: { FIXTURE_LOG: log, TASK_MS: '10' } });
    await cli.waitForLog(/worker\[0\] recycling: served 5 tasks/);
    await cli.waitForLog(/worker\[0\] exited code=0[\s\S]*worker\[0\] respawning\n/);
    await waitFor(() => new Set(readEvents(log).filter((e) => e.id === 0).map((e) => e.pid)).size >= 3, 45_000, 'three generations of worker 0');
    cli.child.kill('SIGQUIT');
    assert.equal((await cli.exited).code, 0);
    const events = readEvents(log);
    for (const pid of new Set(events.map((e) => e.pid))) {
      const mine = events.filter((e) => e.pid === pid && e.ev === 'end');
      assert.ok(mine.length <= 5, `pid ${pid} ran ${mine.length} tasks; the limit with jitter is 5`);
    }
    assert.doesNotMatch(cli.stderr(), /respawning in/, 'recycling is not a failure: no backoff');
    tmp.remove();
  });

  it('--max-rss: a worker that grows past the limit is replaced after its task', async () => {
    const cli = startCli(['--app', fixture('grow.cjs'), '--workers', '1', '--max-rss', '120'], { env: { GROW_MIB: '16' } });
    const line = await cli.waitForLog(/worker\[0\] recycling: rss (\d+) MiB over (\d+) MiB/, 15_000);
    assert.ok(Number(line[1]) > 120);
    await cli.waitForLog(/worker\[0\] exited code=0[\s\S]*worker\[0\] ready/);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });
});

describe('--spares', () => {
  it('a loaded spare takes over a dead worker\'s id, and a new spare is started', async () => {
    const tmp = tempDir();
    const log = join(tmp.dir, 'events');
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--spares', '1'], { env: { FIXTURE_LOG: log } });
    const spare = Number((await cli.waitForLog(/spare pid=(\d+) loaded, waiting for an id/))[1]);
    assert.match(cmdline(spare) ?? '', /^supervise: spare/);
    process.kill(cli.workerPids().get(1)!, 'SIGKILL');
    await cli.waitForLog(new RegExp(`worker\\[1\\] taken over by spare pid=${spare}[\\s\\S]*worker\\[1\\] ready`));
    await waitFor(() => readEvents(log).some((e) => e.ev === 'start' && e.pid === spare && e.id === 1), 45_000, 'the spare running tasks as id 1');
    const fork = readEvents(log).find((e) => e.ev === 'afterFork' && e.pid === spare);
    assert.equal(fork?.['envId'], '1');
    assert.equal(fork?.['title'], 'supervise: worker[1]');
    await cli.waitForLog(new RegExp(`spare pid=(?!${spare})\\d+ loaded`));
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    assert.ok(!isAlive(spare));
    tmp.remove();
  });
});
