// The smallest supervise app: each task sleeps a little and says which worker ran it.
import { setTimeout as sleep } from 'node:timers/promises';

export function afterFork(id) {
  console.log(`worker[${id}] pid=${process.pid} loaded the app`);
}

export async function workerStart(id, ctx) {
  const ms = 500 + Math.floor(Math.random() * 1500);
  console.log(`worker[${id}] pid=${process.pid} task: sleeping ${ms} ms`);
  // Passing ctx.signal lets a quick stop (TERM/INT) cut the wait short instead of waiting for --grace.
  await sleep(ms, undefined, { signal: ctx.signal });
}
