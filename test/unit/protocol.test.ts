/** isProtocolMessage: only messages carrying the supervise marker are ours. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MARKER, isProtocolMessage } from '../../dist/shared/protocol.cjs';

describe('isProtocolMessage', () => {
  it('accepts marked messages of either direction', () => {
    assert.equal(MARKER, 'supervise');
    for (const message of [
      { supervise: 1, type: 'ready' },
      { supervise: 1, type: 'failed', phase: 'load', message: 'x' },
      { supervise: 1, type: 'progress', tasks: 3, busySince: null },
      { supervise: 1, type: 'stop', graceful: true },
    ]) {
      assert.equal(isProtocolMessage(message), true, JSON.stringify(message));
    }
  });

  it("rejects an app's own messages and anything unmarked", () => {
    for (const message of [
      { type: 'ready' },
      { supervise: true, type: 'ready' },
      { supervise: '1', type: 'ready' },
      { supervise: 2, type: 'ready' },
      'ready',
      1,
      null,
      undefined,
      [],
    ]) {
      assert.equal(isProtocolMessage(message), false, JSON.stringify(message) ?? String(message));
    }
  });
});
