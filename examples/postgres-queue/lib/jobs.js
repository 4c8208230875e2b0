// The job worker's side of the queue: claim a job with a lease, renew the lease while working,
// complete it (result and state in one transaction, guarded by the lease), or hand it back.
//
// A claim is identified by (job id, host, pid, attempt). Every write after the claim repeats that
// guard, so a worker whose lease expired and was re-queued by worker 0 can no longer touch the job:
// its completion updates no row and its result is thrown away. That, plus the primary key on
// results.job_id, is what makes each job complete exactly once, however many workers die.

/** The WHERE clause every write on a claimed job repeats: it still is ours. */
const OURS = `id = $1 AND state = 'claimed' AND claimed_by_host = $2 AND claimed_by_pid = $3 AND attempts = $4`;

/** The guard's parameters for a claim, in the order OURS uses them. */
function guard(claim) {
  return [claim.id, claim.host, claim.pid, claim.attempt];
}

/**
 * Claims the oldest queued job for `me` ({ host, worker, pid }) with a lease of `leaseSeconds`, or
 * returns null when none is queued. SKIP LOCKED lets any number of workers on any number of hosts
 * claim at once without waiting on each other or taking the same row.
 */
export async function claimJob(db, me, leaseSeconds) {
  const { rows } = await db.query(
    `UPDATE jobs
        SET state = 'claimed', claimed_by_host = $1, claimed_by_worker = $2, claimed_by_pid = $3,
            lease_until = now() + make_interval(secs => $4), attempts = attempts + 1, claimed_at = now()
      WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING id, payload, attempts`,
    [me.host, me.worker, me.pid, leaseSeconds],
  );
  if (rows.length === 0) return null;
  const [row] = rows;
  return { id: Number(row.id), payload: row.payload, attempt: row.attempts, ...me };
}

/** Extends the lease; false when the job is no longer ours (worker 0 re-queued it). */
export async function renewLease(db, claim, leaseSeconds) {
  const { rowCount } = await db.query(
    `UPDATE jobs SET lease_until = now() + make_interval(secs => $5) WHERE ${OURS}`,
    [...guard(claim), leaseSeconds],
  );
  return rowCount === 1;
}

/**
 * Records the result and marks the job done, in one transaction, only if the claim is still ours.
 * Returns false (and writes nothing) when the lease was lost meanwhile.
 */
export async function completeJob(db, claim, output, checksum) {
  await db.query('BEGIN');
  try {
    const { rowCount } = await db.query(
      `UPDATE jobs SET state = 'done', done_at = now(), lease_until = NULL WHERE ${OURS}`,
      guard(claim),
    );
    if (rowCount !== 1) {
      await db.query('ROLLBACK');
      return false;
    }
    await db.query(
      `INSERT INTO results (job_id, host, worker, pid, attempt, output, checksum) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [claim.id, claim.host, claim.worker, claim.pid, claim.attempt, output, checksum],
    );
    await db.query('COMMIT');
    return true;
  } catch (error) {
    await db.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Hands an unfinished job back to the queue at once (on a quick stop), rather than after its lease. */
export async function releaseJob(db, claim) {
  await db.query(
    `UPDATE jobs SET state = 'queued', claimed_by_host = NULL, claimed_by_worker = NULL, claimed_by_pid = NULL,
            lease_until = NULL
      WHERE ${OURS}`,
    guard(claim),
  );
}
