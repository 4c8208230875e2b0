/**
 * Master death under load (issue 5, point 3), again and again: SIGKILL of the master while every
 * worker is mid-task. Each task finishes, no worker starts another, and no process is left, with
 * the pool's stdio a terminal (script(1)), a file, or a pipe whose reader has gone. MASTER_DEATHS
 * sets the kills per stdio mode (make check: 2; make soak: 50).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, fixture, killStarted, readEvents, sleep, tempDir, track, waitFor } from '../helpers.js';
import {
  childrenOf,
  describeProcs,
  heldIds,
  killLeftovers,
  readProc,
  recordFigures,
  runMarker,
  settleLeftovers,
  size,
  stillAlive,
  type Proc,
} from './harness.js';

const DEATHS = size('MASTER_DEATHS', 2, 50);
const WORKERS = 3;
const MODES = ['terminal', 'file', 'pipe-gone'] as const;
type Mode = (typeof MODES)[number];
/** Tasks last 700..900 ms; the master dies only while each worker has at least 200 ms of its task left. */
const TASK = { min: 700, max: 900, killWithin: 500 };
const markers: Array<{ value: string }> = [];
/** Temporary directories, removed at the end even when a round failed. */
const dirs: Array<{ remove(): void }> = [];

after(() => {
  killStarted();
  for (const marker of markers) killLeftovers(marker);
  for (const dir of dirs) dir.remove();
});

/** A pool started with its stdio in `mode`; `output()` is what reached us of its log. */
interface Started {
  readonly child: ChildProcess;
  output(): string;
  /** Makes the reader of the pool's pipe go away (pipe-gone only). */
  dropReader(): void;
}

function startPool(mode: Mode, env: Record<string, string>, dir: string): Started {
  const args = ['--app', fixture('busy.cjs'), '--workers', String(WORKERS), '--poll', '1'];
  const fullEnv = { ...process.env, ...env };
  let text = '';
  const collect = (c: Buffer): void => void (text += c.toString());
  if (mode === 'terminal') {
    // exec: script(1) runs $SHELL -c, or /bin/sh when SHELL is unset (as in CI), and dash stays
    // between script and the master unless told to replace itself.
    const command = `exec ${[process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ')}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: fullEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', collect);
    track(child.pid);
    return { child, output: () => text, dropReader: () => {} };
  }
  if (mode === 'file') {
    const file = join(dir, 'out');
    const fd = openSync(file, 'w');
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: fullEnv, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    track(child.pid);
    return { child, output: () => readFileSync(file, 'utf8'), dropReader: () => {} };
  }
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  track(child.pid);
  return {
    child,
    output: () => text,
    dropReader: () => {
      child.stdout!.destroy();
      child.stderr!.destroy();
    },
  };
}

/** What one master death showed. */
interface Death {
  inFlight: number;
  finishedAfterKill: number;
  startedAfterKill: number;
  aborted: number;
  lastWorkerGoneMs: number;
  leftBehind: number;
}

async function oneDeath(mode: Mode, round: number): Promise<Death> {
  const marker = runMarker(`death-${mode}-${round}`);
  markers.push(marker);
  const tmp = tempDir('supervise-death-');
  dirs.push(tmp);
  const events = join(tmp.dir, 'events');
  const pool = startPool(
    mode,
    // Its own runtime directory: masters starting at once race for one default control socket.
    { ...marker.env, XDG_RUNTIME_DIR: tmp.dir, FIXTURE_LOG: events, TASK_MIN_MS: String(TASK.min), TASK_MAX_MS: String(TASK.max), PRINT: '1' },
    tmp.dir,
  );
  const where = `(${mode}, round ${round})`;
  let exit: string | undefined;
  pool.child.on('exit', (code, signal) => (exit = `exited code=${code} signal=${signal}`));
  try {
    await waitFor(() => /master ready/.test(pool.output()), 45_000, `master ready ${where}`);
  } catch (error) {
    const p = readProc(pool.child.pid!);
    const kids = childrenOf(pool.child.pid!).map((pid) => readProc(pid)?.title).join('; ');
    let wchan = '';
    try {
      wchan = readFileSync(`/proc/${pool.child.pid}/wchan`, 'utf8');
    } catch {
      // gone
    }
    throw new Error(`${(error as Error).message}: ${exit ?? `running (${p?.state} ${p?.title}, wchan ${wchan}, children ${kids})`}; output: ${JSON.stringify(pool.output())}`);
  }
  const master =
    mode === 'terminal'
      ? await waitFor(() => childrenOf(pool.child.pid!).find((pid) => readProc(pid)?.title.startsWith('supervise: master')), 45_000, 'the master under script')
      : pool.child.pid!;
  // Every worker mid-task with at least 200 ms of it left: any start after the kill is a new task.
  const workers = await waitFor(
    () => {
      const held = heldIds(master);
      if (held.size !== WORKERS) return undefined;
      const procs = [...held.values()].map((p) => p[0]!);
      const all = readEvents(events);
      const now = Date.now();
      const busy = procs.every((p) => {
        const last = all.filter((e) => e.pid === p.pid).at(-1);
        return last?.ev === 'start' && now - last.t < TASK.killWithin;
      });
      return busy ? procs : undefined;
    },
    15_000,
    `every worker mid-task ${where}`,
  );
  pool.dropReader();
  const killedAt = Date.now();
  process.kill(master, 'SIGKILL');
  await waitFor(() => workers.every((p: Proc) => !stillAlive(p)), 45_000, `workers to finish their task and exit ${where}`);
  const lastWorkerGoneMs = Date.now() - killedAt;
  const left = await settleLeftovers(marker, 45_000);
  const all = readEvents(events);
  const mine = (p: Proc) => all.filter((e) => e.pid === p.pid);
  const death: Death = {
    inFlight: workers.length,
    finishedAfterKill: workers.filter((p) => mine(p).some((e) => e.ev === 'end' && e.t >= killedAt)).length,
    startedAfterKill: all.filter((e) => e.ev === 'start' && e.t > killedAt).length,
    aborted: all.filter((e) => e.ev === 'aborted').length,
    lastWorkerGoneMs,
    leftBehind: left.length,
  };
  for (const p of workers) {
    const starts = mine(p).filter((e) => e.ev === 'start').length;
    const ends = mine(p).filter((e) => e.ev === 'end').length;
    assert.equal(ends, starts, `worker ${p.pid} finished every task it started ${where}`);
  }
  assert.equal(death.startedAfterKill, 0, `no task started after the master died ${where}`);
  assert.equal(death.aborted, 0, `the master's death aborts no task ${where}`);
  assert.equal(death.finishedAfterKill, WORKERS, `each task in flight finished ${where}`);
  assert.deepEqual(left, [], `no orphan ${where}: ${describeProcs(left)}`);
  tmp.remove();
  return death;
}

describe(`master killed under load, ${DEATHS} times per stdio mode`, { concurrency: MODES.length }, () => {
  for (const mode of MODES) {
    it(`stdio ${mode}: every task in flight finishes, none starts, no orphan`, async () => {
      const began = Date.now();
      const deaths: Death[] = [];
      for (let round = 1; round <= DEATHS; round++) {
        deaths.push(await oneDeath(mode, round));
        await sleep(10);
      }
      const sum = (key: keyof Death): number => deaths.reduce((s, d) => s + d[key], 0);
      recordFigures(`master-death-${mode}`, {
        mode,
        deaths: deaths.length,
        workersPerPool: WORKERS,
        taskMs: [TASK.min, TASK.max],
        tasksInFlight: sum('inFlight'),
        tasksFinishedAfterKill: sum('finishedAfterKill'),
        tasksStartedAfterKill: sum('startedAfterKill'),
        tasksAborted: sum('aborted'),
        orphansLeft: sum('leftBehind'),
        lastWorkerGoneMsMax: Math.max(...deaths.map((d) => d.lastWorkerGoneMs)),
        durationMs: Date.now() - began,
      });
    });
  }
});
