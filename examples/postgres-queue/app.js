// A supervise app that works a job queue kept in PostgreSQL, from one host or many:
//
//   DATABASE_URL=postgres://… HOST_NAME=host-a supervise --app app.js --workers 4
//
// Worker 0 checks the queue's integrity on each loop and repairs what it may (lib/checker.js);
// workers 1..N each claim one job at a time with FOR UPDATE SKIP LOCKED, do it under a lease, and
// record its result (lib/jobs.js). Any number of hosts may run this against the same database: the
// database, not supervise, shares the work out. supervise keeps each host's processes alive.
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkOnce } from './lib/checker.js';
import { readConfig } from './lib/config.js';
import { claimJob, completeJob, releaseJob, renewLease } from './lib/jobs.js';
import { doJob, resultChecksum } from './lib/work.js';

const config = readConfig();
let pool;
let me;

/** Prints one line about something worth knowing (not every job: that would drown the log). */
function say(message) {
  console.log(`${me.host} worker[${me.worker}] pid=${me.pid}: ${message}`);
}

/** Once per worker process: one small pool, closed in beforeExit. */
export function afterFork(id) {
  me = { host: config.host, worker: id, pid: process.pid };
  // A worker does one thing at a time, on one connection (the lease renewals queue on it too).
  pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1, application_name: `supervise ${me.host} worker[${id}]` });
  pool.on('error', (error) => say(`idle connection lost: ${error.message}`));
}

/**
 * Once, after the worker's last task (a stop, a reload, the master's death): closes the pool, so
 * PostgreSQL sees a clean goodbye rather than a dropped connection. On a quick stop the last task
 * has already handed its job back (it saw ctx.signal abort).
 */
export async function beforeExit() {
  await pool.end();
}

/** One task: worker 0 checks the queue, every other worker does one job. */
export async function workerStart(id, ctx) {
  if (id === 0) await checkQueue(ctx.signal);
  else await workOneJob(ctx.signal);
}

/** Worker 0's task: one integrity pass (if no other host's checker holds the lock), then a pause. */
async function checkQueue(signal) {
  const db = await pool.connect();
  try {
    const result = await checkOnce(db, me);
    for (const r of result.acted ? result.repairs : []) {
      const from = r.from_host ? ` (was ${r.from_host} worker[${r.from_worker}] pid=${r.from_pid})` : '';
      say(`repaired job ${r.job_id}: ${r.kind}${from}`);
    }
  } finally {
    db.release();
  }
  await sleep(config.checkEveryMs, undefined, { signal });
}

/** A job worker's task: claim a job and do it under a lease, or wait a little if there is none. */
async function workOneJob(signal) {
  const db = await pool.connect();
  let claim = null;
  try {
    claim = await claimJob(db, me, config.leaseSeconds);
    if (claim !== null) await workUnderLease(db, claim, signal);
  } finally {
    db.release();
  }
  if (claim === null) await sleep(config.idleMs, undefined, { signal });
}

/**
 * Does a claimed job while renewing its lease every third of the lease. If the lease is lost (this
 * worker stalled longer than the lease and worker 0 re-queued the job) the job is cut short; on a
 * quick stop it is handed back to the queue. Only a claim still ours is completed.
 */
async function workUnderLease(db, claim, stopSignal) {
  const leaseLost = new AbortController();
  const renew = setInterval(async () => {
    const ours = await renewLease(db, claim, config.leaseSeconds).catch(() => false);
    if (!ours) leaseLost.abort(new Error('lease lost'));
  }, (config.leaseSeconds * 1000) / 3);
  try {
    const output = await doJob(claim.payload, config.jobMs, AbortSignal.any([stopSignal, leaseLost.signal]));
    clearInterval(renew);
    if (!(await completeJob(db, claim, output, resultChecksum(claim.id, output)))) {
      say(`job ${claim.id} was taken back before it completed; its result is dropped`);
    }
  } catch (error) {
    clearInterval(renew);
    if (leaseLost.signal.aborted) return say(`job ${claim.id}: lease lost, left to worker 0`);
    if (stopSignal.aborted) {
      await releaseJob(db, claim);
      return say(`job ${claim.id} handed back: stopping`);
    }
    throw error;
  }
}
