/**
 * What a `supervise` started from inside a pool (in a worker, or in a program a pool runs) must
 * not take from the environment it inherited.
 */

/**
 * Removes from `env` what a pool gives its workers and would otherwise read as this command's
 * options: SUPERVISE_WORKER_ID always; inside a program (SUPERVISE_NOTIFY_FD set) that fd and
 * SUPERVISE_WORKERS, the pool's size.
 */
export function forgetPoolEnv(env: NodeJS.ProcessEnv = process.env): void {
  delete env['SUPERVISE_WORKER_ID'];
  if (env['SUPERVISE_NOTIFY_FD'] !== undefined) {
    delete env['SUPERVISE_NOTIFY_FD'];
    delete env['SUPERVISE_WORKERS'];
  }
}
