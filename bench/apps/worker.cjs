'use strict';
/**
 * The one tiny worker app every Node-based system runs: a supervise app (workerStart), and, through
 * standalone.cjs, a cluster worker, a throng worker, a pm2 script and a supervisord program.
 *
 * It tells the harness what it does by appending one line per event to the file $BENCH_EVENTS:
 *   <event> <id> <pid> <CLOCK_MONOTONIC ns> <code version>
 * A synchronous O_APPEND write is atomic for such short lines, survives an immediate process.exit
 * (an async socket send may not), and the embedded monotonic time means the harness's own polling
 * delay never enters a measurement. Ruby (bench_events.rb) writes the same lines.
 *
 * Modes ($BENCH_MODE):
 *   idle  - each task waits $BENCH_IDLE_MS (an empty queue polled); no task events
 *   busy  - each task waits $BENCH_TASK_MS, with `start` and `end` events around it
 *   empty - each task returns at once and is counted; `count` events report the total and the
 *           process's CPU time so far, as `<count>:<cpu µs>`
 */
const fs = require('node:fs');

const MODE = process.env.BENCH_MODE || 'idle';
const TASK_MS = Number(process.env.BENCH_TASK_MS || 200);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS || 100);
/** How often `empty` mode reports its count (only seen when the loop yields, as supervise's does). */
const COUNT_EVERY_MS = Number(process.env.BENCH_COUNT_MS || 250);

// The code version is read once, when the app loads: a worker started after the file changed
// runs "new code", which is how the reload measurement tells old workers from new ones.
const VERSION = process.env.BENCH_VERSION_FILE ? fs.readFileSync(process.env.BENCH_VERSION_FILE, 'utf8').trim() : '1';
const fd = process.env.BENCH_EVENTS ? fs.openSync(process.env.BENCH_EVENTS, 'a') : undefined;

let started = false;
let count = 0;

/** Appends one event line for the harness. */
function emit(event, id, extra) {
  if (fd === undefined) return;
  const line = `${event} ${id} ${process.pid} ${process.hrtime.bigint()} ${VERSION}${extra === undefined ? '' : ' ' + extra}\n`;
  fs.writeSync(fd, line);
}

/** Appends a `count` event: the tasks so far and this process's CPU time (user + system, µs). */
function emitCount(id) {
  const cpu = process.cpuUsage();
  emit('count', id, `${count}:${cpu.user + cpu.system}`);
}

/** Resolves after `ms` milliseconds. */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Announces readiness once, on the first task: "about to do work" is the same moment in every system. */
function announce(id) {
  started = true;
  emit('ready', id);
  if (MODE === 'empty') setInterval(() => emitCount(id), COUNT_EVERY_MS).unref();
}

/** One task; called again and again by whichever system drives this worker. */
async function workerStart(id) {
  if (!started) announce(id);
  if (MODE === 'empty') {
    count++;
    return;
  }
  if (MODE === 'busy') {
    emit('start', id);
    await sleep(TASK_MS);
    emit('end', id);
    return;
  }
  await sleep(IDLE_MS);
}

/** How many tasks ran so far (for the bare loop). */
function taskCount() {
  return count;
}

module.exports = { workerStart, taskCount, emit, emitCount };
