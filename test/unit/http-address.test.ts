/**
 * The dashboard/metrics addresses: host:port parsing, what counts as loopback, the Host-header
 * check against DNS rebinding, and the option rules (loopback unless a token; token length).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, SuperviseError } from '../../dist/shared/errors.cjs';
import { isHostAllowed, isLoopback, parseHttpAddress, resolveHttpServices } from '../../dist/shared/http-address.js';
import { resolveOptions } from '../../dist/shared/options.js';
import { fixture } from './fakes.js';

const TOKEN = 'x'.repeat(24);

/** Asserts that `run` throws one E_OPTION line matching `pattern`. */
function rejects(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SuperviseError, `not a SuperviseError: ${String(error)}`);
    assert.equal(error.code, ErrorCode.OPTION);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

describe('parseHttpAddress', () => {
  it('takes IPv4, [IPv6] and names with a port, port 0 included', () => {
    assert.deepEqual(parseHttpAddress('dashboard', '127.0.0.1:8123'), { host: '127.0.0.1', port: 8123 });
    assert.deepEqual(parseHttpAddress('dashboard', '[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseHttpAddress('metrics', 'localhost:9464'), { host: 'localhost', port: 9464 });
    assert.deepEqual(parseHttpAddress('metrics', '0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
  });

  it('refuses anything else with one line quoting the value', () => {
    rejects(() => parseHttpAddress('dashboard', '8123'), /^invalid --dashboard: "8123" is a bare port: give the address too \(e\.g\. 127\.0\.0\.1:8123\)$/);
    rejects(() => parseHttpAddress('dashboard', '127.0.0.1'), /"127\.0\.0\.1" is not a host:port/);
    rejects(() => parseHttpAddress('dashboard', '127.0.0.1:70000'), /port above 65535/);
    rejects(() => parseHttpAddress('metrics', '::1:80'), /--metrics: "::1:80" is not a host:port/);
    rejects(() => parseHttpAddress('metrics', '[nope]:80'), /no valid host/);
    rejects(() => parseHttpAddress('metrics', 'http://127.0.0.1:80'), /not a host:port/);
    rejects(() => parseHttpAddress('metrics', 80), /--metrics: 80 is not a host:port/);
  });
});

describe('isLoopback', () => {
  it('is true for 127.0.0.0/8, ::1 (any spelling) and localhost only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'app.localhost']) {
      assert.ok(isLoopback(host), host);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', '128.0.0.1']) {
      assert.ok(!isLoopback(host), host);
    }
  });
});

describe('isHostAllowed', () => {
  const loopback = { host: '127.0.0.1', port: 0 };
  it('on loopback, takes a loopback Host with the bound port only', () => {
    assert.ok(isHostAllowed('127.0.0.1:8123', loopback, 8123));
    assert.ok(isHostAllowed('localhost:8123', loopback, 8123));
    assert.ok(isHostAllowed('[::1]:8123', loopback, 8123));
    assert.ok(!isHostAllowed('127.0.0.1:8124', loopback, 8123), 'another port');
    assert.ok(!isHostAllowed('attacker.example:8123', loopback, 8123), 'a rebound name');
    assert.ok(!isHostAllowed('127.0.0.1', loopback, 8123), 'no port means 80');
    assert.ok(isHostAllowed('127.0.0.1', loopback, 80));
    assert.ok(!isHostAllowed(undefined, loopback, 8123), 'no Host');
    assert.ok(!isHostAllowed('127.0.0.1:8123 x', loopback, 8123), 'junk');
  });

  it('off loopback (where a token guards every request), takes any Host', () => {
    assert.ok(isHostAllowed('dashboard.example:8123', { host: '0.0.0.0', port: 8123 }, 8123));
  });
});

describe('resolveHttpServices and resolveOptions', () => {
  it('serves loopback without a token', () => {
    const o = resolveOptions({ app: fixture('app.cjs'), dashboard: '127.0.0.1:0', metrics: '[::1]:9464' });
    assert.deepEqual(o.dashboard, { host: '127.0.0.1', port: 0 });
    assert.deepEqual(o.metrics, { host: '::1', port: 9464 });
    assert.equal(o.dashboardToken, undefined);
  });

  it('refuses a non-loopback address without a token, in one line naming the way out', () => {
    rejects(() => resolveHttpServices('0.0.0.0:8123', undefined, undefined), /^refusing --dashboard "0\.0\.0\.0:8123": not a loopback address; serving beyond this machine needs --dashboard-token/);
    rejects(() => resolveOptions({ app: fixture('app.cjs'), metrics: '10.1.2.3:9464' }), /^refusing --metrics "10\.1\.2\.3:9464"/);
  });

  it('serves any address with a token', () => {
    const o = resolveHttpServices('0.0.0.0:8123', TOKEN, '[::]:9464');
    assert.equal(o.dashboardToken, TOKEN);
    assert.deepEqual(o.metrics, { host: '::', port: 9464 });
  });

  it('refuses a short or unprintable token without quoting it', () => {
    rejects(() => resolveHttpServices('127.0.0.1:0', 'short-secret', undefined), /^invalid --dashboard-token: 12 characters is too short \(at least 16/);
    rejects(() => resolveHttpServices('127.0.0.1:0', 'with spaces in the secret', undefined), /printable ASCII without spaces/);
    rejects(() => resolveHttpServices('127.0.0.1:0', 42, undefined), /printable ASCII/);
    assert.throws(() => resolveHttpServices(undefined, 'short-secret', undefined), (e: Error) => !e.message.includes('short-secret'));
  });
});
