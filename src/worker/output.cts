/**
 * In a worker with --log-dir: moves stdout/stderr to a freshly opened log file when the master
 * rotates it (or logrotate moved it), without splitting a line between two files.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

type Write = NodeJS.WritableStream['write'];

let currentFd: number | undefined;
let pendingPath: string | undefined;
/** True while the last chunk written did not end a line: switching files now would split it. */
let midLine = false;

/** Writes `chunk` whole to the current file, then switches files if a switch waits and a line just ended. */
function writeThrough(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
  try {
    if (currentFd !== undefined) writeSync(currentFd, text);
  } catch {
    // A full disk or a removed directory must not crash a task; the line is lost, the work is not.
  }
  if (text.length > 0) midLine = !text.endsWith('\n');
  if (!midLine && pendingPath !== undefined) switchTo(pendingPath);
  if (typeof done === 'function') (done as () => void)();
  return true;
}

/** Opens `path` for appending and makes it the target of both streams. */
function switchTo(path: string): void {
  pendingPath = undefined;
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch {
    return; // keep writing to the file we have: better a rotated file than nothing
  }
  // fds 1 and 2 stay open: the process's own children and native code still write there.
  if (currentFd !== undefined && currentFd > 2) closeSync(currentFd);
  currentFd = fd;
}

/**
 * Sends this process's stdout and stderr writes to `path` from the next line boundary on. The
 * process's fds 1 and 2 (inherited by its own children) keep the file they were opened on.
 */
export function reopenOutput(path: string): void {
  if (currentFd === undefined) {
    process.stdout.write = writeThrough as Write;
    process.stderr.write = writeThrough as Write;
    currentFd = 1;
    midLine = false;
  }
  if (midLine) pendingPath = path;
  else switchTo(path);
}
