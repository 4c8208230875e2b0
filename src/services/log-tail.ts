/**
 * Tailing a worker's log file for the dashboard, by polling: the last lines first, then what was
 * appended since a cursor. Bounded: one read of at most `maxBytes` per call, nothing kept between
 * calls but the cursor the client sends back. A rotation (the file renamed and a new one made, as
 * --log-max-bytes and logrotate do) or a truncation starts again at the new file's tail.
 */
import { open, stat } from 'node:fs/promises';

/** What one poll of a log file returns. */
export interface LogChunk {
  /** Complete lines (a line still being written waits for its newline), without their newline. */
  readonly lines: string[];
  /** Where the next poll goes on from: give it back as is. */
  readonly cursor: string;
  /** True when the file was replaced or truncated since the cursor: `lines` start afresh. */
  readonly reset: boolean;
  /** True when there is no such file (yet). */
  readonly missing: boolean;
}

/** Limits of one poll. */
export interface TailLimits {
  /** Lines a first poll (or a reset) returns at most: the end of the file. */
  readonly lines: number;
  /** Bytes read by one poll at most. */
  readonly maxBytes: number;
  /** Characters kept of one line at most (the rest is cut, marked with …). */
  readonly lineChars: number;
}

/** The defaults: the last 200 lines, 64 KiB a poll, 2000 characters a line. */
export const TAIL_LIMITS: TailLimits = { lines: 200, maxBytes: 64 * 1024, lineChars: 2000 };

/** A cursor: the file's inode and the byte offset read up to. */
function parseCursor(cursor: string | undefined): { ino: number; offset: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(cursor ?? '');
  return match === null ? undefined : { ino: Number(match[1]), offset: Number(match[2]) };
}

/**
 * Reads what `path` holds after `cursor` (undefined, or a cursor of an earlier call): on the
 * first call, or after a rotation or truncation, its last `limits.lines` complete lines; else the
 * complete lines appended since. Never rejects for a missing file (missing: true).
 */
export async function readLogTail(path: string, cursor: string | undefined, limits: TailLimits = TAIL_LIMITS): Promise<LogChunk> {
  let size: number;
  let ino: number;
  try {
    const info = await stat(path);
    size = info.size;
    ino = info.ino;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], cursor: '0:0', reset: cursor !== undefined && cursor !== '0:0', missing: true };
    throw error;
  }
  const from = parseCursor(cursor);
  const goOn = from !== undefined && from.ino === ino && from.offset <= size;
  const start = goOn ? from.offset : Math.max(0, size - limits.maxBytes);
  const length = Math.min(size - start, limits.maxBytes);
  const bytes = Buffer.alloc(length);
  let read = 0;
  if (length > 0) {
    const file = await open(path, 'r');
    try {
      read = (await file.read(bytes, 0, length, start)).bytesRead;
    } finally {
      await file.close();
    }
  }
  const chunk = bytes.subarray(0, read);
  let end = chunk.lastIndexOf(0x0a) + 1;
  // One line longer than a whole read: hand it over cut rather than wait for it forever.
  if (end === 0 && read === limits.maxBytes) end = read;
  let text = chunk.subarray(0, end).toString('utf8');
  // Started mid-file: the first line is a fragment of one.
  if (!goOn && start > 0) text = text.slice(text.indexOf('\n') + 1);
  let lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (!goOn) lines = lines.slice(-limits.lines);
  lines = lines.map((line) => {
    const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
    return clean.length > limits.lineChars ? `${clean.slice(0, limits.lineChars)}…` : clean;
  });
  return { lines, cursor: `${ino}:${start + end}`, reset: from !== undefined && !goOn, missing: false };
}
