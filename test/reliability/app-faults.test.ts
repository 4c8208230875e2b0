/**
 * App faults (issue 5, point 4), one test each: the fault strikes worker 1 of a pool of 3 once;
 * each ends in a clear log line, the pool comes back to ids 0..2 with one live process each, and a
 * stop leaves nothing. Faults already covered elsewhere are not repeated here: a rejecting task and
 * process.exit in a task (respawn.test.ts), an endless synchronous loop under --timeout and memory
 * growth across tasks under --max-rss (lifecycle.test.ts), a task ignoring ctx.signal (stop.test.ts).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, killStarted, readEvents, sleep, tempDir, waitFor } from '../helpers.js';
import { Master, describeProcs, heldIds, killLeftovers, readProc, recordFigures, runMarker, runtimeDir, settleLeftovers, stillAlive, within, type Proc } from './harness.js';

const WORKERS = 3;
const run = runtimeDir();
const markers: Array<{ value: string }> = [];
/** Faults whose test got to its end, for make soak's figures. */
const passed: string[] = [];

/** Temporary directories, removed at the end even when a test failed. */
const dirs: Array<{ remove(): void }> = [];

after(() => {
  for (const dir of dirs) dir.remove();
  recordFigures('app-faults', { faultsPassed: passed.length, passed });
  killStarted();
  for (const marker of markers) killLeftovers(marker);
  run.remove();
});

/** A pool of 3 running faults.cjs with FAULT=`fault`, ready; `strike()` arms the fault for worker 1. */
async function faultyPool(fault: string, args: string[] = [], env: Record<string, string> = {}) {
  const marker = runMarker(`fault-${fault}`);
  markers.push(marker);
  const tmp = tempDir('supervise-fault-');
  dirs.push(tmp);
  const armed = join(tmp.dir, 'strike');
  const events = join(tmp.dir, 'events');
  const master = new Master(['--app', fixture('faults.cjs'), '--workers', String(WORKERS), '--poll', '1', ...args], {
    ...marker.env,
    XDG_RUNTIME_DIR: run.dir,
    FAULT: fault,
    FAULT_MARKER: armed,
    FIXTURE_LOG: events,
    ...env,
  });
  await master.waitForLine(/master ready/, 45_000);
  const victim = master.workers.get(1)!.pid;
  return { master, marker, events, victim, tmp, strike: () => writeFileSync(armed, '') };
}

/** Waits until ids 0..2 are each held by exactly one live process, id 1 by another than `victim`. */
async function backToSize(master: Master, victim: number): Promise<void> {
  await waitFor(
    () => {
      const held = heldIds(master.pid);
      const exact = held.size === WORKERS && [...held].every(([id, procs]) => id < WORKERS && procs.length === 1);
      return exact && held.get(1)![0]!.pid !== victim && master.readyIds().length === WORKERS;
    },
    15_000,
    `ids 0..${WORKERS - 1} back, each with one process; log:\n${master.lines.slice(-10).join('\n')}`,
  );
}

/** The child processes the faults.cjs workers started (FAULT=children*), once each worker has its two. */
function twoChildrenEach(events: string): Promise<Proc[]> {
  return waitFor(() => {
    const found = readEvents(events).filter((e) => e.ev === 'child');
    return found.length === 2 * WORKERS ? found.map((e) => readProc(Number(e['child']))!).filter(Boolean) : undefined;
  }, 10_000, 'two children per worker');
}

/** TERM: the master exits 0 and nothing the test started is left. */
async function stopsClean(master: Master, marker: { value: string }): Promise<void> {
  master.child.kill('SIGTERM');
  assert.deepEqual(await within(master.exited, 45_000, 'no exit within 45 s'), { code: 0, signal: null });
  const left = await settleLeftovers(marker, 3000);
  assert.deepEqual(left, [], `nothing left behind: ${describeProcs(left)}`);
}

describe('app faults: a clear log line, and the pool keeps its size', () => {
  it('a task that throws synchronously', async (t) => {
    const { master, marker, victim, strike, tmp } = await faultyPool('sync-throw');
    strike();
    await master.waitForLine(/worker\[1\] failed in a task: sync boom 1$/);
    await backToSize(master, victim);
    await stopsClean(master, marker);
    tmp.remove();
    passed.push(t.name);
  });

  it('process.exit in afterFork', async (t) => {
    const { master, marker, victim, strike, tmp } = await faultyPool('afterFork-exit');
    strike();
    process.kill(victim, 'SIGKILL'); // its replacement runs afterFork with the fault armed
    await master.waitForLine(/worker\[1\] exited code=7 pid=\d+ before it was ready$/);
    await backToSize(master, victim);
    await stopsClean(master, marker);
    tmp.remove();
    passed.push(t.name);
  });

  it('an endless synchronous loop without --timeout: the id stays held, the others work on, a quick stop kills it after --grace', async (t) => {
    const { master, marker, victim, strike, events, tmp } = await faultyPool('sync-loop', ['--grace', '1']);
    strike();
    await waitFor(() => readProc(victim)?.state === 'R' || readEvents(events).some((e) => e.pid === victim && e.ev === 'start' && e['n'] !== 1), 45_000, 'the loop to start');
    await sleep(1000);
    const before = readEvents(events).filter((e) => e.ev === 'end' && e.id !== 1).length;
    await waitFor(() => readEvents(events).filter((e) => e.ev === 'end' && e.id !== 1).length > before, 45_000, 'ids 0 and 2 to keep finishing tasks');
    const held = heldIds(master.pid);
    assert.deepEqual([...held.keys()].sort(), [0, 1, 2], 'the pool keeps its size');
    assert.equal(held.get(1)![0]!.pid, victim, 'the looping worker keeps its id: nothing can end it but a kill');
    master.child.kill('SIGTERM');
    await master.waitForLine(new RegExp(`worker\\[1\\] exited signal=SIGKILL pid=${victim}`), 45_000);
    assert.deepEqual(await within(master.exited, 45_000, 'no exit'), { code: 0, signal: null });
    assert.deepEqual(await settleLeftovers(marker, 3000), []);
    tmp.remove();
    passed.push(t.name);
  });

  it('memory growth inside one task (which --max-rss cannot end): the heap limit ends the worker, the id is respawned', async (t) => {
    const { master, marker, victim, strike, tmp } = await faultyPool('heap-growth', ['--max-rss', '64', '--node-arg=--max-old-space-size=48']);
    strike();
    await master.waitForLine(/JavaScript heap out of memory/, 45_000);
    await master.waitForLine(new RegExp(`worker\\[1\\] exited (signal=SIGABRT|code=134) pid=${victim}`), 45_000);
    await backToSize(master, victim);
    await stopsClean(master, marker);
    tmp.remove();
    passed.push(t.name);
  });

  it('an uncaught exception thrown from a timer', async (t) => {
    const { master, marker, victim, strike, tmp } = await faultyPool('timer-throw');
    strike();
    await master.waitForLine(/worker\[1\] failed with an uncaught exception: timer boom 1$/);
    await backToSize(master, victim);
    await stopsClean(master, marker);
    tmp.remove();
    passed.push(t.name);
  });

  it('an unhandled rejection', async (t) => {
    const { master, marker, victim, strike, tmp } = await faultyPool('unhandled-rejection');
    strike();
    await master.waitForLine(/worker\[1\] failed with an uncaught exception: nobody handles this 1$/);
    await backToSize(master, victim);
    await stopsClean(master, marker);
    tmp.remove();
    passed.push(t.name);
  });

  it('a worker that calls process.disconnect()', async (t) => {
    const { master, marker, victim, strike, tmp } = await faultyPool('disconnect');
    strike();
    await master.waitForLine(/worker\[1\] recycling: the app called process\.disconnect\(\)$/);
    await master.waitForLine(new RegExp(`worker\\[1\\] exited code=0 pid=${victim}`));
    await backToSize(master, victim);
    await stopsClean(master, marker);
    tmp.remove();
    passed.push(t.name);
  });

  it('a worker that ignores SIGTERM: it keeps its id when signalled alone, and a quick stop SIGKILLs it after --grace', async (t) => {
    const { master, marker, events, tmp } = await faultyPool('ignore-sigterm', ['--grace', '1']);
    const pids = new Map(master.workers);
    process.kill(pids.get(1)!.pid, 'SIGTERM');
    await waitFor(() => readEvents(events).some((e) => e.ev === 'sigterm-ignored'), 45_000, 'the SIGTERM to be ignored');
    await sleep(500);
    const held = heldIds(master.pid);
    assert.deepEqual([...held].map(([id, procs]) => [id, procs.map((p) => p.pid)]).sort(), [0, 1, 2].map((id) => [id, [pids.get(id)!.pid]]), 'same processes, same ids');
    master.child.kill('SIGTERM');
    await master.waitForLine(/master stopping \(quick: grace 1s\)/);
    for (const id of [0, 1, 2]) await master.waitForLine(new RegExp(`worker\\[${id}\\] exited signal=SIGKILL`), 45_000);
    assert.deepEqual(await within(master.exited, 45_000, 'no exit'), { code: 0, signal: null });
    assert.deepEqual(await settleLeftovers(marker, 3000), []);
    tmp.remove();
    passed.push(t.name);
  });

  it("a worker that crashes takes its own child processes with it; one ignoring SIGTERM is SIGKILLed after --grace", async (t) => {
    const { master, marker, events, victim, strike, tmp } = await faultyPool('children-then-throw', ['--grace', '1']);
    const childrenOf = (pid: number) => readEvents(events).filter((e) => e.ev === 'child' && e.pid === pid).map((e) => readProc(Number(e['child']))!);
    const mine = await waitFor(() => (childrenOf(victim).length === 2 ? childrenOf(victim) : undefined), 45_000, "the victim's two children");
    const others = [...master.workers.values()].filter((w) => w.pid !== victim).flatMap((w) => childrenOf(w.pid));
    strike();
    await master.waitForLine(/worker\[1\] failed in a task: sync boom 1$/);
    await master.waitForLine(/worker\[1\] pid=\d+ exited, but processes of its group ignored SIGTERM for 1s: SIGKILL$/, 45_000);
    await waitFor(() => mine.every((p) => !stillAlive(p)), 45_000, `the crashed worker's children gone: ${describeProcs(mine.filter((p) => stillAlive(p)))}`);
    assert.ok(others.length === 4 && others.every((p) => stillAlive(p)), "the other workers' children untouched");
    await backToSize(master, victim);
    await stopsClean(master, marker);
    tmp.remove();
    passed.push(t.name);
  });

  it("after its master's death a worker ends its own child processes before it leaves, SIGKILL after --grace", async (t) => {
    const { master, marker, events, tmp } = await faultyPool('children', ['--grace', '1']);
    const workers = [...master.workers.values()].map((w) => readProc(w.pid)!);
    const children = await twoChildrenEach(events);
    assert.equal(children.length, 2 * WORKERS);
    master.child.kill('SIGKILL');
    // Each worker finishes its task (50 ms), its children get SIGTERM, the one ignoring it SIGKILL a second later.
    await waitFor(() => [...workers, ...children].every((p) => !stillAlive(p)), 45_000, `workers and children gone: ${describeProcs([...workers, ...children].filter((p) => stillAlive(p)))}`);
    assert.deepEqual(await settleLeftovers(marker, 45_000), []);
    tmp.remove();
    passed.push(t.name);
  });

  it("a worker's own child processes, one of them ignoring SIGTERM, do not outlive a quick stop (killasgroup)", async (t) => {
    const { master, marker, events, tmp } = await faultyPool('children', ['--grace', '1']);
    const children = await twoChildrenEach(events);
    assert.equal(children.length, 2 * WORKERS);
    master.child.kill('SIGTERM');
    assert.deepEqual(await within(master.exited, 45_000, 'no exit'), { code: 0, signal: null });
    await sleep(200);
    const alive = children.filter((p) => stillAlive(p));
    assert.deepEqual(describeProcs(alive), '', 'no child of a worker outlives the stop');
    assert.deepEqual(await settleLeftovers(marker, 3000), []);
    tmp.remove();
    passed.push(t.name);
  });
});
