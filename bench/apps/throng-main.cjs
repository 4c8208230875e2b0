'use strict';
/** throng driving the shared worker: its master revives a worker on every disconnect. */
const throng = require('throng');

throng({
  count: Number(process.env.BENCH_WORKERS),
  grace: 2000,
  // throng's ids are cluster worker ids, 1-based and new on every respawn: not stable ids.
  worker: (id) => require('./standalone.cjs').run(id - 1),
});
