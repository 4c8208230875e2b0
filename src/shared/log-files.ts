/**
 * --log-dir on the master's side: opens each worker's log file for its spawn (the worker writes to
 * it directly, no pipe through the master), writes the master's own lines to master.log, and
 * rotates any file past --log-max-bytes by renaming it to `.1` (older ones shift up), so a writer
 * still holding the old file loses nothing: it moves to the new one when told to reopen.
 */
import { chownSync, closeSync, existsSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { makeDir } from './make-dir.js';
import { ErrorCode, SuperviseError, firstLine } from './errors.cjs';

/** File name of the master's own log. */
export const MASTER_LOG = 'master.log';

/** File name of the log of `id`'s worker, or of the spares (no id yet). */
export function workerLogName(id: number | undefined): string {
  return id === undefined ? 'spare.log' : `worker-${id}.log`;
}

/** Who the workers' log files belong to (with --user: the workers' account). */
export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/** The log files of one pool. Nothing touches the disk until `open()`. */
export class LogFiles {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #backups: number;
  readonly #account: FileOwner | undefined;
  #masterFd: number | undefined;
  /** The master's lines go here; writes are synchronous, so nothing is lost at exit. */
  readonly masterStream: NodeJS.WritableStream;

  constructor(dir: string, maxBytes: number, backups: number, account?: FileOwner) {
    this.dir = dir;
    this.#maxBytes = maxBytes;
    this.#backups = backups;
    this.#account = account;
    this.masterStream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        try {
          if (this.#masterFd !== undefined) writeSync(this.#masterFd, chunk);
        } catch {
          // A full disk must not stop the master from supervising.
        }
        done();
      },
    });
  }

  /** Creates the directory and opens master.log; throws SuperviseError E_LOG naming the problem. */
  open(): void {
    try {
      makeDir(this.dir, 0o755);
      this.#masterFd = openSync(this.path(MASTER_LOG), 'a', 0o644);
    } catch (error) {
      throw new SuperviseError(ErrorCode.LOG, `cannot write --log-dir ${this.dir}: ${firstLine(error)}`, { cause: error });
    }
  }

  /** Absolute path of a log file of this pool. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Opens `name` for a worker's spawn (stdout and stderr); the caller closes its copy once spawned. */
  openForWorker(name: string): number {
    const fd = openSync(this.path(name), 'a', 0o644);
    if (this.#account !== undefined) chownSync(this.path(name), this.#account.uid, this.#account.gid);
    return fd;
  }

  /** Creates `name` if missing, owned by the workers' user, so a worker can open it itself. */
  prepareForWorker(name: string): void {
    closeSync(this.openForWorker(name));
  }

  /** Reopens master.log (after logrotate moved it). */
  reopenMaster(): void {
    const fd = openSync(this.path(MASTER_LOG), 'a', 0o644);
    const old = this.#masterFd;
    this.#masterFd = fd;
    if (old !== undefined) closeSync(old);
  }

  /**
   * Rotates every file among `names` (and master.log) that has passed the size limit; returns the
   * names of the rotated worker files, whose writers must now reopen them.
   */
  rotateOversized(names: Iterable<string>): string[] {
    if (this.#maxBytes === 0) return [];
    const rotated: string[] = [];
    for (const name of new Set([MASTER_LOG, ...names])) {
      let size: number;
      try {
        size = statSync(this.path(name)).size;
      } catch {
        continue; // not written yet
      }
      if (size < this.#maxBytes) continue;
      try {
        this.#rotate(name);
      } catch {
        continue; // try again on the next check
      }
      if (name === MASTER_LOG) this.reopenMaster();
      else rotated.push(name);
    }
    return rotated;
  }

  /** name.(N-1) → name.N, …, name → name.1, then a fresh empty name, owned by the workers' user. */
  #rotate(name: string): void {
    const path = this.path(name);
    const oldest = `${path}.${this.#backups}`;
    if (existsSync(oldest)) unlinkSync(oldest);
    for (let n = this.#backups - 1; n >= 1; n--) {
      if (existsSync(`${path}.${n}`)) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
    }
    renameSync(path, `${path}.1`);
    if (name !== MASTER_LOG) this.prepareForWorker(name);
  }

  /** Closes master.log. */
  close(): void {
    if (this.#masterFd !== undefined) closeSync(this.#masterFd);
    this.#masterFd = undefined;
  }
}
