#!/usr/bin/env node
// Prints the throughput of a run and an integrity report of the queue, from the database alone:
// `node scripts/report.mjs`. Exits 1 if any job is not done exactly once with a sound result.
import pg from 'pg';

const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();

/** Runs a query and returns its rows. */
async function rows(sql) {
  return (await db.query(sql)).rows;
}

/** Prints the throughput overall, per host and per worker. */
async function printThroughput() {
  // From the first claim to the last result: the time the hosts spent draining the queue.
  const [span] = await rows(
    `SELECT (SELECT count(*)::int FROM results) AS jobs,
            extract(epoch FROM (SELECT max(finished_at) FROM results) - (SELECT min(claimed_at) FROM jobs))::float AS seconds`,
  );
  const seconds = span.seconds ?? 0;
  console.log(`throughput: ${span.jobs} jobs in ${seconds.toFixed(2)} s = ${(span.jobs / seconds).toFixed(1)} jobs/s`);
  for (const h of await rows(`SELECT host, count(*)::int AS jobs, count(DISTINCT pid)::int AS pids FROM results GROUP BY host ORDER BY host`)) {
    console.log(`  ${h.host}: ${h.jobs} jobs (${(h.jobs / seconds).toFixed(1)} jobs/s) by ${h.pids} worker processes`);
  }
  const workers = await rows(`SELECT host, worker, count(*)::int AS jobs FROM results GROUP BY host, worker ORDER BY host, worker`);
  console.log(`  per worker: ${workers.map((w) => `${w.host}/${w.worker}=${w.jobs}`).join(' ')}`);
}

/** Prints the integrity report; returns the list of problems found. */
async function printIntegrity() {
  const [c] = await rows(
    `SELECT (SELECT count(*)::int FROM jobs) AS jobs,
            (SELECT count(*)::int FROM jobs WHERE state = 'done') AS done,
            (SELECT count(*)::int FROM jobs WHERE state <> 'done') AS unfinished,
            (SELECT count(*)::int FROM results) AS results,
            (SELECT count(*)::int FROM jobs j WHERE state = 'done' AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_id = j.id)) AS missing,
            (SELECT count(*)::int FROM (SELECT job_id FROM results GROUP BY job_id HAVING count(*) > 1) d) AS duplicated,
            (SELECT count(*)::int FROM results
              WHERE checksum <> encode(sha256(convert_to(job_id::text || ':' || output, 'UTF8')), 'hex')) AS bad,
            (SELECT count(*)::int FROM jobs WHERE attempts > 1) AS retried`,
  );
  console.log('integrity:');
  console.log(`  jobs ${c.jobs}, done ${c.done}, unfinished ${c.unfinished}, results ${c.results}`);
  console.log(`  done without a result ${c.missing}, jobs with more than one result ${c.duplicated}, bad checksums ${c.bad}`);
  console.log(`  jobs claimed more than once (a worker died or stopped mid-job) ${c.retried}`);
  for (const r of await rows(`SELECT kind, by_host, by_worker, count(*)::int AS n FROM repairs GROUP BY 1, 2, 3 ORDER BY 1, 2`)) {
    console.log(`  repaired ${r.n} × ${r.kind}, by ${r.by_host} worker[${r.by_worker}]`);
  }
  for (const p of await rows(`SELECT host, count(*)::int AS n FROM checks GROUP BY host ORDER BY host`)) {
    console.log(`  integrity passes run by ${p.host} worker[0]: ${p.n}`);
  }
  const problems = [];
  if (c.unfinished > 0) problems.push(`${c.unfinished} jobs not done`);
  if (c.results !== c.done || c.missing > 0) problems.push(`${c.done} done jobs but ${c.results} results`);
  if (c.duplicated > 0) problems.push(`${c.duplicated} jobs with several results`);
  if (c.bad > 0) problems.push(`${c.bad} results with a bad checksum`);
  return problems;
}

try {
  await printThroughput();
  const problems = await printIntegrity();
  console.log(problems.length === 0 ? 'verdict: every job done exactly once, every checksum sound' : `verdict: PROBLEM: ${problems.join('; ')}`);
  if (problems.length > 0) process.exitCode = 1;
} finally {
  await db.end();
}
