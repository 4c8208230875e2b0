/** The pure parts of --timeout and --boot-timeout: which process is hung, and how often to look. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootHangReason, hangReason, watchInterval } from '../../dist/master/hang-watch.js';

describe('bootHangReason', () => {
  it('is undefined within the limit, once ready (bootingSince undefined), and with no limit', () => {
    assert.equal(bootHangReason(1000, true, 3000, 2000), undefined);
    assert.equal(bootHangReason(undefined, true, 1_000_000, 2000), undefined);
    assert.equal(bootHangReason(0, true, 1_000_000, 0), undefined);
  });

  it('names what a process holding an id, or a spare, was doing when it ran over', () => {
    assert.equal(bootHangReason(1000, true, 3500, 2000), 'not ready after 2.5s (loading the app or in afterFork)');
    assert.equal(bootHangReason(1000, false, 3500, 2000), 'app not loaded after 2.5s');
  });
});

describe('hangReason', () => {
  const beat = 250;
  it('leaves alone a worker not yet ready (--boot-timeout covers it), an idle one, and a task within the limit', () => {
    assert.equal(hangReason({ readyAt: undefined, busySince: null, heardAt: 0 }, 100_000, 1000, beat), undefined);
    assert.equal(hangReason({ readyAt: 0, busySince: null, heardAt: 99_900 }, 100_000, 1000, beat), undefined);
    assert.equal(hangReason({ readyAt: 0, busySince: 99_500, heardAt: 99_900 }, 100_000, 1000, beat), undefined);
  });

  it('names a task over the limit, and a silence longer than the limit and a beat', () => {
    assert.equal(hangReason({ readyAt: 0, busySince: 98_000, heardAt: 99_900 }, 100_000, 1000, beat), 'task running 2.0s');
    assert.equal(hangReason({ readyAt: 0, busySince: null, heardAt: 98_000 }, 100_000, 1000, beat), 'no heartbeat for 2.0s (event loop blocked)');
  });

  it('after the master caught up from a gap, judges only reports read since, and counts silence from then', () => {
    // Stale knowledge from before the gap (resumed at 99_800) kills nobody...
    assert.equal(hangReason({ readyAt: 0, busySince: 95_000, heardAt: 96_000 }, 100_000, 1000, beat, 99_800), undefined);
    // ...but a report read since that still shows the old task does, and so does silence past the limit counted from the catch-up.
    assert.equal(hangReason({ readyAt: 0, busySince: 95_000, heardAt: 99_900 }, 100_000, 1000, beat, 99_800), 'task running 5.0s');
    assert.equal(hangReason({ readyAt: 0, busySince: null, heardAt: 90_000 }, 100_000, 1000, beat, 98_500), 'no heartbeat for 1.5s (event loop blocked)');
  });
});

describe('watchInterval', () => {
  it('follows the heartbeat with --timeout, else a quarter of --boot-timeout within 25 ms..1 s, else none', () => {
    assert.equal(watchInterval(250, 60), 250);
    assert.equal(watchInterval(undefined, 60), 1000);
    assert.equal(watchInterval(undefined, 0.4), 100);
    assert.equal(watchInterval(undefined, 0.01), 25);
    assert.equal(watchInterval(undefined, 0), undefined);
  });
});
