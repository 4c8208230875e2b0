/**
 * The master's own output (issue 5, point 6): with its stderr closed, or a pipe whose reader has
 * gone (`supervise … | head -1`), the master keeps supervising (a killed worker is respawned), a
 * TERM still stops it with 0, and nothing is left.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, ROOT, fixture, killStarted, sleep, tempDir, track, waitFor } from '../helpers.js';
import { describeProcs, heldIds, killLeftovers, readProc, recordFigures, runMarker, runtimeDir, settleLeftovers, within } from './harness.js';

const run = runtimeDir();
const markers: Array<{ value: string }> = [];
/** Cases that got to their end, for make soak's figures. */
const passed: string[] = [];

after(() => {
  recordFigures('master-output', { casesPassed: passed.length, passed, workerKillsPerCase: 3 });
  killStarted();
  for (const marker of markers) killLeftovers(marker);
  run.remove();
});

/** Single-quotes `arg` for bash. */
const q = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs `script` in bash, collecting its stdout and stderr. */
function bash(script: string, env: Record<string, string>) {
  const child = spawn('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child.pid);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

/**
 * Waits until the master at `control` reports its pool running: a worker killed during the start
 * fails the start (exit 1), and a master whose output goes nowhere cannot say `master ready`.
 */
async function running(control: string): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'status', '--json', '--control', control], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.on('exit', () => {
          try {
            resolve((JSON.parse(out) as { state?: string }).state === 'running');
          } catch {
            resolve(false);
          }
        });
      }),
    45_000,
    `the pool at ${control} to be running`,
  );
}

/** Kills worker 1 of `master` three times, checking each time that the master respawns the id. */
async function keepsSupervising(master: number, workers: number): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const held = await waitFor(() => {
      const ids = heldIds(master);
      return ids.size === workers ? ids : undefined;
    }, 45_000, `ids 0..${workers - 1} held by children of ${master}`);
    const victim = held.get(1)![0]!.pid;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => {
      const now = heldIds(master).get(1);
      return now !== undefined && now.length === 1 && now[0]!.pid !== victim;
    }, 45_000, `worker 1 respawned after the kill of ${victim} (round ${round})`);
    assert.ok(readProc(master) !== undefined && readProc(master)!.state !== 'Z', 'the master lives');
  }
}

let sockets = 0;
/** The command line of a 2-worker pool serving its own control socket, returned too. */
function base(): { command: string; control: string } {
  const control = join(run.dir, `c${++sockets}.sock`);
  return { command: [process.execPath, CLI, '--app', fixture('busy.cjs'), '--workers', '2', '--poll', '1', '--control', control].map(q).join(' '), control };
}

describe("the master's own output", () => {
  for (const [name, extra, env] of [
    ['human lines', '', {}],
    ['JSON lines and DEBUG traces', ' --log-format json', { DEBUG: 'supervise:*' }],
    ['--log-dir, with DEBUG traces still on stderr', ` --log-dir ${q(join(run.dir, 'logs'))}`, { DEBUG: 'supervise:*' }],
  ] as const) {
    it(`\`supervise … 2>&1 | head -1\` (${name}): the broken pipe never stops the master; TERM exits 0, nothing left`, async (t) => {
      const marker = runMarker('head');
      markers.push(marker);
      const { command, control } = base();
      const sh = bash(`${command}${extra} 2>&1 | head -1; echo "master-exit=\${PIPESTATUS[0]}" >&2`, {
        ...marker.env,
        ...env,
        XDG_RUNTIME_DIR: run.dir,
        PRINT: '1', // the workers write to the broken pipe too
      });
      await waitFor(() => sh.out() !== '', 45_000, 'head to print its one line and leave');
      // The master is the one marked process titled so (this test's marker is its own).
      const master = await waitFor(async () => (await settleLeftovers(marker, 0)).find((p) => p.title.startsWith('supervise: master'))?.pid, 45_000, 'the master');
      await running(control); // head is gone by now: every write of the master meets a broken pipe
      await keepsSupervising(master, 2);
      process.kill(master, 'SIGTERM');
      assert.equal(await within(sh.exited, 45_000, 'bash did not end'), 0);
      assert.match(sh.err(), /master-exit=0\n/, sh.err());
      const left = await settleLeftovers(marker, 3000);
      assert.deepEqual(left, [], describeProcs(left));
      passed.push(t.name);
    });
  }

  for (const [name, redirect] of [
    ['stderr closed', '2>&-'],
    ['stdout and stderr closed', '>&- 2>&-'],
  ] as const) {
    it(`${name}: the master keeps supervising; TERM exits 0, nothing left`, async (t) => {
      const marker = runMarker('closed');
      markers.push(marker);
      const { command, control } = base();
      const sh = bash(`exec ${command} ${redirect}`, { ...marker.env, XDG_RUNTIME_DIR: run.dir, PRINT: '1' });
      const master = sh.child.pid!; // exec: bash became the master
      await running(control);
      await keepsSupervising(master, 2);
      process.kill(master, 'SIGTERM');
      assert.equal(await within(sh.exited, 45_000, 'no exit'), 0);
      const left = await settleLeftovers(marker, 3000);
      assert.deepEqual(left, [], describeProcs(left));
      passed.push(t.name);
    });
  }
});
