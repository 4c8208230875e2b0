'use strict';
/**
 * Runs worker.cjs's task loop in a plain process, as an app would under Node cluster, throng, pm2
 * or supervisord: loop until SIGTERM/SIGINT, then finish the current task and exit. It adds no
 * master-death detection of its own: what happens when the master dies is the system's doing.
 */
const { workerStart } = require('./worker.cjs');

/** Calls workerStart(id) in a loop until asked to stop, then exits 0. */
function run(id) {
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  (async () => {
    while (!stopping) await workerStart(id);
    process.exit(0);
  })();
}

module.exports = { run };

if (require.main === module) run(Number(process.env.BENCH_ID || 0));
