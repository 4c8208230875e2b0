'use strict';
/**
 * The floor for task-loop overhead: worker.cjs's own workerStart awaited in a bare loop in plain
 * Node, no supervisor. Prints {"calls":…, "ns":…} for the calls made between 1 s and 1+$BENCH_SECONDS s
 * (the first second warms the JIT, as the supervise run's first second does).
 */
const { workerStart } = require('./worker.cjs');

const WARM_NS = 1_000_000_000n;
const RUN_NS = BigInt(Math.round(Number(process.env.BENCH_SECONDS || 3) * 1e9));

/** Runs the loop and prints the count for the measured window. */
async function main() {
  const t0 = process.hrtime.bigint();
  let calls = 0;
  let from = -1;
  let fromNs = 0n;
  for (;;) {
    await workerStart(0);
    calls++;
    if ((calls & 0xffff) !== 0) continue;
    const now = process.hrtime.bigint();
    if (from < 0 && now - t0 >= WARM_NS) {
      from = calls;
      fromNs = now;
    } else if (from >= 0 && now - fromNs >= RUN_NS) {
      process.stdout.write(JSON.stringify({ calls: calls - from, ns: String(now - fromNs) }) + '\n');
      return;
    }
  }
}

main();
