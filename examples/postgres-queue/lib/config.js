// Settings from the environment, read once per process. Every host of one queue shares
// DATABASE_URL; HOST_NAME tells the hosts apart in the jobs table (default: the machine's name,
// which in Kubernetes is the pod's name).
import { hostname } from 'node:os';

/** Reads a positive number from the environment, or the default; a bad value stops the start. */
function positive(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name}=${JSON.stringify(raw)} is not a positive number`);
  return value;
}

/** Reads a number ≥ 0 from the environment, or the default. */
function nonNegative(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value >= 0)) throw new Error(`${name}=${JSON.stringify(raw)} is not a number ≥ 0`);
  return value;
}

/** The settings of this process. */
export function readConfig() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set (e.g. postgres://user@db.internal:5432/queue)');
  return Object.freeze({
    databaseUrl,
    host: process.env.HOST_NAME || hostname(),
    // A claimed job belongs to its worker while the lease runs; the worker renews it every third of it.
    leaseSeconds: positive('LEASE_SECONDS', 10),
    // How long a job's simulated I/O takes (a request to another service, say).
    jobMs: nonNegative('JOB_MS', 20),
    // How long a job worker waits before looking again when the queue is empty.
    idleMs: positive('IDLE_MS', 250),
    // How often worker 0 runs its integrity checks.
    checkEveryMs: positive('CHECK_EVERY_MS', 1000),
  });
}
