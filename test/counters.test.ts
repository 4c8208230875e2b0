// Counters never go back: what retired ids did stays in status() and the Prometheus metrics for
// the master's life, and an id that comes back carries its own history on.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Supervisor, formatMetrics } from '../dist/index.js';
import { fixture, killStarted, track, waitFor } from './helpers.js';

after(killStarted);

/** The value of the unlabelled sample `name` in Prometheus text. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line !== undefined, `${name} in:\n${text}`);
  return Number(line.split(' ')[1]);
}

describe('counters never go back', () => {
  it('after scaling down past a restarted id, restarts and tasks keep what it did; it gets them back when it returns', async () => {
    const sv = new Supervisor({ app: fixture('app.cjs'), workers: 3, quiet: true, env: { TASK_MS: '20' } });
    sv.on('fork', (w) => track(w.pid));
    try {
      await sv.start();
      const first = sv.workers.find((w) => w.id === 2)!.pid!;
      process.kill(first, 'SIGKILL');
      await waitFor(() => sv.workers.find((w) => w.id === 2 && w.state === 'running' && w.pid !== first), 45_000, 'worker 2 respawned');
      await waitFor(async () => (await sv.status()).workers.find((w) => w.id === 2)!.tasks > 0, 45_000, 'worker 2 did tasks');
      const before = await sv.status();
      assert.equal(before.restarts, 1);
      assert.equal(sample(formatMetrics(before), 'supervise_restarts_total'), 1);
      const id2Tasks = before.workers.find((w) => w.id === 2)!.tasks;

      await sv.scale(1);
      const scaled = await sv.status();
      assert.deepEqual(scaled.workers.map((w) => w.id), [0]);
      assert.equal(scaled.restarts, 1, 'the retired id 2 restart still counts');
      assert.equal(sample(formatMetrics(scaled), 'supervise_restarts_total'), 1);
      assert.ok(scaled.tasks >= before.tasks, `tasks ${scaled.tasks} >= ${before.tasks}`);
      assert.ok(sample(formatMetrics(scaled), 'supervise_tasks_total') >= before.tasks);

      await sv.scale(3);
      const back = await sv.status();
      const id2 = back.workers.find((w) => w.id === 2)!;
      assert.equal(id2.restarts, 1, 'id 2 comes back with its own restarts');
      assert.ok(id2.tasks >= id2Tasks, `id 2 tasks ${id2.tasks} >= ${id2Tasks}`);
      assert.equal(back.restarts, 1);
    } finally {
      await sv.stop();
    }
  });
});
