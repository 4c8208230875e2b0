/** A HUP's new timeouts: checked as at start, applied to the options and the next spawns' config, and a running task keeps the timeout it was promised. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyLimits } from '../../dist/master/live-limits.js';
import { taskTimeout } from '../../dist/master/hang-watch.js';
import { resolveOptions } from '../../dist/shared/options.js';
import { fixture } from '../helpers.js';

const options = resolveOptions({ app: fixture('app.cjs'), timeout: 30, grace: 5 });
const runtime = { graceMs: 5000, heartbeatMs: 1000 };

describe('applyLimits', () => {
  it('applies timeout, grace and boot timeout, saying what changed, and leaves the heartbeat as started', () => {
    const next = applyLimits(options, runtime, { timeout: 1, grace: 2, bootTimeout: 60 }, undefined, 1_000);
    assert.deepEqual(next.applied, ['timeout 30s → 1s', 'grace 5s → 2s']);
    assert.deepEqual([next.options.timeout, next.options.grace, next.options.bootTimeout], [1, 2, 60]);
    assert.deepEqual(next.runtime, { graceMs: 2000, heartbeatMs: 1000 });
    assert.deepEqual(next.earlier, { timeout: 30, until: 1_000 });
    assert.deepEqual(next.restart, []);
  });

  it('takes a removed key as its default (timeout: off), and keeps the longest promise over two changes', () => {
    const first = applyLimits(options, runtime, { timeout: 1 }, undefined, 1_000);
    const second = applyLimits(first.options, first.runtime, { timeout: undefined, grace: undefined }, first.earlier, 2_000);
    assert.deepEqual(second.applied, ['timeout 1s → off']);
    assert.equal(second.options.grace, 5);
    assert.deepEqual(second.earlier, { timeout: 30, until: 2_000 });
    assert.deepEqual(applyLimits(second.options, second.runtime, { grace: 5 }, second.earlier).applied, [], 'nothing changed');
  });

  it('refuses a bad value in one line, and leaves a timeout off on a pool started without one (its workers send no heartbeat)', () => {
    assert.throws(() => applyLimits(options, runtime, { timeout: -1 }), { code: 'E_OPTION', message: 'invalid --timeout: -1 is not a positive number of seconds' });
    assert.throws(() => applyLimits(options, runtime, { grace: 'soon' as never }), { code: 'E_OPTION' });
    const without = resolveOptions({ app: fixture('app.cjs') });
    const next = applyLimits(without, { graceMs: 5000 }, { timeout: 10, grace: 1 });
    assert.deepEqual([next.applied, next.restart, next.options.timeout], [['grace 5s → 1s'], ['timeout'], undefined]);
  });
});

describe('taskTimeout', () => {
  const limits = { timeout: 1, bootTimeout: 60, heartbeatMs: 250, earlier: { timeout: 30, until: 10_000 } };
  it('judges a task begun before the change by the longer timeout, a later one by the new', () => {
    assert.equal(taskTimeout(limits, 9_999), 30);
    assert.equal(taskTimeout(limits, 10_000), 1);
    assert.equal(taskTimeout(limits, null), 1);
    assert.equal(taskTimeout({ ...limits, earlier: { timeout: undefined, until: 10_000 } }, 5_000), undefined, 'no limit then: none now');
    assert.equal(taskTimeout({ timeout: 5, bootTimeout: 0, heartbeatMs: 250 }, 0), 5);
  });
});
