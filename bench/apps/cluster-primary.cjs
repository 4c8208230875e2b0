'use strict';
/**
 * A minimal Node cluster primary, as the Node docs show it, plus the usual respawn on `exit`; each
 * worker keeps its id (BENCH_ID) across respawns so ids stay comparable with supervise's.
 */
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  const idOf = new Map();
  /** Forks a worker for `id`. */
  const fork = (id) => idOf.set(cluster.fork({ BENCH_ID: String(id) }).id, id);
  for (let id = 0; id < Number(process.env.BENCH_WORKERS); id++) fork(id);
  cluster.on('exit', (worker) => {
    const id = idOf.get(worker.id);
    idOf.delete(worker.id);
    fork(id);
  });
} else {
  require('./standalone.cjs').run(Number(process.env.BENCH_ID));
}
