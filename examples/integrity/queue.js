// The on-disk layout of the integrity example's job queue, and the few file operations it is built on.
// A job file is always in exactly one of jobs/pending, jobs/claimed/<id>, jobs/done: every move is a
// rename(2), which is atomic within one file system, so no two workers can ever hold the same job.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Root of the queue: $INTEGRITY_DIR, or out/ next to this file. */
export const ROOT = process.env.INTEGRITY_DIR || join(import.meta.dirname, 'out');
export const PENDING = join(ROOT, 'jobs', 'pending');
export const CLAIMED = join(ROOT, 'jobs', 'claimed');
export const DONE = join(ROOT, 'jobs', 'done');
export const RESULTS = join(ROOT, 'results');
/** Where worker 0 moves results whose checksum does not match. */
export const CORRUPT = join(ROOT, 'results', 'corrupt');

/** Creates every directory of the layout (idempotent). */
export function makeLayout() {
  for (const dir of [PENDING, CLAIMED, DONE, CORRUPT]) mkdirSync(dir, { recursive: true });
}

/** Hex sha256 of a string. */
export function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

/** The checksum a result file must carry: a hash of every other field, in file order. */
export function checksumOf(result) {
  const { checksum: _ignored, ...body } = result;
  return sha256(JSON.stringify(body));
}

/** Names in `dir` matching `pattern` (none when the directory does not exist yet). */
export function list(dir, pattern = /^\d+\.json$/) {
  try {
    return readdirSync(dir).filter((name) => pattern.test(name));
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

/** Renames, returning false when the source is gone (another process moved it first). */
export function tryRename(from, to) {
  try {
    renameSync(from, to);
    return true;
  } catch (error) {
    if (error.code === 'ENOENT') return false;
    throw error;
  }
}

/** Writes `path` so that readers see the old content or the whole new one, never a part: temp file + rename. */
export function writeAtomic(path, text) {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
