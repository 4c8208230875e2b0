/** Where things are: the checkout, the built CLI, the bench apps, and the env every worker app reads. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ */
export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
/** The checkout's root. */
export const ROOT = dirname(BENCH);
/** The worker apps and peer configs. */
export const APPS = join(BENCH, 'apps');
/** The built supervise CLI (the package's bin). */
export const CLI = join(ROOT, 'dist', 'cli', 'supervise.cjs');

/**
 * @typedef {object} StartOptions
 * @property {number} n                 workers
 * @property {'idle'|'busy'|'empty'} mode
 * @property {number} [taskMs]          busy task length
 * @property {number} [idleMs]          idle poll length
 * @property {number} [poll]            supervise --poll
 * @property {string} events            the event file
 * @property {string} dir               this start's temp dir
 * @property {string} [versionFile]     the "code version" file read by apps on load
 * @property {number} [countMs]         how often `empty` mode reports its count
 */

/** The environment every worker app reads (see apps/worker.cjs). */
export function workerEnv(opts) {
  return {
    BENCH_EVENTS: opts.events,
    BENCH_MODE: opts.mode,
    BENCH_TASK_MS: String(opts.taskMs ?? 200),
    BENCH_IDLE_MS: String(opts.idleMs ?? 100),
    BENCH_WORKERS: String(opts.n),
    BENCH_APPS: APPS,
    ...(opts.versionFile ? { BENCH_VERSION_FILE: opts.versionFile } : {}),
    ...(opts.countMs ? { BENCH_COUNT_MS: String(opts.countMs) } : {}),
  };
}
