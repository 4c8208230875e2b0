/** readiness(): which pools are ready, and the one line per id that is not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readiness, readinessText } from '../../dist/services/probes.js';

const worker = (id: number, state: string) => ({ id, pid: 100 + id, state, restarts: 0, startedAt: undefined }) as never;

describe('readiness', () => {
  it('is ready when running with every id running, ids past the size ignored', () => {
    const verdict = readiness({ state: 'running', size: 2, workers: [worker(0, 'running'), worker(1, 'running'), worker(2, 'stopping')] });
    assert.deepEqual(verdict, { ready: true, reasons: [] });
    assert.equal(readinessText(verdict), 'ok\n');
  });

  it('names each id that is down, and a missing one', () => {
    const verdict = readiness({ state: 'running', size: 4, workers: [worker(0, 'running'), worker(1, 'waiting'), worker(2, 'loading')] });
    assert.equal(verdict.ready, false);
    assert.equal(readinessText(verdict), 'worker[1] waiting (respawn in backoff)\nworker[2] loading the app\nworker[3] missing\n');
  });

  it('is not ready while the master starts or stops', () => {
    assert.deepEqual(readiness({ state: 'starting', size: 1, workers: [] }).reasons, ['master starting']);
    assert.deepEqual(readiness({ state: 'stopping', size: 1, workers: [worker(0, 'running')] }).reasons, ['master stopping']);
  });
});
