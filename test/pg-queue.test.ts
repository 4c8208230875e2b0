/**
 * The PostgreSQL job-queue example (examples/postgres-queue) under fire: three supervise masters
 * stand for three hosts on one throwaway PostgreSQL. Mid-run we corrupt a result, crash host-b
 * whole (master and workers SIGKILLed), SIGKILL host-c's master alone, and SIGKILL host-a's workers
 * (job workers and the checker) mid-job. Every job must still end done exactly once with a sound
 * result, each lease of a dead worker recovered by a worker 0, and host-c's workers must finish
 * the jobs they held when their master died. A last host then shows a quick stop (TERM) handing
 * its jobs in hand straight back to the queue.
 *
 * PostgreSQL comes from Debian's packages through examples/postgres-queue/scripts/pg-up.sh (which
 * installs it with apt-get if missing); the test skips only when that is impossible here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, isAlive, killStarted, parentOf, startCli, track, waitFor, type RunningCli } from './helpers.js';

const EXAMPLE = join(ROOT, 'examples', 'postgres-queue');
const SCRIPTS = join(EXAMPLE, 'scripts');
const JOBS = 100;
const run = promisify(execFile);

/** The slice of node-postgres's Client this test uses (pg ships no types; @types/pg is not worth a dependency). */
interface PgClient {
  connect(): Promise<void>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  end(): Promise<void>;
}

/** A job that was claimed by a process at the moment that process died. */
interface Orphan {
  readonly job: number;
  readonly pid: number;
}

let skipReason: string | undefined;
let pgDir: string | undefined;
let databaseUrl = '';
let db: PgClient | undefined;

/** Installs the example's own dependency (pg) unless it is there already. */
async function installExampleDeps(): Promise<void> {
  if (existsSync(join(EXAMPLE, 'node_modules', 'pg', 'package.json'))) return;
  await run('npm', ['ci', '--prefix', EXAMPLE, '--no-audit', '--no-fund'], { timeout: 120_000, killSignal: 'SIGKILL' });
}

/** Starts the throwaway PostgreSQL (installing it if needed); sets skipReason when that cannot be done here. */
async function startPostgres(): Promise<void> {
  try {
    const { stdout } = await run('bash', [join(SCRIPTS, 'pg-up.sh')], { timeout: 540_000, killSignal: 'SIGKILL' });
    databaseUrl = /^DATABASE_URL=(.+)$/m.exec(stdout)?.[1] ?? '';
    pgDir = /^PG_DIR=(.+)$/m.exec(stdout)?.[1];
    assert.ok(databaseUrl && pgDir, `pg-up.sh printed DATABASE_URL and PG_DIR:\n${stdout}`);
  } catch (error) {
    const failed = error as { code?: unknown; stderr?: string };
    if (failed.code === 77) skipReason = `no PostgreSQL: ${failed.stderr?.trim()}`;
    else throw error;
  }
}

/** Pids of the live processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => parentOf(child) === pid && isAlive(child));
}

/** Runs a query on the test's own connection. */
async function query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
  assert.ok(db, 'connected to PostgreSQL');
  return (await db.query<R>(sql, params)).rows;
}

/** The jobs a host's process holds (state claimed, by that pid) right now. */
async function heldBy(host: string, pid?: number): Promise<Orphan[]> {
  const rows = await query<{ id: string; claimed_by_pid: number }>(
    `SELECT id, claimed_by_pid FROM jobs WHERE state = 'claimed' AND claimed_by_host = $1 AND ($2::int IS NULL OR claimed_by_pid = $2)`,
    [host, pid ?? null],
  );
  return rows.map((r) => ({ job: Number(r.id), pid: r.claimed_by_pid }));
}

/** What the example's doJob computes for a payload: the test's own oracle for every result. */
function expectedOutput(payload: string): string {
  let digest = payload;
  for (let round = 0; round < 1000; round++) digest = createHash('sha256').update(digest, 'utf8').digest('hex');
  return digest;
}

/** The master's exit code and signal, or 'timeout' if it has not exited within `ms`. */
async function exitedWithin(cli: RunningCli, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms, 'timeout')));
  try {
    return await Promise.race([cli.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The lease every host takes on a job; workers renew it every third of it. */
const LEASE_SECONDS = 2;

/**
 * Starts one "host": a supervise master running the example with 3 workers (0 checks, 1-2 work),
 * whose jobs each take `jobMs`.
 */
function startHost(name: string, jobMs: number): RunningCli {
  return startCli(['--app', join(EXAMPLE, 'app.js'), '--workers', '3', '--poll', '1', '--grace', '2'], {
    env: {
      DATABASE_URL: databaseUrl,
      HOST_NAME: name,
      JOB_MS: String(jobMs),
      LEASE_SECONDS: String(LEASE_SECONDS),
      CHECK_EVERY_MS: '100',
      IDLE_MS: '50',
    },
  });
}

/** True once worker 0 has recorded re-queuing `orphan`'s job from its pid after the lease ran out. */
async function leaseRecovered(orphan: Orphan): Promise<boolean> {
  const rows = await query(`SELECT 1 FROM repairs WHERE kind = 'lease-expired' AND job_id = $1 AND from_pid = $2`, [orphan.job, orphan.pid]);
  return rows.length > 0;
}

/**
 * What the PostgreSQL backends of a host's worker are doing: one state per connection of
 * application name `supervise <host> worker[<id>]` (the example names its pools so).
 */
async function backendStates(host: string, id: number): Promise<string[]> {
  const rows = await query<{ state: string | null }>(`SELECT state FROM pg_stat_activity WHERE application_name = $1`, [`supervise ${host} worker[${id}]`]);
  return rows.map((r) => r.state ?? 'unknown');
}

/**
 * Freezes (SIGSTOP) a host-a job worker holding a job until worker 0 has re-queued that job, then
 * lets it go on (SIGCONT): the late worker must see that the job is no longer its own, drop its
 * result, and carry on. Returns the job it had held.
 *
 * A worker frozen inside its completion's transaction (between its UPDATE and its COMMIT) holds
 * the job's row lock for as long as it is frozen, and worker 0's `FOR UPDATE SKIP LOCKED` rightly
 * passes over a locked row: that job is not recoverable until the transaction ends. So the worker
 * is frozen only once its connection is seen idle outside a transaction; frozen inside one, it is
 * let go and frozen again on its next job (seen on a loaded CI machine, where the window between
 * the two statements is long enough to be hit).
 */
async function stallWorkerPastLease(host: RunningCli): Promise<Orphan> {
  const pid = host.workerPids().get(1);
  assert.ok(pid, 'host-a worker[1] has a pid');
  for (let attempt = 1; ; attempt++) {
    await waitFor(async () => (await heldBy('host-a', pid)).length > 0, 45_000, 'host-a worker[1] to hold a job');
    process.kill(pid, 'SIGSTOP');
    try {
      // A statement sent just before the freeze still runs to its end: wait for the backend to settle.
      const states = await waitFor(
        async () => {
          const now = await backendStates('host-a', 1);
          return now.length > 0 && !now.includes('active') ? now : undefined;
        },
        45_000,
        "host-a worker[1]'s connection to settle once frozen",
      );
      const [held] = await heldBy('host-a', pid);
      if (held !== undefined && states.every((state) => state === 'idle')) {
        await waitFor(() => leaseRecovered(held), 45_000, `worker 0 to re-queue job ${held.job} of the frozen pid ${pid}`);
        return held;
      }
      assert.ok(attempt < 20, `host-a worker[1] was frozen inside a transaction (or holding nothing) ${attempt} times in a row: ${states.join(', ')}`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Let the worker end that transaction and take its next job before trying again.
    await waitFor(async () => (await backendStates('host-a', 1)).every((state) => state === 'idle'), 45_000, 'host-a worker[1] to leave its transaction');
  }
}

/** Quick-stops (TERM) each host still running, which hands its jobs back, and waits for it to exit. */
async function stopHosts(hosts: readonly RunningCli[]): Promise<void> {
  const running = hosts.filter((host) => isAlive(host.pid));
  for (const host of running) process.kill(host.pid, 'SIGTERM');
  await Promise.all(running.map((host) => exitedWithin(host, 45_000)));
}

/** SIGKILLs a master and all its workers at once, as when the machine under them dies. */
async function crashHost(host: RunningCli): Promise<void> {
  const victims = [host.pid, ...childrenOf(host.pid)];
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  await waitFor(() => victims.every((pid) => !isAlive(pid)), 45_000, 'every process of the crashed host to be gone');
}

/** SIGKILLs host-a's job workers one by one, each while it holds a job, until `count` jobs are orphaned. */
async function killWorkersMidJob(host: RunningCli, count: number): Promise<Orphan[]> {
  const orphans: Orphan[] = [];
  for (let round = 0; orphans.length < count && round < 20; round++) {
    const id = 1 + (round % 2);
    const pid = host.workerPids().get(id);
    assert.ok(pid, `host-a worker[${id}] has a pid`);
    await waitFor(async () => (await heldBy('host-a', pid)).length > 0, 45_000, `host-a worker[${id}] to hold a job`);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 45_000, `host-a worker[${id}] pid=${pid} to die`);
    // A dead process cannot change its rows: whatever it still holds now, it held when it died.
    orphans.push(...(await heldBy('host-a', pid)));
    await waitFor(() => host.workerPids().get(id) !== pid, 45_000, `host-a worker[${id}] to be respawned`);
  }
  return orphans;
}

before(
  async () => {
    await installExampleDeps();
    await startPostgres();
    if (skipReason) return;
    const pg = createRequire(join(EXAMPLE, 'package.json'))('pg') as { Client: new (config: { connectionString: string }) => PgClient };
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await run(process.execPath, [join(SCRIPTS, 'load-jobs.mjs'), String(JOBS)], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      timeout: 30_000,
    });
  },
  { timeout: 600_000 },
);

after(async () => {
  killStarted();
  await db?.end().catch(() => {});
  if (pgDir) await run('bash', [join(SCRIPTS, 'pg-down.sh'), pgDir], { timeout: 30_000, killSignal: 'SIGKILL' });
});

describe('examples/postgres-queue: three hosts on one PostgreSQL', () => {
  it('does every job exactly once while workers, a checker and whole hosts die; worker 0 recovers the leases', { timeout: 240_000 }, async (t) => {
    if (skipReason) return t.skip(skipReason);
    // host-c is the slow one: its jobs outlast the lease, so they complete only if the lease is renewed.
    const hostA = startHost('host-a', 200);
    const hostB = startHost('host-b', 200);
    const hostC = startHost('host-c', 1500 * LEASE_SECONDS);
    // Whatever happens below, no host of this test may outlive it: one left running would take the next test's jobs.
    t.after(() => stopHosts([hostA, hostB, hostC]));
    await Promise.all([hostA, hostB, hostC].map((h) => h.waitForLog(/master ready/, 45_000)));

    // Let the run get going: some results written, and host-b and host-c each busy on jobs.
    await waitFor(
      async () => (await query(`SELECT 1 FROM results`)).length >= 5 && (await heldBy('host-b')).length >= 2 && (await heldBy('host-c')).length >= 1,
      45_000,
      'results written and host-b, host-c mid-job',
    );

    // A result corrupted after it was written: worker 0 must find the bad checksum and redo the job.
    const [tampered] = await query<{ job_id: string }>(
      `UPDATE results SET output = output || '-tampered' WHERE job_id = (SELECT min(job_id) FROM results) RETURNING job_id`,
    );
    assert.ok(tampered);

    // host-b's machine dies: master and workers at once. Its jobs stay claimed until their leases run out.
    await crashHost(hostB);
    const orphansB = await heldBy('host-b');
    assert.ok(orphansB.length >= 1, 'host-b died holding at least one job');

    // host-c's master alone dies: its workers finish the job in hand, start no other, and exit.
    const workersC = childrenOf(hostC.pid);
    workersC.forEach(track);
    process.kill(hostC.pid, 'SIGKILL');
    const heldC = await heldBy('host-c');
    await waitFor(() => workersC.every((pid) => !isAlive(pid)), 45_000, "host-c's workers to finish their jobs and exit");

    // On host-a, the last host standing: a worker frozen past its lease loses its job and carries on.
    const stalled = await stallWorkerPastLease(hostA);
    await waitFor(
      () => new RegExp(`pid=${stalled.pid}: job ${stalled.job}(?: was taken back|: lease lost)`).test(hostA.stdout()),
      10_000,
      `the woken worker pid=${stalled.pid} to notice job ${stalled.job} is no longer its own`,
    );
    assert.ok(isAlive(stalled.pid), 'the late worker carried on: losing a lease is not a failure');

    // Then job workers die mid-job, and the checker once.
    const orphansA = await killWorkersMidJob(hostA, 2);
    assert.equal(orphansA.length >= 2, true, 'two host-a workers died holding a job');
    const checker = hostA.workerPids().get(0);
    assert.ok(checker);
    process.kill(checker, 'SIGKILL');

    // The queue drains on host-a alone: every job done, none claimed, no bad checksum left.
    await waitFor(
      async () => {
        const [s] = await query<{ open: number; bad: number }>(
          `SELECT (SELECT count(*)::int FROM jobs WHERE state <> 'done') AS open,
                  (SELECT count(*)::int FROM results
                    WHERE checksum <> encode(sha256(convert_to(job_id::text || ':' || output, 'UTF8')), 'hex')) AS bad`,
        );
        return s && s.open === 0 && s.bad === 0;
      },
      60_000,
      'every job to be done with a sound result',
    );
    process.kill(hostA.pid, 'SIGQUIT');
    assert.deepEqual(await exitedWithin(hostA, 45_000), { code: 0, signal: null }, 'host-a stopped gracefully');

    // Exactly once: one result per job, no job without one, and each result is the right output.
    const jobs = await query<{ id: string; payload: string; attempts: number; output: string | null; pid: number | null; checksum: string | null }>(
      `SELECT j.id, j.payload, j.attempts, r.output, r.pid, r.checksum FROM jobs j LEFT JOIN results r ON r.job_id = j.id ORDER BY j.id`,
    );
    assert.equal(jobs.length, JOBS, 'one row per job: no job lost, none duplicated by the join');
    const [{ results }] = (await query<{ results: number }>(`SELECT count(*)::int AS results FROM results`)) as [{ results: number }];
    assert.equal(results, JOBS, 'exactly one result per job');
    for (const job of jobs) {
      assert.equal(job.output, expectedOutput(job.payload), `job ${job.id} has the right output`);
      assert.equal(job.checksum, createHash('sha256').update(`${job.id}:${job.output}`).digest('hex'), `job ${job.id} has a sound checksum`);
    }
    const byId = new Map(jobs.map((j) => [Number(j.id), j]));

    // Every lease of a dead worker was recovered by a worker 0, and the job redone by someone else.
    const repairs = await query<{ job_id: string; kind: string; from_pid: number | null; by_host: string; by_worker: number }>(
      `SELECT job_id, kind, from_pid, by_host, by_worker FROM repairs`,
    );
    assert.ok(repairs.every((r) => r.by_worker === 0), 'only workers 0 repair');
    const recovered = (o: Orphan): (typeof repairs)[number] | undefined =>
      repairs.find((r) => r.kind === 'lease-expired' && Number(r.job_id) === o.job && r.from_pid === o.pid);
    assert.notEqual(byId.get(stalled.job)?.pid, stalled.pid, `job ${stalled.job} was completed by another worker than the frozen one`);
    for (const orphan of [...orphansA, ...orphansB]) {
      assert.ok(recovered(orphan), `job ${orphan.job} of dead pid ${orphan.pid} was re-queued after its lease`);
      assert.notEqual(byId.get(orphan.job)?.pid, orphan.pid, `job ${orphan.job} was completed by another worker`);
      assert.ok((byId.get(orphan.job)?.attempts ?? 0) >= 2, `job ${orphan.job} was claimed again`);
    }
    for (const orphan of orphansB) assert.equal(recovered(orphan)?.by_host, 'host-a', "host-b's leases were recovered by host-a's worker 0");

    // host-c's workers completed what they held when their master died, renewing leases their jobs
    // outlasted; nothing of theirs needed recovery.
    for (const held of heldC) assert.equal(byId.get(held.job)?.pid, held.pid, `job ${held.job} completed by the host-c worker holding it`);
    assert.ok(!repairs.some((r) => r.kind === 'lease-expired' && workersC.includes(r.from_pid ?? -1)), "no host-c worker left a lease behind");

    // The corrupted result was found by its checksum, dropped, and the job redone.
    assert.ok(
      repairs.some((r) => r.kind === 'bad-checksum' && r.job_id === tampered.job_id),
      `the tampered result of job ${tampered.job_id} was repaired`,
    );
  });

  it('on a quick stop (TERM) hands the jobs in hand straight back to the queue', { timeout: 60_000 }, async (t) => {
    if (skipReason) return t.skip(skipReason);
    await run(process.execPath, [join(SCRIPTS, 'load-jobs.mjs'), '4'], { env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 30_000 });
    const host = startHost('host-d', 10_000);
    await host.waitForLog(/master ready/, 45_000);
    await waitFor(async () => (await heldBy('host-d')).length === 2, 45_000, "host-d's two job workers to hold a job each");
    const held = await heldBy('host-d');
    process.kill(host.pid, 'SIGTERM');
    assert.deepEqual(await exitedWithin(host, 45_000), { code: 0, signal: null }, 'host-d stopped');
    const jobs = await query<{ id: string; state: string; claimed_by_pid: number | null }>(
      `SELECT id, state, claimed_by_pid FROM jobs WHERE id = ANY($1::bigint[])`,
      [held.map((h) => h.job)],
    );
    assert.deepEqual(
      jobs.map((j) => [j.state, j.claimed_by_pid]),
      held.map(() => ['queued', null]),
      'back in the queue at once, not left to a lease',
    );
    await host.outputEnded();
    for (const { job } of held) assert.match(host.stdout(), new RegExp(`job ${job} handed back: stopping`));
  });
});
