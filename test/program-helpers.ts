/** Helpers shared by the program-pool tests: the job-loop fixtures and reading their output. */
import { execFileSync } from 'node:child_process';
import { fixture, track, waitFor, type RunningCli } from './helpers.js';

export const SH = fixture('job-loop.sh');
export const PY = fixture('job_loop.py');

/** True when `name` runs from PATH. */
function installed(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
export const HAS_PYTHON = installed('python3');

/** The command for job loop `kind`: the shell fixture, or the Python one through python3. */
export function jobLoop(kind: 'sh' | 'py'): string[] {
  return kind === 'sh' ? [SH, '{id}'] : ['python3', PY, '{id}'];
}

/** Program pids by id, latest per id, from the fixtures' "pid P id I" lines; each is tracked for killStarted. */
export function programPids(cli: RunningCli): Map<number, number> {
  const pids = new Map<number, number>();
  for (const m of cli.stdout().matchAll(/^pid (\d+) id (\d+)/gm)) {
    track(Number(m[1]));
    pids.set(Number(m[2]), Number(m[1]));
  }
  return pids;
}

/** Every job the programs started that has no "done" line: the jobs cut. */
export function cutJobs(out: string): string[] {
  const done = new Set([...out.matchAll(/^job (\S+) done/gm)].map((m) => m[1]));
  return [...out.matchAll(/^job (\S+) start/gm)].map((m) => m[1]!).filter((job) => !done.has(job));
}

/** Waits until each of ids 0..n-1 has a job started. */
export function jobsStarted(cli: RunningCli, n: number, ms = 45_000): Promise<unknown> {
  return waitFor(() => Array.from({ length: n }, (_, i) => new RegExp(`^job ${i}\\.[\\d.]+ start`, 'm')).every((re) => re.test(cli.stdout())), ms, `a job started on each of ${n} ids in:\n${cli.stdout()}`);
}
