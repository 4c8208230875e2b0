'use strict';
/**
 * Node's cluster module serving apps/http-hello.cjs with its default round robin (the primary
 * accepts and hands each connection to a worker), N workers, one forked again when it exits.
 */
const cluster = require('node:cluster');

if (cluster.isPrimary) {
  for (let i = 0; i < Number(process.env.BENCH_WORKERS); i++) cluster.fork();
  cluster.on('exit', () => cluster.fork());
} else {
  require('./http-hello.cjs');
}
