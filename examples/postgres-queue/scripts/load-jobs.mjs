#!/usr/bin/env node
// Creates the queue's tables (idempotent) and queues COUNT new jobs: `node scripts/load-jobs.mjs 2000`.
// Needs DATABASE_URL. In production the schema would be a migration and jobs would come from your app.
import pg from 'pg';
import { readFileSync } from 'node:fs';

const count = Number(process.argv[2] ?? 1000);
if (!Number.isSafeInteger(count) || count < 0) throw new Error(`job count ${JSON.stringify(process.argv[2])} is not a whole number`);
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set');

const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();
try {
  await db.query(readFileSync(new URL('../lib/schema.sql', import.meta.url), 'utf8'));
  const { rowCount } = await db.query(
    `INSERT INTO jobs (payload) SELECT 'job-' || n || '-' || md5(random()::text) FROM generate_series(1, $1) AS n`,
    [count],
  );
  console.error(`load-jobs: queued ${rowCount} jobs`);
} finally {
  await db.end();
}
