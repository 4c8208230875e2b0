// Worker 0's job: check the queue's integrity and repair what it safely can.
//
// Every host runs a worker 0, so the queue keeps its checker when any one host dies. The checks run
// in one transaction under a transaction-level advisory lock: when two hosts' workers 0 arrive at
// once, one acts and the other skips this round (pg_try_ never waits). The lock goes with the
// transaction, so a checker killed mid-way holds nothing.
//
// The invariants:
//   1. every claimed job belongs to a live worker: its lease is current (live workers renew it);
//      a job whose lease expired is re-queued, and its late worker can no longer complete it;
//   2. every result's checksum matches its output; a result that does not is dropped and its job
//      re-queued, to be done again;
//   3. every done job has its result; one that has none is re-queued.
// Every repair is written to `repairs`, every pass to `checks`.

/** Key of the advisory lock that lets one checker act at a time, across all hosts. */
const CHECKER_LOCK = 7_340_001;

/** The columns that clear a claim, shared by every re-queue. */
const REQUEUE = `state = 'queued', claimed_by_host = NULL, claimed_by_worker = NULL, claimed_by_pid = NULL,
                 lease_until = NULL, done_at = NULL`;

/** Re-queues jobs whose lease ran out (their worker died or hung); returns the repairs. */
async function requeueExpiredLeases(db, me) {
  const { rows } = await db.query(
    `WITH expired AS (
       SELECT id, claimed_by_host, claimed_by_worker, claimed_by_pid FROM jobs
        WHERE state = 'claimed' AND lease_until < now()
          FOR UPDATE SKIP LOCKED
     ), requeued AS (
       UPDATE jobs SET ${REQUEUE} FROM expired WHERE jobs.id = expired.id
       RETURNING expired.*
     )
     INSERT INTO repairs (job_id, kind, from_host, from_worker, from_pid, by_host, by_worker, by_pid)
     SELECT id, 'lease-expired', claimed_by_host, claimed_by_worker, claimed_by_pid, $1, $2, $3 FROM requeued
     RETURNING job_id, kind, from_host, from_worker, from_pid`,
    [me.host, me.worker, me.pid],
  );
  return rows;
}

/** Drops results whose checksum does not match and re-queues their jobs; returns the repairs. */
async function redoBadChecksums(db, me) {
  const { rows } = await db.query(
    `WITH bad AS (
       DELETE FROM results
        WHERE checksum <> encode(sha256(convert_to(job_id::text || ':' || output, 'UTF8')), 'hex')
       RETURNING job_id, host, worker, pid
     ), requeued AS (
       UPDATE jobs SET ${REQUEUE} WHERE id IN (SELECT job_id FROM bad)
     )
     INSERT INTO repairs (job_id, kind, from_host, from_worker, from_pid, by_host, by_worker, by_pid)
     SELECT job_id, 'bad-checksum', host, worker, pid, $1, $2, $3 FROM bad
     RETURNING job_id, kind, from_host, from_worker, from_pid`,
    [me.host, me.worker, me.pid],
  );
  return rows;
}

/** Re-queues done jobs that have no result (none should exist: both are written in one transaction). */
async function redoMissingResults(db, me) {
  const { rows } = await db.query(
    `WITH missing AS (
       SELECT id FROM jobs
        WHERE state = 'done' AND NOT EXISTS (SELECT 1 FROM results WHERE results.job_id = jobs.id)
          FOR UPDATE SKIP LOCKED
     ), requeued AS (
       UPDATE jobs SET ${REQUEUE} FROM missing WHERE jobs.id = missing.id RETURNING jobs.id
     )
     INSERT INTO repairs (job_id, kind, by_host, by_worker, by_pid)
     SELECT id, 'done-without-result', $1, $2, $3 FROM requeued
     RETURNING job_id, kind, from_host, from_worker, from_pid`,
    [me.host, me.worker, me.pid],
  );
  return rows;
}

/** Counts jobs by state and records this pass in `checks`. */
async function recordPass(db, me, repaired) {
  const { rows } = await db.query(
    `INSERT INTO checks (host, pid, queued, claimed, done, repaired)
     SELECT $1, $2, count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'claimed'),
            count(*) FILTER (WHERE state = 'done'), $3
       FROM jobs
     RETURNING queued, claimed, done`,
    [me.host, me.pid, repaired],
  );
  return rows[0];
}

/**
 * Runs one integrity pass for `me` ({ host, worker, pid }) on a pooled client `db`. Returns
 * { acted: false } when another host's checker holds the lock, else { acted: true, repairs, counts }.
 */
export async function checkOnce(db, me) {
  await db.query('BEGIN');
  try {
    const { rows } = await db.query('SELECT pg_try_advisory_xact_lock($1) AS got', [CHECKER_LOCK]);
    if (!rows[0].got) {
      await db.query('ROLLBACK');
      return { acted: false };
    }
    const repairs = [
      ...(await requeueExpiredLeases(db, me)),
      ...(await redoBadChecksums(db, me)),
      ...(await redoMissingResults(db, me)),
    ];
    const counts = await recordPass(db, me, repairs.length);
    await db.query('COMMIT');
    return { acted: true, repairs, counts };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
