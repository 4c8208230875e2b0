/**
 * The master's control socket: a Unix domain socket (never TCP) only its owner can open, taking one
 * JSON request per line and answering each with one JSON line once the operation is done.
 */
import { chmodSync, lstatSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { makeDir } from '../shared/make-dir.js';
import { ErrorCode, SuperviseError, firstLine, isSuperviseError } from '../shared/errors.cjs';
import type { ControlCommand } from './control-commands.js';
import type { Logger } from '../shared/log.js';
import type { PoolStatus } from './pool-status.js';

/** What a client may ask; `count` goes with scale, `graceful` with stop. */
export interface ControlRequest {
  readonly command: ControlCommand;
  readonly count?: number;
  readonly graceful?: boolean;
}

export { CONTROL_COMMANDS, type ControlCommand } from './control-commands.js';

/** The answer to one request. */
export type ControlReply = { readonly ok: true; readonly status?: PoolStatus; readonly pid?: number } | { readonly ok: false; readonly error: string; readonly code?: string };

/** The operations the socket drives: a Supervisor. */
export interface ControlTarget {
  status(): Promise<PoolStatus>;
  reload(): Promise<void>;
  scale(n: number): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(options: { graceful?: boolean }): Promise<void>;
  reopenLogs(): void;
  /** Starts a new master and resolves with its pid once it is ready (this one then stops gracefully). */
  upgrade(): Promise<number>;
}

/** A listening control socket. */
export interface ControlServer {
  readonly path: string;
  /** With `staged`: moves the socket from its staged path to `path` (rename: clients never find none). */
  commit(): void;
  /** Stops listening and removes the socket file if it is still this server's (synchronous, so it can run at exit). */
  close(): void;
}

/** Longest socket path the kernel takes (sun_path holds 108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 107;
/** Longest request line accepted; anything longer is not a client of ours. */
const MAX_REQUEST_BYTES = 4096;

/** Runs one request against `target`; every failure becomes a reply, never a throw. */
async function handle(target: ControlTarget, request: ControlRequest): Promise<ControlReply> {
  try {
    switch (request.command) {
      case 'status':
        return { ok: true, status: await target.status() };
      case 'reload':
        await target.reload();
        break;
      case 'scale':
        await target.scale(request.count as number);
        break;
      case 'pause':
        await target.pause();
        break;
      case 'resume':
        await target.resume();
        break;
      case 'stop':
        await target.stop({ graceful: request.graceful === true });
        break;
      case 'reopen-logs':
        target.reopenLogs();
        break;
      case 'upgrade':
        return { ok: true, pid: await target.upgrade() };
      default:
        return { ok: false, error: `unknown command ${JSON.stringify(request.command)}`, code: ErrorCode.CONTROL };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, error: firstLine(error), ...(isSuperviseError(error) && { code: error.code }) };
  }
}

/** Reads one JSON line from `socket`, answers it, and keeps the connection for the next one. */
function serveConnection(socket: Socket, target: ControlTarget, log: Logger): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => {}); // a client that went away mid-answer is no concern of the pool
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_REQUEST_BYTES) return void socket.destroy();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      let request: ControlRequest;
      try {
        request = JSON.parse(line) as ControlRequest;
        if (typeof request !== 'object' || request === null) throw new TypeError('not an object');
      } catch {
        socket.end(JSON.stringify({ ok: false, error: 'a request is one JSON object per line', code: ErrorCode.CONTROL }) + '\n');
        return;
      }
      if (request.command !== 'status') log.info('control', `control: ${request.command}${request.count !== undefined ? ` ${request.count}` : ''}${request.graceful ? ' (graceful)' : ''}`);
      void handle(target, request).then((reply) => {
        if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
      });
    }
  });
}

/** Resolves true when a process (a live master) accepts connections on `path`. */
export function isControlServed(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Refuses a socket directory someone else could tamper with: it must belong to this user or root,
 * and not be writable by others unless sticky (as /tmp is), where others cannot replace our file.
 */
function assertSafeDirectory(dir: string): void {
  const info = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  const othersMayWrite = (info.mode & 0o022) !== 0 && (info.mode & 0o1000) === 0;
  if (!info.isDirectory() || (info.uid !== uid && info.uid !== 0) || othersMayWrite) {
    throw new SuperviseError(ErrorCode.CONTROL, `control socket directory ${dir} is not safe: it must belong to uid ${uid} or root, and others must not be able to write to it`);
  }
}

/** Binds `server` to `path` with owner-only permissions from the first instant. */
function listenOwnerOnly(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // The socket file takes its mode from the umask when bound: no window in which others may connect.
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}

/**
 * Serves the control socket at `path` for `target`. A stale socket file (no one listening) is
 * replaced; one a live master serves is not, unless `staged`: an upgrade's new master binds beside
 * it (`.upgrade-<pid>.sock` in the same directory) and `commit()` renames its socket over the old
 * master's once ready. Throws SuperviseError E_CONTROL naming the problem.
 */
export async function serveControl(path: string, target: ControlTarget, log: Logger, staged = false): Promise<ControlServer> {
  const bindPath = staged ? join(dirname(path), `.upgrade-${process.pid}.sock`) : path;
  for (const p of [path, bindPath]) {
    if (Buffer.byteLength(p) > MAX_SOCKET_PATH) {
      throw new SuperviseError(ErrorCode.CONTROL, `invalid --control: ${JSON.stringify(p)} is longer than the ${MAX_SOCKET_PATH} bytes a socket path may have`);
    }
  }
  const server = createServer((socket) => serveConnection(socket, target, log));
  try {
    makeDir(dirname(path), 0o700);
    assertSafeDirectory(dirname(path));
    try {
      await listenOwnerOnly(server, bindPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (await isControlServed(bindPath)) {
        throw new SuperviseError(ErrorCode.CONTROL, `control socket ${path} is in use by another running master (stop it, or give another --control)`);
      }
      unlinkSync(bindPath); // stale: its master died without removing it
      await listenOwnerOnly(server, bindPath);
    }
    chmodSync(bindPath, 0o600);
  } catch (error) {
    server.close();
    if (isSuperviseError(error)) throw error;
    throw new SuperviseError(ErrorCode.CONTROL, `cannot serve the control socket ${path}: ${firstLine(error)}`, { cause: error });
  }
  server.unref();
  // Which file is ours: after an upgrade the path holds the new master's socket, which we must leave.
  const inode = statSync(bindPath).ino;
  let where = bindPath;
  if (!staged) log.info('control', `control socket ${path}`, { path });
  return {
    path,
    commit() {
      if (where === path) return;
      renameSync(bindPath, path);
      where = path;
      log.info('control', `control socket ${path} (taken over)`, { path });
    },
    close() {
      let holder: number | undefined;
      try {
        holder = statSync(where).ino;
      } catch {
        // already gone
      }
      // libuv's close unlinks the bound path: once a new master's socket took it over, leave this
      // server open (it is unreferenced, and nobody can reach it by its path) until the process exits.
      if (holder !== undefined && holder !== inode) return;
      server.close();
      try {
        unlinkSync(where);
      } catch {
        // already gone
      }
    },
  };
}
