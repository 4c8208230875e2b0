#!/usr/bin/env node
/**
 * `make bench`: first the side-by-side measures (cold: boot and respawn of supervise, cluster and
 * the spawn floor interleaved; http; seed), then every system on the same worker app, one at a
 * time: boot, respawn, master death, master cost, task-loop overhead, reload, memory. Writes
 * bench/results/latest.json, the tables in docs/benchmarks.md and the respawn chart
 * docs/benchmarks-chart.svg.
 *
 *   node bench/run.mjs [--systems supervise,pm2] [--measures boot,respawn] [--boot 4,32,128]
 *                      [--kills 20] [--cost-seconds 30] [--out FILE] [--docs DIR|none]
 *                      [--budget SECONDS] [--reloads 5] [--overhead-rounds 20]
 *                      [--seed-shapes 256x1,16x16,8x32] [--http-workers 2] [--http-seconds 5]
 *                      [--http-rounds 2] [--merge] [--smoke]
 *
 * --merge: keep, from the earlier --out file, every figure this run did not measure (each table
 * says when and under what load its figures were taken).
 * --smoke: supervise only, boot of 2 workers, one kill, master death of idle workers: the quick
 * run `make check` uses to prove the harness works.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH, ROOT } from './lib/paths.mjs';
import { killTracked } from './lib/procs.mjs';
import { measureBoot } from './measures/boot.mjs';
import { measureCold } from './measures/cold.mjs';
import { measureFloor } from './measures/floor.mjs';
import { measureMemory, memoryOf } from './measures/memory.mjs';
import { masterCostOf, measureMasterCost } from './measures/master-cost.mjs';
import { measureMasterDeath } from './measures/master-death.mjs';
import { measureSeed } from './measures/seed.mjs';
import { measureHttp } from './measures/http.mjs';
import { measureOverhead } from './measures/overhead.mjs';
import { measureReload } from './measures/reload.mjs';
import { writeReport } from './report/write.mjs';
import { SYSTEMS } from './systems/index.mjs';
import { measureRespawn } from './measures/respawn.mjs';

/** Measures run for each system in turn. */
const SYSTEM_MEASURES = ['boot', 'respawn', 'death', 'overhead', 'reload', 'cost', 'memory'];
/** Measures that compare several systems side by side in one interleaved run, run once before the rest. */
const RUN_MEASURES = ['cold', 'seed', 'http'];
const ALL_MEASURES = [...RUN_MEASURES, ...SYSTEM_MEASURES];
/** What `make bench` runs unless told otherwise: what fits in its 10 minutes (cold, http and seed: `make bench-more`). */
const DEFAULT_MEASURES = ['boot', 'respawn', 'death', 'overhead', 'reload', 'cost', 'memory'];

/** A mistake in the command line: one line, exit 2. */
function usage(message) {
  return Object.assign(new Error(message), { usage: true });
}

/** The run's settings from argv (the smoke preset first, flags over it). */
function settings() {
  const { values } = parseArgs({
    options: {
      systems: { type: 'string' },
      measures: { type: 'string' },
      boot: { type: 'string' },
      kills: { type: 'string' },
      'cost-seconds': { type: 'string' },
      out: { type: 'string' },
      docs: { type: 'string' },
      budget: { type: 'string' },
      reloads: { type: 'string' },
      'overhead-rounds': { type: 'string' },
      'seed-shapes': { type: 'string' },
      'http-workers': { type: 'string' },
      'http-seconds': { type: 'string' },
      'http-rounds': { type: 'string' },
      smoke: { type: 'boolean' },
      merge: { type: 'boolean' },
    },
  });
  const smoke = values.smoke ?? false;
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const config = {
    systems: list(values.systems ?? (smoke ? 'supervise' : SYSTEMS.map((s) => s.id).join(','))),
    measures: list(values.measures ?? (smoke ? 'boot,respawn,death' : DEFAULT_MEASURES.join(','))),
    memorySizes: [32, 128],
    bootSizes: list(values.boot ?? (smoke ? '2' : '4,32,128')).map(Number),
    kills: Number(values.kills ?? (smoke ? 1 : 20)),
    respawnWorkers: smoke ? 2 : 4,
    deathWorkers: smoke ? 2 : 8,
    deathScenarios: smoke ? ['idle'] : ['idle', 'busy'],
    costSeconds: Number(values['cost-seconds'] ?? 30),
    floorRuns: smoke ? 3 : 10,
    reloads: Number(values.reloads ?? 5),
    handoverFloorRuns: 4,
    overheadRounds: Number(values['overhead-rounds'] ?? 20),
    coldRounds: smoke ? { 2: 1 } : { 4: 5, 32: 3, 128: 2 },
    coldKills: smoke ? 1 : 12,
    seedShapes: list(values['seed-shapes'] ?? '256x1,16x16,8x32').map((x) => x.split('x').map(Number)),
    seedWindowS: 10,
    httpWorkers: Number(values['http-workers'] ?? 2),
    httpSeconds: Number(values['http-seconds'] ?? 5),
    httpRounds: Number(values['http-rounds'] ?? 2),
    budgetS: Number(values.budget ?? 500),
  };
  const badMeasures = config.measures.filter((m) => !ALL_MEASURES.includes(m));
  if (badMeasures.length > 0) throw usage(`unknown measure(s): ${badMeasures.join(', ')}; known: ${ALL_MEASURES.join(', ')}`);
  const unknown = config.systems.filter((id) => !SYSTEMS.some((s) => s.id === id));
  if (unknown.length > 0) throw usage(`unknown system(s): ${unknown.join(', ')}; known: ${SYSTEMS.map((s) => s.id).join(', ')}`);
  const out = resolve(values.out ?? join(BENCH, 'results', 'latest.json'));
  const docs = values.docs === 'none' ? undefined : resolve(values.docs ?? join(ROOT, 'docs'));
  return { config, out, docs, merge: values.merge ?? false };
}

/** Writes one progress line to stderr with the elapsed time. */
function progress(t0, text) {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${text}\n`);
}

/** Workers of the master-cost measurement (the 32). */
const COST_WORKERS = 32;

/**
 * The measurements to run for `system`, each a thunk returning its result (or a skip);
 * `record(name, value)` stores a result a step measured on the side.
 */
function plan(system, config, tmp, record) {
  // The master cost is measured on the 32-worker boot when both run: one boot fewer per system.
  const costInBoot = config.measures.includes('boot') && config.measures.includes('cost') && config.bootSizes.includes(COST_WORKERS);
  // Memory is read on the boots of the same N when both run; the sizes boot lacks get their own.
  const memoryInBoot = config.measures.includes('boot') && config.measures.includes('memory') ? config.memorySizes.filter((n) => config.bootSizes.includes(n)) : [];
  const memoryAlone = config.memorySizes.filter((n) => !memoryInBoot.includes(n));
  const failed = (error) => ({ error: String(error.message).split('\n')[0] });
  const cost = (session) => masterCostOf(session, { workers: COST_WORKERS, seconds: config.costSeconds }).then(
    (value) => record('cost', value),
    (error) => record('cost', failed(error)),
  );
  const memory = {};
  const memoryAt = (n) => (session) => memoryOf(session, n).then(
    (value) => void (memory[n] = value),
    (error) => void (memory[n] = failed(error)),
  );
  const whileUp = {};
  for (const n of config.bootSizes) {
    const hooks = [...(memoryInBoot.includes(n) ? [memoryAt(n)] : []), ...(costInBoot && n === COST_WORKERS ? [cost] : [])];
    if (hooks.length > 0) whileUp[n] = async (session) => {
      for (const hook of hooks) await hook(session);
    };
  }
  const steps = {
    boot: async () => {
      const value = await measureBoot(system, { sizes: config.bootSizes, tmp, whileUp });
      if (memoryInBoot.length > 0) record('memory', memory);
      return value;
    },
    memory: async () => {
      if (memoryAlone.length > 0) Object.assign(memory, await measureMemory(system, { sizes: memoryAlone, tmp }));
      return memory;
    },
    respawn: () => measureRespawn(system, { workers: config.respawnWorkers, kills: config.kills, settleMs: system.id.includes('spares') ? 300 : 150, tmp }),
    death: () => measureMasterDeath(system, { workers: config.deathWorkers, scenarios: config.deathScenarios, tmp }),
    overhead: () => (system.id === 'supervise' ? measureOverhead(system, { rounds: config.overheadRounds, tmp }) : undefined),
    reload: async () => {
      if (system.reload === undefined) return undefined;
      if (system.reload.skip) return { skipped: system.reload.skip };
      const probe = system.reload.probe ? await system.reload.probe(mkdtempSync(join(tmp, 'probe-'))) : { ok: true };
      if (!probe.ok) return { skipped: probe.why };
      const reloads = system.reload.once ? 1 : config.reloads;
      return measureReload(system, { reloads, floorRounds: system.id === 'supervise' ? config.handoverFloorRuns : 0, tmp });
    },
    cost: () => measureMasterCost(system, { workers: COST_WORKERS, seconds: config.costSeconds, tmp }),
  };
  return config.measures.filter((name) => SYSTEM_MEASURES.includes(name) && !(costInBoot && name === 'cost')).map((name) => [name, steps[name]]);
}

/** The 1, 5 and 15 minute load averages now (what `uptime` shows). */
function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** One of RUN_MEASURES, over the systems of the run it needs (those not selected are left out, or the measure is skipped). */
async function runMeasure(name, config, tmp) {
  const pick = (ids) => SYSTEMS.filter((s) => ids.includes(s.id) && config.systems.includes(s.id));
  if (name === 'cold') {
    const systems = pick(['cluster', 'supervise']);
    if (!systems.some((s) => s.id === 'supervise')) return { skipped: 'supervise not among --systems' };
    return measureCold(systems, { sizes: config.bootSizes, rounds: config.coldRounds, kills: config.coldKills, tmp });
  }
  if (name === 'seed') {
    const [supervise] = pick(['supervise']);
    if (supervise === undefined) return { skipped: 'supervise not among --systems' };
    const [supervisord] = pick(['supervisord']);
    return measureSeed({ supervise, supervisord }, { shapes: config.seedShapes, windowS: config.seedWindowS, tmp });
  }
  if (name === 'http') {
    const ids = { supervise: 'supervise', cluster: 'cluster', pm2: 'pm2', unicorn: 'unicorn' };
    const selected = Object.keys(ids).filter((id) => config.systems.includes(id) || (id === 'unicorn' && config.systems.includes('unicorn-preload')));
    if (!selected.includes('supervise')) return { skipped: 'supervise not among --systems' };
    return measureHttp({ selected, workers: config.httpWorkers, seconds: config.httpSeconds, rounds: config.httpRounds, tmp });
  }
  throw new Error(`${name}: unknown`);
}

/** Notes when, under what load and by which command the measure `key` was taken. */
function stamp(results, key) {
  results.stamps ??= {};
  results.stamps[key] = { at: new Date().toISOString(), load: loadAverage(), argv: results.argv };
}

/**
 * --merge: what the earlier results at `out` measured and this run did not (another measure, a
 * system left out) is carried over with its own stamp, so that a run of a few measures updates
 * their tables and leaves the others as they were measured.
 */
function mergeEarlier(results, out) {
  let earlier;
  try {
    earlier = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    return;
  }
  if (earlier.schema !== results.schema) return;
  results.stamps ??= {};
  const carry = (key, from, to, name) => {
    if (to[name] !== undefined || from[name] === undefined) return;
    to[name] = from[name];
    results.stamps[key] = earlier.stamps?.[key] ?? { at: earlier.startedAt, load: earlier.load?.before, argv: earlier.argv };
  };
  for (const name of RUN_MEASURES) carry(`run.${name}`, earlier, results, name);
  for (const old of earlier.systems ?? []) {
    let entry = results.systems.find((s) => s.id === old.id);
    if (entry === undefined) {
      entry = { id: old.id, label: old.label, version: old.version, skipped: old.skipped };
      results.systems.push(entry);
    }
    for (const name of SYSTEM_MEASURES) carry(`${old.id}.${name}`, old, entry, name);
  }
  const order = SYSTEMS.map((s) => s.id);
  results.systems.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  results.merged = true;
}

/** Runs everything and writes the results; returns them. */
async function main() {
  const { config, out, docs, merge } = settings();
  const t0 = performance.now();
  const tmp = mkdtempSync(join(tmpdir(), 'supervise-bench-'));
  const results = {
    schema: 1,
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, kernel: release(), node: process.version },
    argv: process.argv.slice(2).join(' '),
    config,
    floor: undefined,
    systems: [],
    durationS: undefined,
  };
  try {
    progress(t0, 'floor: node -e 0');
    results.floor = await measureFloor({ runs: config.floorRuns });
    results.load = { before: loadAverage() };
    for (const name of RUN_MEASURES.filter((m) => config.measures.includes(m))) {
      if ((performance.now() - t0) / 1000 > config.budgetS) {
        results[name] = { skipped: `time budget of ${config.budgetS} s spent before this step` };
        continue;
      }
      progress(t0, `${name} (side by side)`);
      try {
        results[name] = await runMeasure(name, config, tmp);
        stamp(results, `run.${name}`);
      } catch (error) {
        results[name] = { error: String(error.message).split('\n').slice(0, 3).join(' ') };
        progress(t0, `${name} failed: ${results[name].error}`);
      } finally {
        killTracked();
      }
    }
    for (const system of SYSTEMS.filter((s) => config.systems.includes(s.id))) {
      const probe = await system.probe().catch((error) => ({ ok: false, why: error.message }));
      const entry = { id: system.id, label: system.label, version: probe.version ?? null, skipped: probe.ok ? null : probe.why };
      results.systems.push(entry);
      if (!probe.ok) {
        progress(t0, `${system.label}: skipped: ${probe.why}`);
        continue;
      }
      const record = (name, value) => {
        entry[name] = value;
        stamp(results, `${system.id}.${name}`);
      };
      for (const [name, step] of plan(system, config, tmp, record)) {
        if ((performance.now() - t0) / 1000 > config.budgetS) {
          entry[name] = { skipped: `time budget of ${config.budgetS} s spent before this step` };
          continue;
        }
        progress(t0, `${system.label}: ${name}`);
        try {
          const value = await step();
          if (value !== undefined) record(name, value);
        } catch (error) {
          entry[name] = { error: String(error.message).split('\n').slice(0, 3).join(' ') };
          progress(t0, `${system.label}: ${name} failed: ${entry[name].error}`);
        } finally {
          killTracked();
        }
      }
    }
  } finally {
    killTracked();
    rmSync(tmp, { recursive: true, force: true });
  }
  if (results.load) results.load.after = loadAverage();
  results.durationS = Math.round((performance.now() - t0) / 100) / 10;
  if (merge) mergeEarlier(results, out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  progress(t0, `wrote ${out}`);
  if (docs !== undefined) {
    const written = writeReport(results, docs);
    for (const file of written) progress(t0, `wrote ${file}`);
  }
  return results;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killTracked();
    process.exit(130);
  });
}

main().catch((error) => {
  killTracked();
  if (error.usage) {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
