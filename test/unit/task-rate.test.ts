/** The dashboard's tasks/s: a sliding window over the master's samples of the task total, steady where two close samples are not. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TaskRate } from '../../dist/services/task-rate.js';

describe('TaskRate', () => {
  it('gives no rate until two samples lie 2 s apart, then tasks over the span', () => {
    const rate = new TaskRate();
    assert.deepEqual(rate.sample(0, 0), { perSecond: undefined, windowSeconds: 0 });
    assert.deepEqual(rate.sample(1_000, 8), { perSecond: undefined, windowSeconds: 1 });
    assert.deepEqual(rate.sample(2_000, 16), { perSecond: 8, windowSeconds: 2 });
  });

  it('reads steady at a true 8/s whose reports come in bursts, where two close samples swing', () => {
    const rate = new TaskRate();
    // Workers report their counts late and in bursts: the total reaches 8/s on average only.
    const totals = [0, 6, 6, 18, 30, 30, 47, 56, 56, 71, 80];
    let reading;
    const naive: number[] = [];
    for (let s = 0; s <= 60; s++) {
      const total = Math.floor(s / 10) * 80 + totals[s % 10]!;
      reading = rate.sample(s * 1000, total);
      if (s > 0) naive.push(total - (Math.floor((s - 1) / 10) * 80 + totals[(s - 1) % 10]!));
    }
    assert.ok(Math.max(...naive) - Math.min(...naive) >= 10, `the one-second differences swing: ${naive.join(' ')}`);
    assert.equal(reading!.windowSeconds, 60);
    assert.equal(reading!.perSecond, 8);
    // Past the minute, the window slides: only the last 60 s count.
    for (let s = 61; s <= 90; s++) reading = rate.sample(s * 1000, 480 + (s - 60) * 2);
    assert.ok(reading!.windowSeconds >= 60 && reading!.windowSeconds <= 61, String(reading!.windowSeconds));
    assert.ok(Math.abs(reading!.perSecond! - 5) < 0.2, `half the window at 8/s, half at 2/s: ${reading!.perSecond}`);
  });

  it('keeps memory bounded however often it is sampled, and coalesces close samples', () => {
    const rate = new TaskRate(60_000, 2_000, 500);
    for (let ms = 0; ms <= 600_000; ms += 10) rate.sample(ms, ms / 100);
    const reading = rate.reading();
    assert.ok(reading.windowSeconds >= 60 && reading.windowSeconds <= 61, String(reading.windowSeconds));
    assert.ok(Math.abs(reading.perSecond! - 10) < 1e-9, String(reading.perSecond));
  });

  it('starts afresh when the total goes back (another pool) or the clock does', () => {
    const rate = new TaskRate();
    rate.sample(0, 100);
    rate.sample(5_000, 150);
    assert.deepEqual(rate.sample(6_000, 3), { perSecond: undefined, windowSeconds: 0 });
    rate.sample(10_000, 43);
    assert.equal(rate.reading().perSecond, 10);
    assert.deepEqual(rate.sample(1_000, 50), { perSecond: undefined, windowSeconds: 0 });
  });
});
