/** WorkerHandle on a fake child: its state machine, its messages, and stopping with a deadline. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { WorkerHandle, type WorkerExit } from '../../dist/master/worker-handle.js';
import { FakeChild, READY, flush, recordingSignalGroup, track } from './fakes.js';

const GRACE_MS = 5000;

/** A handle on a fresh fake child, with a recording signalGroup. */
function setup(pid?: number) {
  const child = new FakeChild(pid);
  const { calls, signalGroup } = recordingSignalGroup();
  const handle = new WorkerHandle(3, child, signalGroup);
  const signals = () => calls.map((c) => `${c.pgid}:${c.signal}`);
  return { child, handle, calls, signals };
}

describe('WorkerHandle', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('moves spawning → loading → running → stopping → exited', () => {
    const { child, handle } = setup();
    const states = [handle.state];
    child.emit('spawn');
    states.push(handle.state);
    child.emit('message', READY);
    states.push(handle.state);
    handle.stop(true, GRACE_MS);
    states.push(handle.state);
    child.exit(0);
    states.push(handle.state);
    assert.deepEqual(states, ['spawning', 'loading', 'running', 'stopping', 'exited']);
  });

  it('emits ready and records when', () => {
    const { child, handle } = setup();
    let ready = 0;
    handle.on('ready', () => ready++);
    child.emit('spawn');
    assert.equal(handle.readyAt, undefined);
    child.emit('message', READY);
    assert.equal(ready, 1);
    assert.equal(handle.readyAt, 1_000_000);
  });

  it('handles an exit that comes before spawn', async () => {
    const { child, handle } = setup();
    const exits: WorkerExit[] = [];
    handle.on('exit', (e) => exits.push(e));
    child.exit(1);
    child.emit('spawn');
    assert.equal(handle.state, 'exited');
    assert.deepEqual(exits, [{ code: 1, signal: null }]);
    assert.deepEqual(await handle.exited, { code: 1, signal: null });
  });

  it('treats a spawn error with no pid as an exit', async () => {
    const { child, handle } = setup();
    child.pid = undefined;
    child.emit('error', new Error('spawn EAGAIN'));
    assert.equal(handle.state, 'exited');
    assert.deepEqual(await handle.exited, { code: null, signal: null });
  });

  it('ignores a process error once the process has a pid (its exit follows)', () => {
    const { child, handle } = setup();
    child.emit('spawn');
    child.emit('error', new Error('kill EPERM'));
    assert.equal(handle.state, 'loading');
  });

  it('stops a ready worker gracefully by message, with no signal and no deadline', () => {
    const { child, handle, calls } = setup();
    child.ready();
    handle.stop(true, GRACE_MS);
    assert.deepEqual(child.sent, [{ supervise: 1, type: 'stop', graceful: true }]);
    mock.timers.tick(GRACE_MS * 10);
    assert.deepEqual(calls, []);
    assert.deepEqual(child.killed, []);
  });

  // A worker starts its first task before the master hears `ready`: a graceful stop of a worker
  // not yet known ready must not SIGTERM it, or that first task is cut (found by the signal storm).
  it('stops a worker not yet known ready gracefully by message too: its first task may be running', () => {
    const { child, handle, signals } = setup(4242);
    child.emit('spawn');
    handle.stop(true, GRACE_MS);
    assert.equal(handle.state, 'stopping');
    assert.deepEqual(child.sent, [{ supervise: 1, type: 'stop', graceful: true }]);
    mock.timers.tick(GRACE_MS * 10);
    assert.deepEqual(signals(), []);
  });

  it('stops a spare (no id, no task ever) with SIGTERM to its group even when asked gracefully', () => {
    const child = new FakeChild(4243);
    const { calls, signalGroup } = recordingSignalGroup();
    const handle = new WorkerHandle(undefined, child, signalGroup);
    child.emit('spawn');
    handle.stop(true, GRACE_MS);
    assert.deepEqual(child.sent, []);
    assert.deepEqual(calls.map((c) => `${c.pgid}:${c.signal}`), ['4243:SIGTERM']);
  });

  it('quick stop: SIGTERM to the group now, SIGKILL when the grace runs out', () => {
    const { child, handle, signals } = setup(4242);
    child.ready();
    handle.stop(false, GRACE_MS);
    assert.deepEqual(signals(), ['4242:SIGTERM']);
    mock.timers.tick(GRACE_MS - 1);
    assert.deepEqual(signals(), ['4242:SIGTERM']);
    mock.timers.tick(1);
    assert.deepEqual(signals(), ['4242:SIGTERM', '4242:SIGKILL']);
  });

  it('quick stop: no SIGKILL for a worker that exited within the grace', () => {
    const { child, handle, signals } = setup(4242);
    child.ready();
    handle.stop(false, GRACE_MS);
    child.exit(null, 'SIGTERM');
    mock.timers.tick(GRACE_MS * 2);
    assert.deepEqual(signals(), ['4242:SIGTERM']);
  });

  it('a second quick stop neither resends SIGTERM nor postpones the SIGKILL', () => {
    const { child, handle, signals } = setup(4242);
    child.ready();
    handle.stop(false, GRACE_MS);
    mock.timers.tick(GRACE_MS - 100);
    handle.stop(false, GRACE_MS);
    mock.timers.tick(100);
    assert.deepEqual(signals(), ['4242:SIGTERM', '4242:SIGKILL']);
  });

  it('a graceful stop after a quick one keeps the quick deadline', () => {
    const { child, handle, signals } = setup(4242);
    child.ready();
    handle.stop(false, GRACE_MS);
    handle.stop(true, GRACE_MS);
    assert.deepEqual(child.sent, []);
    mock.timers.tick(GRACE_MS);
    assert.deepEqual(signals(), ['4242:SIGTERM', '4242:SIGKILL']);
  });

  it('a quick stop after a graceful one escalates: SIGTERM now, SIGKILL after the grace', () => {
    const { child, handle, signals } = setup(4242);
    child.ready();
    handle.stop(true, GRACE_MS);
    handle.stop(true, GRACE_MS);
    assert.equal(child.sent.length, 1, 'the graceful stop message is sent once');
    handle.stop(false, GRACE_MS);
    assert.deepEqual(signals(), ['4242:SIGTERM']);
    mock.timers.tick(GRACE_MS);
    assert.deepEqual(signals(), ['4242:SIGTERM', '4242:SIGKILL']);
  });

  it('does nothing when stopped or signalled after it exited', () => {
    const { child, handle, calls } = setup();
    child.ready();
    child.exit(0);
    handle.stop(false, GRACE_MS);
    handle.kill();
    handle.signal('SIGTERM');
    mock.timers.tick(GRACE_MS);
    assert.deepEqual(calls, []);
    assert.deepEqual(child.sent, []);
  });

  it('sends nothing on a channel that is already closed', () => {
    const { child, handle } = setup();
    child.ready();
    child.connected = false;
    handle.stop(true, GRACE_MS);
    assert.deepEqual(child.sent, []);
  });

  it('survives a send that throws (the channel closed under it)', () => {
    const { child, handle } = setup();
    child.ready();
    child.send = () => {
      throw new Error('channel closed');
    };
    assert.doesNotThrow(() => handle.stop(true, GRACE_MS));
    assert.equal(handle.state, 'stopping');
  });

  it('emits the failed message a worker reports', () => {
    const { child, handle } = setup();
    const failed: unknown[] = [];
    handle.on('failed', (m) => failed.push(m));
    const message = { supervise: 1, type: 'failed', phase: 'load', message: 'boom', code: 'E_APP_EXPORTS' };
    child.emit('message', message);
    assert.deepEqual(failed, [message]);
  });

  it('records task counts from progress messages', () => {
    const { child, handle } = setup();
    child.ready();
    child.emit('message', { supervise: 1, type: 'progress', tasks: 7, busySince: null });
    assert.equal(handle.tasks, 7);
  });

  it("ignores messages without the marker (the app's own)", () => {
    const { child, handle } = setup();
    let events = 0;
    handle.on('ready', () => events++);
    handle.on('failed', () => events++);
    child.emit('spawn');
    child.emit('message', { type: 'ready' });
    child.emit('message', { supervise: true, type: 'failed', phase: 'load', message: 'x' });
    child.emit('message', { type: 'progress', tasks: 9 });
    child.emit('message', 'ready');
    assert.equal(events, 0);
    assert.equal(handle.state, 'loading');
    assert.equal(handle.tasks, 0);
  });

  it('a ready message during a stop does not move it back to running', () => {
    const { child, handle } = setup();
    child.emit('spawn');
    handle.stop(true, GRACE_MS);
    child.emit('message', READY);
    assert.equal(handle.state, 'stopping');
  });

  it('emits exit once and resolves exited once, with the first exit', async () => {
    const { child, handle } = setup();
    let exits = 0;
    handle.on('exit', () => exits++);
    const exited = track(handle.exited);
    await flush();
    assert.equal(exited.settled(), false);
    child.ready();
    child.exit(null, 'SIGKILL');
    child.exit(0);
    assert.equal(exits, 1);
    assert.deepEqual(await exited.promise, { code: null, signal: 'SIGKILL' });
    assert.deepEqual(await handle.exited, { code: null, signal: 'SIGKILL' });
  });

  it('reports the pid of its child', () => {
    const { handle } = setup(777);
    assert.equal(handle.pid, 777);
  });
});
