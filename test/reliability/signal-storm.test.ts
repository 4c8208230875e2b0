/**
 * Signal storm (issue 5, point 2): HUP, TTIN and TTOU in random order against a pool under load,
 * then a QUIT. Throughout, no id is held by two live processes, no id outlives the largest size
 * asked for, and no zombie child stays; every task started ends (none is cut: reloads, retiring
 * and QUIT all let tasks finish), the master exits 0, and nothing is left. STORM_SIGNALS and
 * STORM_SECONDS set the storm (make check: 150 in 5 s; make soak: 1,000 in 20 s).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture, killStarted, readEvents, sleep, tempDir } from '../helpers.js';
import { Master, PoolSampler, Random, describeProcs, killLeftovers, recordFigures, runMarker, runtimeDir, seed, settleLeftovers, size, within } from './harness.js';

const SIGNALS = size('STORM_SIGNALS', 150, 1000);
const SECONDS = size('STORM_SECONDS', 5, 20);
const START = 4;
/** The storm never asks for more workers than this (a random walk of TTINs would swamp two cores). */
const MOST = 8;
const marker = runMarker('storm');
const run = runtimeDir();
const tmp = tempDir('supervise-storm-');

after(() => {
  killStarted();
  killLeftovers(marker);
  run.remove();
  tmp.remove();
});

describe('signal storm', () => {
  it(`${SIGNALS} HUP/TTIN/TTOU in random order within ${SECONDS} s under load, then QUIT: invariants hold, every task ends, exit 0, nothing left`, async () => {
    const rng = new Random(seed('STORM_SEED'));
    const context = `(STORM_SEED=${rng.seed} STORM_SIGNALS=${SIGNALS} STORM_SECONDS=${SECONDS})`;
    const events = join(tmp.dir, 'events');
    const master = new Master(['--app', fixture('busy.cjs'), '--workers', String(START), '--poll', '1'], {
      ...marker.env,
      XDG_RUNTIME_DIR: run.dir,
      FIXTURE_LOG: events,
      TASK_MIN_MS: '10',
      TASK_MAX_MS: '150',
    });
    await master.waitForLine(/master ready/, 30_000);
    // The size the master is heading for, from its `scaling from A to B` lines; ids at or above the
    // largest size ever asked for must never be held.
    let current = START;
    let largest = START;
    master.on('line', (line) => {
      const m = /scaling from \d+ to (\d+) workers/.exec(line);
      if (m === null) return;
      current = Number(m[1]);
      largest = Math.max(largest, current);
    });
    const sampler = new PoolSampler(master.pid, () => largest);
    sampler.start();

    const sent: Record<string, number> = { SIGHUP: 0, SIGTTIN: 0, SIGTTOU: 0 };
    // What we asked for, by what we sent: the log lags behind, and a storm that read only the log
    // would overshoot the bound.
    let asked = START;
    const began = Date.now();
    const interval = (SECONDS * 1000) / SIGNALS;
    for (let i = 0; i < SIGNALS; i++) {
      const choices: NodeJS.Signals[] = ['SIGHUP'];
      if (asked < MOST) choices.push('SIGTTIN');
      if (asked > 1) choices.push('SIGTTOU');
      const signal = rng.pick(choices);
      if (signal === 'SIGTTIN') asked++;
      if (signal === 'SIGTTOU') asked--;
      master.child.kill(signal);
      sent[signal]!++;
      const wait = began + (i + 1) * interval - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const stormMs = Date.now() - began;
    const quitAt = Date.now();
    master.child.kill('SIGQUIT');
    const exit = await within(master.exited, 60_000, 'no exit within 60 s of QUIT');
    const quitMs = Date.now() - quitAt;
    const figures = await sampler.stop();
    const left = await settleLeftovers(marker, 5000);

    const log = master.text();
    const all = readEvents(events);
    const key = (e: { pid: number; n?: unknown }): string => `${e.pid}:${String(e.n)}`;
    const ended = new Set(all.filter((e) => e.ev === 'end').map(key));
    const unfinished = all.filter((e) => e.ev === 'start' && !ended.has(key(e)));
    const aborted = all.filter((e) => e.ev === 'aborted');
    /** The master's lines about the process of a cut or unfinished task, to tell why. */
    const story = (list: typeof all): string =>
      list
        .map((e) => {
          const from = master.lines.findIndex((l) => l.includes(`pid=${e.pid}`));
          const to = master.lines.findIndex((l) => l.includes(`exited`) && l.includes(`pid=${e.pid}`));
          const span = master.lines.slice(Math.max(0, from), to < 0 ? undefined : to + 1);
          return `\nworker[${e.id}] pid ${e.pid}:\n` + span.filter((l) => l.includes(`worker[${e.id}]`) || /scaling|reload|stop/.test(l)).join('\n');
        })
        .join('');
    const count = (re: RegExp): number => (log.match(re) ?? []).length;
    recordFigures('signal-storm', {
      seed: rng.seed,
      signals: SIGNALS,
      seconds: SECONDS,
      sent,
      stormMs,
      reloadsBegun: count(/reloading \d+ workers/g),
      reloadsDone: count(/reload done/g),
      reloadsAbandoned: count(/reload abandoned/g),
      scaleChanges: count(/scaling from/g),
      largestSize: largest,
      sizeAtQuit: current,
      tasksStarted: all.filter((e) => e.ev === 'start').length,
      tasksEnded: ended.size,
      tasksUnfinished: unfinished.length,
      tasksAborted: aborted.length,
      workerProcesses: new Set(all.map((e) => e.pid)).size,
      quitToExitMs: quitMs,
      samples: figures.samples,
      doubleHeldIds: figures.doubles.length,
      idsOutOfRange: figures.outOfRange.length,
      zombiesSeen: figures.zombiesSeen,
      maxZombieMs: figures.maxZombieMs,
      lingeringZombies: figures.lingeringZombies.length,
      exit,
      leftBehind: left.length,
    });

    assert.deepEqual(exit, { code: 0, signal: null }, `QUIT ends the master with 0 ${context}; last lines:\n${master.lines.slice(-20).join('\n')}`);
    assert.deepEqual(figures.doubles, [], `never two live processes for one id ${context}`);
    assert.deepEqual(figures.outOfRange, [], `no id above the largest size asked for ${context}`);
    assert.deepEqual(figures.lingeringZombies, [], `no zombie child left unreaped ${context}`);
    assert.deepEqual(
      aborted.map((e) => `worker[${e.id}] pid ${e.pid} task ${String(e.n)}`),
      [],
      `no task cut ${context}${story(aborted)}`,
    );
    assert.deepEqual(
      unfinished.map((e) => `worker[${e.id}] pid ${e.pid} task ${String(e.n)}`),
      [],
      `every task started has ended ${context}${story(unfinished)}`,
    );
    assert.ok(all.some((e) => e.ev === 'end'), 'the pool ran tasks');
    assert.doesNotMatch(log, /internal error|^\s+at /m, 'no crash in the master');
    assert.deepEqual(left, [], `nothing left behind ${context}: ${describeProcs(left)}`);
  });
});
