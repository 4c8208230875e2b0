'use strict';
/**
 * The floor for task-loop overhead: worker.cjs's own workerStart awaited in a bare loop in plain
 * Node, no supervisor. Runs until killed and reports like a supervised worker does: `count` events
 * (tasks so far and CPU µs, see worker.cjs) every $BENCH_COUNT_MS, read from the clock every 2^16
 * calls (a bare loop never yields, so no timer could report for it).
 *
 * BENCH_BARE_YIELD=yield: the loop also yields to the event loop (setImmediate) once 5 ms of tasks
 * have passed, reading the clock every 16 tasks, as supervise's loop does so that IPC and signals
 * are heard: that part of supervise's overhead is the cost any loop that can be told to stop pays.
 * BENCH_BARE_YIELD=clock: reads the clock every 16 tasks as that loop does, but never yields (its
 * count then comes from the inline check, as the bare loop's): the clock reads' share of it.
 */
const { workerStart, emitCount } = require('./worker.cjs');

const ID = process.env.BENCH_ID || 'bare';
const COUNT_NS = BigInt(Math.round(Number(process.env.BENCH_COUNT_MS || 20) * 1e6));
const VARIANT = process.env.BENCH_BARE_YIELD || 'none';
/** supervise's YIELD_AFTER_MS and MAX_TASKS_PER_CLOCK_READ (src/worker/entry.cts). */
const YIELD_AFTER_MS = 5;
const TASKS_PER_CLOCK_READ = 16;

/** The loop without yielding: nothing but the awaited call and a cheap counter test. */
async function bare() {
  let calls = 0;
  let last = process.hrtime.bigint();
  for (;;) {
    await workerStart(ID);
    if ((++calls & 0xffff) !== 0) continue;
    const now = process.hrtime.bigint();
    if (now - last >= COUNT_NS) {
      emitCount(ID);
      last = now;
    }
  }
}

/** The loop with supervise's yield: the count is reported by worker.cjs's own interval timer. */
async function yielding() {
  let batch = 0;
  let lastTurn = performance.now();
  for (;;) {
    await workerStart(ID);
    if (++batch < TASKS_PER_CLOCK_READ) continue;
    batch = 0;
    const now = performance.now();
    if (now - lastTurn >= YIELD_AFTER_MS) {
      await new Promise((resume) => setImmediate(resume));
      lastTurn = performance.now();
    }
  }
}

/** The clock reads of the yielding loop without the yield; counts reported inline. */
async function clockOnly() {
  let batch = 0;
  let reads = 0;
  let lastRead = 0;
  let last = process.hrtime.bigint();
  for (;;) {
    await workerStart(ID);
    if (++batch < TASKS_PER_CLOCK_READ) continue;
    batch = 0;
    lastRead = performance.now() - lastRead; // used, so that the read is not optimised away
    if ((++reads & 0xfff) !== 0) continue; // 1 read in 4096 also looks at the report clock
    const now = process.hrtime.bigint();
    if (now - last >= COUNT_NS) {
      emitCount(ID);
      last = now;
    }
  }
}

const LOOPS = { none: bare, clock: clockOnly, yield: yielding };
if (LOOPS[VARIANT] === undefined) throw new Error(`BENCH_BARE_YIELD: unknown variant ${JSON.stringify(VARIANT)}; known: ${Object.keys(LOOPS).join(', ')}`);
void LOOPS[VARIANT]();
