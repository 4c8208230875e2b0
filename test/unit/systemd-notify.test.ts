/** notifySettings(): when the notify socket and the watchdog are on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notifySettings } from '../../dist/services/systemd-notify.js';

describe('notifySettings', () => {
  it('is off without NOTIFY_SOCKET', () => {
    assert.equal(notifySettings({}, 10), undefined);
    assert.equal(notifySettings({ NOTIFY_SOCKET: '' }, 10), undefined);
  });

  it('pings every half of WATCHDOG_USEC when WATCHDOG_PID is absent or ours', () => {
    assert.deepEqual(notifySettings({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000' }, 10), { socket: '/run/x', watchdogMs: 15000 });
    assert.equal(notifySettings({ NOTIFY_SOCKET: '@x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '10' }, 10)?.watchdogMs, 15000);
    assert.equal(notifySettings({ NOTIFY_SOCKET: '@x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '11' }, 10)?.watchdogMs, undefined);
    assert.equal(notifySettings({ NOTIFY_SOCKET: '@x', WATCHDOG_USEC: 'soon' }, 10)?.watchdogMs, undefined);
  });
});
