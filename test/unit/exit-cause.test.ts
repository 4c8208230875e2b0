/** "last exit": a reload's or a stop's asked-for exit told apart from a crash, a timeout and a user's kill. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KILL_ASKED, exitCause, isCleanExit, type ExitFacts } from '../../dist/master/exit-cause.js';

const base: ExitFacts = { code: 0, signal: null, handOver: undefined, stopAsked: false, poolStopping: false, retiring: false, recycling: false, killReason: undefined, failed: false };

describe('exitCause', () => {
  it('names what the master asked for: reload, restart, stop, retire, recycle', () => {
    assert.equal(exitCause({ ...base, handOver: 'reload', stopAsked: true }), 'reload');
    assert.equal(exitCause({ ...base, handOver: 'restart', stopAsked: true }), 'restart');
    assert.equal(exitCause({ ...base, poolStopping: true, stopAsked: true }), 'stop');
    // A quick stop's SIGTERM, or its SIGKILL past the grace, is still the stop.
    assert.equal(exitCause({ ...base, poolStopping: true, stopAsked: true, code: null, signal: 'SIGKILL' }), 'stop');
    assert.equal(exitCause({ ...base, retiring: true, stopAsked: true }), 'retire');
    assert.equal(exitCause({ ...base, recycling: true }), 'recycle');
    for (const cause of ['reload', 'restart', 'stop', 'retire', 'recycle'] as const) assert.equal(isCleanExit(cause), true, cause);
  });

  it('names what it did not ask for: a crash (signal, code, reported failure), an unasked code 0, a timeout', () => {
    assert.equal(exitCause({ ...base, code: null, signal: 'SIGSEGV' }), 'crash');
    assert.equal(exitCause({ ...base, code: 3 }), 'crash');
    assert.equal(exitCause({ ...base, code: 1, failed: true }), 'crash');
    // A worker that fails while handing over during a reload still failed: but it was asked to go.
    assert.equal(exitCause({ ...base, code: 0 }), 'exit');
    assert.equal(exitCause({ ...base, code: null, signal: 'SIGKILL', killReason: 'task exceeded --timeout 2s' }), 'timeout');
    // A crash while the pool stops, before the stop reached it, is a crash.
    assert.equal(exitCause({ ...base, poolStopping: true, code: null, signal: 'SIGSEGV' }), 'crash');
    for (const cause of ['crash', 'exit', 'timeout', 'killed'] as const) assert.equal(isCleanExit(cause), false, cause);
  });

  it('names a user\'s kill as killed, whatever else was under way', () => {
    assert.equal(exitCause({ ...base, code: null, signal: 'SIGKILL', killReason: KILL_ASKED }), 'killed');
    assert.equal(exitCause({ ...base, code: null, signal: 'SIGKILL', killReason: KILL_ASKED, handOver: 'reload', stopAsked: true }), 'killed');
  });
});
