// The pool's app in the embed example: each task stands for taking one message off a queue.
import { setTimeout as sleep } from 'node:timers/promises';

let tasks = 0;

export function afterFork(id) {
  console.log(`worker[${id}] pid=${process.pid} up`);
}

export async function workerStart(id, ctx) {
  await sleep(1000, undefined, { signal: ctx.signal }); // the signal lets a quick stop end the wait at once
  if (++tasks % 10 === 0) console.log(`worker[${id}] pid=${process.pid} ${tasks} tasks done`);
}
