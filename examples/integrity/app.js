// Integrity example: a job queue in plain files, worked by supervise. Worker 0 never takes jobs:
// it is the checker, and because ids are stable there is always exactly one checker, even after
// it is killed and respawned. Workers 1..N-1 claim jobs by rename and write checksummed results.
//
//   node examples/integrity/seed.js 40                                 # jobs in examples/integrity/out/
//   node dist/cli/supervise.cjs --app examples/integrity/app.js --workers 4 --poll 1
//
// Kill a worker (kill -9 <pid>): worker 0 puts its job back. Edit a results/<n>.json: worker 0
// prints CORRUPT and the job is done again. INTEGRITY_DIR=<dir> puts the queue elsewhere.
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLAIMED, CORRUPT, DONE, PENDING, RESULTS, checksumOf, list, makeLayout, sha256, tryRename, writeAtomic } from './queue.js';

/** How long a job's "real work" takes; long enough to kill a worker in the middle of one. */
const WORK_MS = 150;
/** How long an idle worker sleeps before looking at the queue again, rather than spinning. */
const IDLE_MS = 200;
/** How often worker 0 checks the whole queue. */
const CHECK_MS = 500;

export function afterFork(id) {
  makeLayout();
  if (id !== 0) mkdirSync(join(CLAIMED, String(id)), { recursive: true });
}

export async function workerStart(id, ctx) {
  if (id === 0) return check(ctx);
  const job = claim(id);
  if (job === undefined) return sleep(IDLE_MS, undefined, { signal: ctx.signal });
  await work(id, job, ctx);
}

// ---- workers 1..N-1 ----

/** Takes the first pending job by moving it into this worker's claim dir, named with our pid. */
function claim(id) {
  for (const name of list(PENDING).sort((a, b) => parseInt(a) - parseInt(b))) {
    const n = parseInt(name);
    const path = join(CLAIMED, String(id), `${n}.${process.pid}.json`);
    // Two workers may race for the same file: rename succeeds for exactly one, the other tries the next.
    if (tryRename(join(PENDING, name), path)) return { n, path, input: JSON.parse(readFileSync(path, 'utf8')).input };
  }
  return undefined;
}

/** Does one job: the result file first (atomically), then the job moves to done. */
async function work(id, job, ctx) {
  try {
    await sleep(WORK_MS, undefined, { signal: ctx.signal }); // stands for the real work
  } catch (error) {
    renameSync(job.path, join(PENDING, `${job.n}.json`)); // a quick stop hands the job back at once
    throw error;
  }
  const result = { n: job.n, input: job.input, output: sha256(job.input), worker: id, pid: process.pid };
  writeAtomic(join(RESULTS, `${job.n}.json`), JSON.stringify({ ...result, checksum: checksumOf(result) }) + '\n');
  // Killed right here? The result exists, so worker 0 moves the orphaned claim to done without redoing it.
  renameSync(job.path, join(DONE, `${job.n}.json`));
  console.log(`worker[${id}] done job ${job.n}`);
}

// ---- worker 0: the checker ----

let lastSummary = '';

/** One pass over the queue, then a pause; prints a summary line whenever it changes. */
async function check(ctx) {
  verifyResults();
  recoverClaims();
  requeueDoneWithoutResult();
  const claimed = list(CLAIMED, /^\d+$/).reduce((sum, id) => sum + list(join(CLAIMED, id), /\.json$/).length, 0);
  const summary = `pending=${list(PENDING).length} claimed=${claimed} done=${list(DONE).length} corrupt=${list(CORRUPT, /\.json$/).length}`;
  if (summary !== lastSummary) console.log(`worker[0] ${summary}`);
  lastSummary = summary;
  await sleep(CHECK_MS, undefined, { signal: ctx.signal });
}

/** True while a process with this pid exists. (A pid can be reused; good enough for an example.) */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Claims whose worker pid is dead go back to pending, or to done when their result was written. */
function recoverClaims() {
  for (const id of list(CLAIMED, /^\d+$/)) {
    for (const name of list(join(CLAIMED, id), /^\d+\.\d+\.json$/)) {
      const [n, pid] = name.split('.').map(Number);
      if (isAlive(pid)) continue;
      const hasResult = resultState(n) === 'ok';
      tryRename(join(CLAIMED, id, name), join(hasResult ? DONE : PENDING, `${n}.json`));
      console.log(`worker[0] job ${n}: worker[${id}] pid=${pid} died holding it; ${hasResult ? 'its result was written, job done' : 'back to pending'}`);
    }
  }
  // Half-written temp results of dead workers are debris.
  for (const name of list(RESULTS, /\.\d+\.tmp$/)) if (!isAlive(Number(name.split('.').at(-2)))) unlinkSync(join(RESULTS, name));
}

/** 'ok', 'missing', or 'corrupt' when the result does not parse or its checksum does not match. */
function resultState(n) {
  let result;
  try {
    result = JSON.parse(readFileSync(join(RESULTS, `${n}.json`), 'utf8'));
  } catch (error) {
    return error.code === 'ENOENT' ? 'missing' : 'corrupt';
  }
  return result?.checksum === checksumOf(result) ? 'ok' : 'corrupt';
}

/** Moves every corrupt result aside (first, so a redo cannot be mistaken for it) and re-queues its job. */
function verifyResults() {
  for (const name of list(RESULTS)) {
    const n = parseInt(name);
    if (resultState(n) !== 'corrupt') continue;
    const path = join(RESULTS, name);
    console.log(`CORRUPT ${path}`);
    renameSync(path, join(CORRUPT, `${n}.${Date.now()}.json`));
    tryRename(join(DONE, name), join(PENDING, name));
  }
}

/** A done job with no result (worker 0 died between its two moves above) is re-queued. */
function requeueDoneWithoutResult() {
  for (const name of list(DONE)) {
    if (!existsSync(join(RESULTS, name))) tryRename(join(DONE, name), join(PENDING, name));
  }
}
