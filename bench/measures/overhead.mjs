/**
 * Task-loop overhead: tasks per second of one supervise worker whose task is an empty async
 * function, against the same function awaited in a bare loop in plain Node (apps/bare-loop.cjs),
 * and against that bare loop plus the yield every 5 ms that any loop able to hear a stop needs
 * (and plus only that yield's clock reads), which show what the overhead is made of.
 *
 * The three processes run side by side but never at once: each round gives each in turn the CPU
 * alone for `windowMs` (SIGCONT it, SIGSTOP the others), and each figure comes from the process's
 * own `count` events inside its window (its count, its clock, its CPU time), so neither the
 * harness's polling nor the moment of the signal enters it. A round's overhead is 1 − supervised /
 * bare of that round; the result is the median over the rounds with its quartiles and range, by
 * wall time (tasks per second) and by CPU time (tasks per CPU second of the process, which a
 * neighbour taking the core away does not change).
 *
 * The rounds are spread over `processes` groups of fresh processes (the bare loops started anew,
 * the supervised workers SIGKILLed and respawned by their masters): two processes of one build
 * differ by several percent in this loop (how V8 happened to compile it), which no number of
 * rounds of the same two processes averages away.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventLog, readyPids } from '../lib/events.mjs';
import { APPS, ROOT } from '../lib/paths.mjs';
import { signal, track } from '../lib/procs.mjs';
import { round, sleep, spread } from '../lib/stats.mjs';
import { startSession } from '../lib/session.mjs';

/** How often each loop reports its count. */
const COUNT_MS = 20;

/** Starts the bare loop in `variant` (none, clock, yield: see apps/bare-loop.cjs) of group `group`; returns { pid, events, stop }. */
function startBare(dir, variant, group) {
  const events = new EventLog(join(dir, `${variant}-${group}-events`));
  const env = { ...process.env, BENCH_EVENTS: events.file, BENCH_MODE: 'empty', BENCH_COUNT_MS: String(COUNT_MS), BENCH_ID: variant, BENCH_BARE_YIELD: variant };
  const child = spawn(process.execPath, [join(APPS, 'bare-loop.cjs')], { env, stdio: 'ignore' });
  track(child.pid);
  return {
    pid: child.pid,
    events,
    stop: () => {
      signal(child.pid, 'SIGKILL');
      events.close();
    },
  };
}

/** The constant of src/worker/entry.cts the patched build changes, and its value there. */
const CLOCK_CONSTANT = /const MAX_TASKS_PER_CLOCK_READ = \d+;/;

/**
 * A copy of the build under `dir` whose worker reads the clock every `every` trivial tasks at most
 * (supervise's own is 16), to show what that one constant costs; undefined if the build has no such line.
 */
function patchedBuild(dir, every) {
  const root = join(dir, `clock-${every}`);
  mkdirSync(root, { recursive: true });
  cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const entry = join(root, 'dist', 'worker', 'entry.cjs');
  const code = readFileSync(entry, 'utf8');
  if (!CLOCK_CONSTANT.test(code)) return undefined;
  writeFileSync(entry, code.replace(CLOCK_CONSTANT, `const MAX_TASKS_PER_CLOCK_READ = ${every};`));
  return join(root, 'dist', 'cli', 'main.js');
}

/** Rates of one window of `loop`'s own count events between `fromNs` and `toNs`; undefined if too few. */
function windowRates(events, fromNs, toNs) {
  events.poll();
  const counts = events.events.filter((e) => e.ev === 'count' && e.ns > fromNs && e.ns < toNs);
  if (counts.length < 3) return undefined;
  // The first event after the SIGCONT may carry a timer that fired late: start from the second.
  const a = counts[1];
  const b = counts[counts.length - 1];
  const [ca, ua] = a.extra.split(':').map(Number);
  const [cb, ub] = b.extra.split(':').map(Number);
  return { wall: (cb - ca) / (Number(b.ns - a.ns) / 1e9), cpu: (cb - ca) / ((ub - ua) / 1e6) };
}

/** Gives `loop` the CPU alone for `ms`, the others stopped; returns its rates in that window. */
async function runAlone(loop, others, ms) {
  for (const o of others) signal(o.pid, 'SIGSTOP');
  const fromNs = process.hrtime.bigint();
  signal(loop.pid, 'SIGCONT');
  await sleep(ms);
  signal(loop.pid, 'SIGSTOP');
  const toNs = process.hrtime.bigint();
  return windowRates(loop.events, fromNs, toNs);
}

/** Overhead in % of each round: 1 − rate / base. */
function overheads(rounds, key, which) {
  return rounds.filter((r) => r[which] && r.bare).map((r) => (1 - r[which][key] / r.bare[key]) * 100);
}

/** Measures the overhead of `system`'s task loop over `rounds` interleaved rounds of `windowMs` each. */
export async function measureOverhead(system, { rounds = 20, processes = 5, windowMs = 300, warmMs = 1000, patchedEvery = 256, tmp }) {
  const session = startSession(system, { n: 1, mode: 'empty', countMs: COUNT_MS }, tmp);
  const patchedCli = patchedEvery > 0 ? patchedBuild(session.dir, patchedEvery) : undefined;
  const patched = patchedCli === undefined ? undefined : startSession(system, { n: 1, mode: 'empty', countMs: COUNT_MS, cli: patchedCli }, tmp);
  const bares = [];
  const workerPids = new Set();
  /** The worker of `s` that became ready after `sinceNs` (a respawn), or its first. */
  const workerOf = async (s, sinceNs) => {
    const ready = await s.events.waitFor((log) => readyPids(log, sinceNs)[0], 30_000, `a ${system.label} worker ready`);
    workerPids.add(ready.pid);
    return { pid: ready.pid, events: s.events };
  };
  try {
    await session.waitReady(1, 30_000);
    if (patched !== undefined) await patched.waitReady(1, 30_000);
    const results = [];
    let sinceNs = -1n;
    let loops;
    for (let group = 0; group < processes; group++) {
      if (loops !== undefined) {
        // Fresh processes: the bare loops anew, the workers killed and respawned by their masters.
        for (const b of bares.splice(0)) b.stop();
        sinceNs = process.hrtime.bigint();
        for (const l of [loops.supervised, loops.patched]) if (l !== undefined) signal(l.pid, 'SIGKILL');
      }
      bares.push(startBare(session.dir, 'none', group), startBare(session.dir, 'clock', group), startBare(session.dir, 'yield', group));
      const [bare, clock, yielding] = bares;
      loops = { bare, clock, yield: yielding, supervised: await workerOf(session, sinceNs) };
      if (patched !== undefined) loops.patched = await workerOf(patched, sinceNs);
      for (const l of bares) await l.events.waitFor((log) => log.of('count').length > 0, 30_000, 'the bare loop counting');
      const all = Object.values(loops);
      // Warm-up: each loop alone long enough for the JIT to settle.
      for (const l of all) await runAlone(l, all.filter((o) => o !== l), warmMs);
      for (let i = group; i < rounds; i += processes) {
        const round_ = {};
        // Rotate who goes first, so a drift within a round falls on each in turn.
        const order = Object.keys(loops);
        for (let k = 0; k < i % order.length; k++) order.push(order.shift());
        for (const name of order) round_[name] = await runAlone(loops[name], all.filter((o) => o !== loops[name]), windowMs);
        results.push(round_);
      }
    }
    const rates = (name, key) => spread(results.map((r) => r[name]?.[key]).filter((v) => v !== undefined), 0);
    return {
      rounds: results.filter((r) => r.bare && r.supervised).length,
      processes,
      windowMs,
      overheadPct: spread(overheads(results, 'wall', 'supervised'), 1),
      overheadCpuPct: spread(overheads(results, 'cpu', 'supervised'), 1),
      clockOverheadCpuPct: spread(overheads(results, 'cpu', 'clock'), 1),
      ...(patched === undefined ? {} : { patchedEvery, patchedOverheadCpuPct: spread(overheads(results, 'cpu', 'patched'), 1), patchedOverheadPct: spread(overheads(results, 'wall', 'patched'), 1) }),
      yieldOverheadPct: spread(overheads(results, 'wall', 'yield'), 1),
      yieldOverheadCpuPct: spread(overheads(results, 'cpu', 'yield'), 1),
      tasksPerS: rates('supervised', 'wall'),
      bareTasksPerS: rates('bare', 'wall'),
      yieldTasksPerS: rates('yield', 'wall'),
      tasksPerCpuS: rates('supervised', 'cpu'),
      bareTasksPerCpuS: rates('bare', 'cpu'),
    };
  } finally {
    for (const pid of workerPids) signal(pid, 'SIGCONT'); // so that they hear the stop
    await patched?.stop();
    for (const b of bares) b.stop();
    await session.stop();
  }
}
