/**
 * The --pid-file: written atomically at start, removed at exit; a live master's file blocks a
 * second start, a stale one (its pid gone or not a supervise master) is replaced.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { ErrorCode, SuperviseError, firstLine } from '../shared/errors.cjs';

/** True when `pid` is a live process that looks like a supervise master (Linux: by its command line). */
function isLiveMaster(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
  try {
    return /supervise/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc: trust the live pid
  }
}

/** The pid a pid file holds, or undefined when absent or unreadable. */
function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws SuperviseError E_PID_FILE when another live master holds `path`; `takeoverFrom` (an
 * upgrade's old master) may hold it.
 */
export function checkPidFile(path: string, takeoverFrom?: number): void {
  const holder = readPid(path);
  if (holder !== undefined && holder !== process.pid && holder !== takeoverFrom && isLiveMaster(holder)) {
    throw new SuperviseError(ErrorCode.PID_FILE, `another master (pid ${holder}) is running with --pid-file ${path}`);
  }
}

/**
 * Writes this process's pid to `path` (temp file + rename). Throws SuperviseError E_PID_FILE when
 * another live master than `takeoverFrom` holds it, or it cannot be written.
 */
export function acquirePidFile(path: string, takeoverFrom?: number): void {
  checkPidFile(path, takeoverFrom);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${process.pid}\n`);
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp); // a failed rename leaves it behind
    } catch {
      // never written
    }
    throw new SuperviseError(ErrorCode.PID_FILE, `cannot write --pid-file ${path}: ${firstLine(error)}`, { cause: error });
  }
}

/** Removes `path` if it still holds this process's pid (synchronous: it also runs at exit). */
export function releasePidFile(path: string): void {
  if (readPid(path) !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
