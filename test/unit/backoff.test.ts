/** backoffDelay and isEarlyFailure: when a failing id is respawned. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKOFF_BASE_MS, HEALTHY_AFTER_MS, backoffDelay, isEarlyFailure } from '../../dist/master/backoff.js';

describe('backoffDelay', () => {
  it('respawns at once after no failure or the first, then doubles from 100 ms', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6].map((failures) => backoffDelay(failures, 60_000));
    assert.deepEqual(delays, [0, 0, 100, 200, 400, 800, 1600]);
    assert.equal(BACKOFF_BASE_MS, 100);
  });

  it('never waits longer than the cap', () => {
    const delays = [2, 3, 4, 5, 6, 7].map((failures) => backoffDelay(failures, 1000));
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  });

  it('stays finite and capped after very many failures', () => {
    assert.equal(backoffDelay(10_000, 30_000), 30_000);
  });

  it('respects a cap below the base delay', () => {
    assert.equal(backoffDelay(2, 50), 50);
  });
});

describe('isEarlyFailure', () => {
  const READY_AT = 1_000_000;

  it('counts an exit of a worker that never became ready, whatever ended it', () => {
    assert.equal(isEarlyFailure(undefined, READY_AT, null), true);
    assert.equal(isEarlyFailure(undefined, READY_AT, 'SIGKILL'), true);
  });

  it('counts an exit soon after ready', () => {
    assert.equal(isEarlyFailure(READY_AT, READY_AT + 10, null), true);
    assert.equal(isEarlyFailure(READY_AT, READY_AT + HEALTHY_AFTER_MS - 1, null), true);
  });

  it('counts a crash signal soon after ready', () => {
    assert.equal(isEarlyFailure(READY_AT, READY_AT + 10, 'SIGSEGV'), true);
  });

  it('does not count a deliberate SIGKILL or SIGTERM after ready', () => {
    assert.equal(isEarlyFailure(READY_AT, READY_AT + 10, 'SIGKILL'), false);
    assert.equal(isEarlyFailure(READY_AT, READY_AT + 10, 'SIGTERM'), false);
  });

  it('does not count an exit after the worker ran healthy for 1 s', () => {
    assert.equal(HEALTHY_AFTER_MS, 1000);
    assert.equal(isEarlyFailure(READY_AT, READY_AT + HEALTHY_AFTER_MS, null), false);
    assert.equal(isEarlyFailure(READY_AT, READY_AT + 60_000, null), false);
  });
});
