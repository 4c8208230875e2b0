/**
 * systemd notify on a real datagram socket (a python3 receiver): READY=1 once the pool is up,
 * RELOADING=1 (with MONOTONIC_USEC) and READY=1 around a HUP reload, STOPPING=1 on TERM, in that
 * order; WATCHDOG=1 pings; workers inherit none of the notify variables. The same through the
 * systemd-notify fallback (a PATH without python3), the receiver acknowledging its BARRIER=1.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fixture, killStarted, startCli, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

const SYSTEMD_NOTIFY = '/usr/bin/systemd-notify';
const hasPython = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;

interface Datagram {
  readonly fields: string[];
  readonly monotonic_usec: number;
}

/** A python3 process bound to a Unix datagram socket at `path`; `received` grows as datagrams arrive. */
async function receiver(path: string): Promise<{ received: Datagram[] }> {
  const child = spawn('python3', [fixture('notify-receiver.py'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(child.pid);
  const received: Datagram[] = [];
  let listening = false;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'listening') listening = true;
    else received.push(JSON.parse(line) as Datagram);
  });
  await waitFor(() => listening, 60_000, 'the receiver bound');
  return { received };
}

describe('systemd notify', () => {
  it('sends READY=1, RELOADING=1 then READY=1 around a reload, STOPPING=1, in order, and pings the watchdog', async (t) => {
    if (!hasPython) return t.skip('python3 is not installed (the test receiver and the helper need it)');
    const tmp = tempDir();
    const socket = join(tmp.dir, 'notify.sock');
    const { received } = await receiver(socket);
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1', '--control', join(tmp.dir, 'sock')], {
      env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '400000', TASK_MS: '20' },
    });
    const has = (field: string) => received.findIndex((d) => d.fields.includes(field));
    await waitFor(() => has('READY=1') >= 0, 60_000, 'READY=1');
    const ready = received[has('READY=1')]!;
    assert.ok(ready.fields.includes(`MAINPID=${cli.pid}`), ready.fields.join(' '));
    assert.ok(ready.fields.includes('STATUS=2 workers ready'), ready.fields.join(' '));
    assert.match(cli.stderr(), /master ready/);
    // The watchdog: WATCHDOG_USEC=0.4 s, so a ping every 0.2 s.
    await waitFor(() => received.filter((d) => d.fields.includes('WATCHDOG=1')).length >= 2, 10_000, 'two WATCHDOG=1 pings');
    // Only the master speaks to systemd: no worker inherits the variables.
    for (const pid of cli.workerPids().values()) {
      assert.doesNotMatch(readFileSync(`/proc/${pid}/environ`, 'utf8'), /(^|\0)(NOTIFY_SOCKET|WATCHDOG_USEC)=/);
    }

    process.kill(cli.pid, 'SIGHUP');
    await cli.waitForLog(/reload done/, 60_000);
    const reloading = await waitFor(() => received.find((d) => d.fields.includes('RELOADING=1')), 10_000, 'RELOADING=1');
    const usec = Number(reloading.fields.find((f) => f.startsWith('MONOTONIC_USEC='))?.slice('MONOTONIC_USEC='.length));
    // Same clock (CLOCK_MONOTONIC): sent before the receiver read it, not long before.
    assert.ok(usec <= reloading.monotonic_usec && usec > reloading.monotonic_usec - 30e6, `MONOTONIC_USEC=${usec} vs ${reloading.monotonic_usec}`);
    await waitFor(() => received.filter((d) => d.fields.includes('READY=1')).length >= 2, 10_000, 'READY=1 after the reload');

    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    await waitFor(() => has('STOPPING=1') >= 0, 10_000, 'STOPPING=1');
    const order = received.flatMap((d) => d.fields.filter((f) => ['READY=1', 'RELOADING=1', 'STOPPING=1'].includes(f)));
    assert.deepEqual(order, ['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
    tmp.remove();
  });

  it('without python3, through a slow systemd-notify: READY=1, RELOADING=1, READY=1, STOPPING=1 in order, each acknowledged (BARRIER=1), none lost at exit', async (t) => {
    if (!hasPython) return t.skip('python3 is not installed (the test receiver needs it)');
    if (!existsSync(SYSTEMD_NOTIFY)) return t.skip(`${SYSTEMD_NOTIFY} is not installed (Debian package systemd)`);
    const tmp = tempDir();
    // PATH holds systemd-notify and nothing else: no python3 for the master to find. It is slow
    // (as on a loaded machine: a process and an acknowledgement per message) and the watchdog asks
    // for a ping twice as often as it can send one, so messages queue: the pings must not pile up,
    // and the master must not exit before its STOPPING=1 is out (both seen lost before).
    const bin = join(tmp.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'systemd-notify'), `#!/bin/sh\n/bin/sleep 0.2\nexec ${SYSTEMD_NOTIFY} "$@"\n`, { mode: 0o755 });
    const socket = join(tmp.dir, 'notify.sock');
    const { received } = await receiver(socket);
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1', '--control', join(tmp.dir, 'sock')], {
      env: { NOTIFY_SOCKET: socket, PATH: bin, TASK_MS: '20', WATCHDOG_USEC: '200000' },
    });
    const has = (field: string) => received.findIndex((d) => d.fields.includes(field));
    await waitFor(() => has('READY=1') >= 0, 60_000, 'READY=1 through systemd-notify');
    const ready = received[has('READY=1')]!;
    assert.ok(ready.fields.includes(`MAINPID=${cli.pid}`) && ready.fields.includes('STATUS=2 workers ready'), ready.fields.join(' '));
    process.kill(cli.pid, 'SIGHUP');
    await cli.waitForLog(/reload done/, 60_000);
    await waitFor(() => received.filter((d) => d.fields.includes('READY=1')).length >= 2, 30_000, 'READY=1 after the reload');
    const reloading = received.find((d) => d.fields.includes('RELOADING=1'));
    assert.ok(reloading?.fields.some((f) => /^MONOTONIC_USEC=\d+$/.test(f)), JSON.stringify(reloading));
    assert.ok(received.some((d) => d.fields.includes('WATCHDOG=1')), 'the watchdog was pinged');
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    await waitFor(() => has('STOPPING=1') >= 0, 30_000, 'STOPPING=1');
    const order = received.flatMap((d) => d.fields.filter((f) => ['READY=1', 'RELOADING=1', 'STOPPING=1'].includes(f)));
    assert.deepEqual(order, ['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
    // systemd-notify waited for each acknowledgement and failed on none ("Failed to invoke barrier").
    assert.doesNotMatch(cli.stderr(), /barrier|systemd-notify/i);
    tmp.remove();
  });

  it('without a helper on PATH, says so in one line and runs anyway', async () => {
    const tmp = tempDir();
    // Workers are spawned from process.execPath: the master needs nothing on PATH.
    const cli = startCli(['--app', fixture('app.cjs'), '--control', join(tmp.dir, 'sock')], {
      env: { NOTIFY_SOCKET: join(tmp.dir, 'none.sock'), PATH: join(tmp.dir, 'empty') },
    });
    await cli.waitForLog(/master ready/, 60_000);
    assert.match(cli.stderr(), /NOTIFY_SOCKET is set but neither python3 nor systemd-notify is on PATH/);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });
});
