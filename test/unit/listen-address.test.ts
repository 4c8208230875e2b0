import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatListenAddress, parseListenAddress } from '../../dist/shared/listen-address.js';
import { resolveOptions } from '../../dist/shared/options.js';
import { fixture } from '../helpers.js';

describe('parseListenAddress', () => {
  it('reads ports, hosts, IPv6 in brackets and socket paths with a mode', () => {
    assert.deepEqual(parseListenAddress('8080', '/'), { kind: 'tcp', host: undefined, port: 8080 });
    assert.deepEqual(parseListenAddress(0, '/'), { kind: 'tcp', host: undefined, port: 0 });
    assert.deepEqual(parseListenAddress('127.0.0.1:80', '/'), { kind: 'tcp', host: '127.0.0.1', port: 80 });
    assert.deepEqual(parseListenAddress('localhost:80', '/'), { kind: 'tcp', host: '127.0.0.1', port: 80 });
    assert.deepEqual(parseListenAddress('*:80', '/'), { kind: 'tcp', host: undefined, port: 80 });
    assert.deepEqual(parseListenAddress('[::1]:443', '/'), { kind: 'tcp', host: '::1', port: 443 });
    assert.deepEqual(parseListenAddress('./app.sock', '/srv'), { kind: 'unix', path: '/srv/app.sock', mode: undefined });
    assert.deepEqual(parseListenAddress('/run/a.sock:660', '/'), { kind: 'unix', path: '/run/a.sock', mode: 0o660 });
  });

  it('refuses bad values with one line quoting them', () => {
    for (const [value, why] of [
      ['', /is not an address/],
      ['80000', /no valid port/],
      ['host', /has no port/],
      ['example.com:80', /not an IP address/],
      ['::1:80', /write an IPv6 address in brackets, as "\[::1\]:80"/],
      ['1.2.3.4:x', /no valid port/],
    ] as const) {
      assert.throws(() => parseListenAddress(value, '/'), (e: Error) => why.test(e.message) && e.message.startsWith(`invalid --listen: ${JSON.stringify(value)}`), value);
    }
  });

  it('formats for logs and status', () => {
    assert.equal(formatListenAddress({ kind: 'tcp', host: undefined, port: 80 }), '*:80');
    assert.equal(formatListenAddress({ kind: 'tcp', host: '::1', port: 80 }), '[::1]:80');
    assert.equal(formatListenAddress({ kind: 'unix', path: '/a.sock', mode: undefined }), '/a.sock');
  });

  it('options: one or many, none twice; no spares with --listen', () => {
    const app = fixture('app.cjs');
    assert.equal(resolveOptions({ app, listen: ['8080', '127.0.0.1:8081'] }).listen.length, 2);
    assert.equal(resolveOptions({ app, listen: 8080 }).listen.length, 1);
    assert.throws(() => resolveOptions({ app, listen: ['8080', '*:8080'] }), /another --listen already has this address/);
    assert.throws(() => resolveOptions({ app, listen: '8080', spares: 1 }), /invalid --spares: 1 is not 0 with --listen/);
  });
});
