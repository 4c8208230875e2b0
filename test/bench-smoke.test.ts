/**
 * Smoke test of the benchmark harness (bench/run.mjs --smoke): supervise only, two workers, one
 * kill. Checks the harness runs to the end and writes results, markdown and chart of a sane shape;
 * the figures themselves belong to `make bench`, not to a test.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, killStarted, tempDir, track } from './helpers.js';

const RUN = join(ROOT, 'bench', 'run.mjs');

after(killStarted);

/** Runs the harness with `args`, SIGKILLed after `ms`; resolves with its exit and output. */
function harness(args: string[], ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    track(child.pid);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** True for a finite number in (0, max). */
function sane(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value < max;
}

describe('benchmark harness smoke', () => {
  it('measures supervise (boot, one respawn, master death) and writes JSON, markdown and SVG', async () => {
    const tmp = tempDir('supervise-bench-smoke-');
    const out = join(tmp.dir, 'latest.json');
    const docs = join(tmp.dir, 'docs');
    const run = await harness(['--smoke', '--out', out, '--docs', docs, '--budget', '40'], 50_000);
    assert.equal(run.code, 0, `harness failed (${run.signal ?? run.code}):\n${run.stderr}`);

    const results = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(results.schema, 1);
    assert.ok(sane(results.floor.nodeColdMs, 10_000), `floor: ${JSON.stringify(results.floor)}`);
    assert.ok(sane(results.floor.nodeIdleRssMb, 4096), `idle RSS: ${JSON.stringify(results.floor)}`);
    assert.equal(results.systems.length, 1);
    const [sv] = results.systems;
    assert.equal(sv.id, 'supervise');
    assert.equal(sv.skipped, null);
    assert.ok(sane(sv.boot?.['2'], 30_000), `boot: ${JSON.stringify(sv.boot)}`);
    assert.equal(sv.respawn?.kills, 1, `respawn: ${JSON.stringify(sv.respawn)}`);
    assert.equal(sv.respawn.samplesMs.length, 1);
    assert.ok(sane(sv.respawn.medianMs, 10_000), `respawn: ${JSON.stringify(sv.respawn)}`);
    assert.equal(sv.respawn.medianMs, sv.respawn.samplesMs[0]);
    const idle = sv.death?.idle;
    assert.equal(idle?.processes, 2, `death: ${JSON.stringify(sv.death)}`);
    assert.ok(Number.isInteger(idle.orphans) && idle.orphans >= 0 && idle.orphans <= 2);
    assert.ok(idle.goneMs === null ? idle.orphans > 0 : idle.goneMs >= 0 && idle.goneMs < 3000, `death: ${JSON.stringify(idle)}`);

    const md = readFileSync(join(docs, 'benchmarks.md'), 'utf8');
    assert.match(md, /<!-- bench:results:begin[\s\S]*\| supervise \(cold\) \|[\s\S]*<!-- bench:results:end -->/);
    assert.match(md, /!\[respawn latency per system\]\(benchmarks-chart\.svg\)/);
    const svg = readFileSync(join(docs, 'benchmarks-chart.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*supervise \(cold\)[\s\S]*<\/svg>\n$/);
    tmp.remove();
  });

  it('refuses an unknown system or measure in one line, naming the known ones, and writes nothing', async () => {
    const tmp = tempDir('supervise-bench-smoke-');
    const out = join(tmp.dir, 'latest.json');
    const run = await harness(['--systems', 'nope', '--out', out, '--docs', 'none'], 45_000);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^bench: unknown system\(s\): nope; known: supervise, supervise-spares, cluster.*\n$/);
    const measure = await harness(['--measures', 'cold,nope', '--out', out, '--docs', 'none'], 45_000);
    assert.equal(measure.code, 2);
    assert.match(measure.stderr, /^bench: unknown measure\(s\): nope; known: cold, seed, http, boot, .*memory\n$/);
    assert.equal(existsSync(out), false);
    tmp.remove();
  });
});
