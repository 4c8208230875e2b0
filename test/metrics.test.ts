/**
 * --metrics on a real pool: scraped over HTTP, the text parses and its values follow the pool
 * (workers by state, tasks growing, a SIGKILLed worker counted in restarts and respawn latency);
 * only /metrics is served, to a loopback Host only; the embedding API serves it too and a stop
 * closes it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Supervisor } from '../dist/index.js';
import { httpRequest } from './http-client.js';
import { metric, parsePrometheus, type Family } from './prometheus-text.js';
import { fixture, isAlive, killStarted, startCli, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

/** Scrapes `url` and parses the answer, checking status and content type. */
async function scrape(url: string): Promise<Map<string, Family>> {
  const answer = await httpRequest(url);
  assert.equal(answer.status, 200, answer.body);
  assert.equal(answer.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(answer.body);
}

describe('--metrics', () => {
  it('serves Prometheus text whose values follow the pool, a SIGKILLed worker included', async () => {
    const tmp = tempDir();
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1', '--metrics', '127.0.0.1:0', '--control', join(tmp.dir, 'sock')], {
      env: { TASK_MS: '20' },
    });
    const url = (await cli.waitForLog(/metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)/))[1]!;
    await cli.waitForLog(/master ready/);

    const first = await scrape(url);
    assert.equal(metric(first, 'supervise_workers', { state: 'running' }), 2);
    assert.equal(metric(first, 'supervise_pool_size'), 2);
    assert.equal(metric(first, 'supervise_paused'), 0);
    assert.equal(metric(first, 'supervise_restarts_total'), 0);
    assert.equal(metric(first, 'supervise_respawn_latency_seconds_count'), 0);
    assert.ok(metric(first, 'supervise_master_resident_memory_bytes')! > 10 * 1048576, 'the master has some RSS');
    assert.ok(metric(first, 'supervise_worker_resident_memory_bytes', { id: '1' })! > 10 * 1048576, 'worker 1 has some RSS');
    const tasksBefore = metric(first, 'supervise_tasks_total')!;

    // Tasks of 20 ms: the count grows between scrapes, and the histogram counts what the total counts.
    const second = await waitFor(async () => {
      const m = await scrape(url);
      return metric(m, 'supervise_tasks_total')! >= tasksBefore + 10 ? m : undefined;
    }, 10_000, 'supervise_tasks_total to grow');
    const durations = metric(second, 'supervise_task_duration_seconds_count')!;
    assert.ok(durations > 0 && durations <= metric(second, 'supervise_tasks_total')!, `${durations} durations`);
    assert.ok(metric(second, 'supervise_task_duration_seconds_bucket', { le: '0.01' })! < durations, 'tasks of 20 ms are above the 10 ms bucket');
    assert.equal(
      metric(second, 'supervise_worker_tasks_total', { id: '0' })! + metric(second, 'supervise_worker_tasks_total', { id: '1' })!,
      metric(second, 'supervise_tasks_total'),
    );

    const victim = cli.workerPids().get(0)!;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !isAlive(victim), 45_000, 'the SIGKILLed worker gone');
    const third = await waitFor(async () => {
      const m = await scrape(url);
      return metric(m, 'supervise_respawn_latency_seconds_count') === 1 && metric(m, 'supervise_workers', { state: 'running' }) === 2 ? m : undefined;
    }, 10_000, 'the respawn counted and the pool whole again');
    cli.workerPids().forEach((pid) => track(pid));
    assert.equal(metric(third, 'supervise_restarts_total'), 1);
    assert.equal(metric(third, 'supervise_worker_restarts_total', { id: '0' }), 1);
    assert.equal(metric(third, 'supervise_worker_restarts_total', { id: '1' }), 0);
    assert.equal(metric(third, 'supervise_respawn_latency_seconds_bucket', { le: '+Inf' }), 1);
    const latency = metric(third, 'supervise_respawn_latency_seconds_sum')!;
    assert.ok(latency > 0 && latency < 10, `respawn latency ${latency} s`);
    assert.ok(metric(third, 'supervise_tasks_total')! >= metric(second, 'supervise_tasks_total')!, 'a counter never goes back');

    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('serves /metrics only, to GET, to a loopback Host only (no DNS rebinding)', async () => {
    const tmp = tempDir();
    const cli = startCli(['--app', fixture('app.cjs'), '--metrics', '127.0.0.1:0', '--control', join(tmp.dir, 'sock')]);
    const url = new URL((await cli.waitForLog(/metrics (http:\/\/\S+)/))[1]!);
    assert.equal((await httpRequest(new URL('/nope', url).href)).status, 404);
    assert.equal((await httpRequest(url.href, { method: 'POST' })).status, 405);
    const rebound = await httpRequest(url.href, { headers: { Host: `attacker.example:${url.port}` } });
    assert.equal(rebound.status, 421);
    assert.doesNotMatch(rebound.body, /supervise_/);
    assert.equal((await httpRequest(url.href, { headers: { Host: `localhost:${url.port}` } })).status, 200);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    tmp.remove();
  });

  it('refuses a non-loopback address without a token, in one line, before any worker', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--metrics', '0.0.0.0:0']);
    const { code } = await cli.exited;
    assert.equal(code, 2);
    assert.equal(
      cli.stderr(),
      'supervise: refusing --metrics "0.0.0.0:0": not a loopback address; serving beyond this machine needs --dashboard-token (or SUPERVISE_DASHBOARD_TOKEN)\n',
    );
  });
});

describe('metrics from the embedding API', () => {
  it('serves on the port it reports and stops serving at stop()', async () => {
    const sv = new Supervisor({ app: fixture('app.cjs'), workers: 1, metrics: '127.0.0.1:0', quiet: true });
    sv.on('fork', (w) => track(w.pid));
    await sv.start();
    const url = sv.metricsUrl;
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.doesNotMatch(url!, /:0\//);
    const m = await scrape(url!);
    assert.equal(metric(m, 'supervise_workers', { state: 'running' }), 1);
    assert.equal(metric(m, 'supervise_worker_start_time_seconds', { id: '0' }), sv.workers[0]!.startedAt!.getTime() / 1000);
    await sv.stop();
    assert.equal(sv.metricsUrl, undefined);
    await assert.rejects(httpRequest(url!), /ECONNREFUSED/);
  });
});
