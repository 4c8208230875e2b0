#!/usr/bin/env node
// Waits until the queue is drained (no job queued or claimed) and every result's checksum holds,
// printing progress; exits 1 if that takes longer than SECONDS: `node scripts/wait-drained.mjs 120`.
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

const seconds = Number(process.argv[2] ?? 120);
const deadline = Date.now() + seconds * 1000;
const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();
try {
  let lastPrint = 0;
  for (;;) {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE state = 'queued')::int AS queued,
              count(*) FILTER (WHERE state = 'claimed')::int AS claimed,
              count(*) FILTER (WHERE state = 'done')::int AS done,
              (SELECT count(*)::int FROM results
                WHERE checksum <> encode(sha256(convert_to(job_id::text || ':' || output, 'UTF8')), 'hex')) AS bad
         FROM jobs`,
    );
    const { queued, claimed, done, bad } = rows[0];
    if (queued === 0 && claimed === 0 && bad === 0) break;
    if (Date.now() - lastPrint >= 1000) {
      console.error(`wait-drained: ${done} done, ${claimed} claimed, ${queued} queued`);
      lastPrint = Date.now();
    }
    if (Date.now() > deadline) {
      console.error(`wait-drained: still ${queued} queued and ${claimed} claimed after ${seconds} s`);
      process.exitCode = 1;
      break;
    }
    await sleep(100);
  }
} finally {
  await db.end();
}
