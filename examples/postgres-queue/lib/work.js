// The job itself, and the checksum that vouches for its result. Replace doJob with your own work;
// keep it idempotent: a job whose worker died mid-way is done again by another worker.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** sha256 hex of a string. */
function sha256(text) {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Does one job: a little CPU (hashing the payload) and some simulated I/O of `jobMs`. The signal
 * cuts the I/O short on a quick stop or when the lease is lost; the job then throws AbortError.
 */
export async function doJob(payload, jobMs, signal) {
  let digest = payload;
  for (let round = 0; round < 1000; round++) digest = sha256(digest);
  await sleep(jobMs, undefined, { signal });
  return digest;
}

/**
 * The checksum stored beside a result: sha256 of "<jobId>:<output>". Worker 0 recomputes it in SQL
 * (see checker.js), so a result changed after it was written (by hand, a bad migration, a torn
 * write) is found and the job done again.
 */
export function resultChecksum(jobId, output) {
  return sha256(`${jobId}:${output}`);
}
