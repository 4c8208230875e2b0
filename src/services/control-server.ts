/**
 * The master's control socket: a Unix domain socket (never TCP) only its owner can open, taking one
 * JSON request per line and answering each with one JSON line once the operation is done.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
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
export type ControlReply = { readonly ok: true; readonly status?: PoolStatus } | { readonly ok: false; readonly error: string; readonly code?: string };

/** The operations the socket drives: a Supervisor. */
export interface ControlTarget {
  status(): Promise<PoolStatus>;
  reload(): Promise<void>;
  scale(n: number): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(options: { graceful?: boolean }): Promise<void>;
  reopenLogs(): void;
}

/** A listening control socket. */
export interface ControlServer {
  readonly path: string;
  /** Stops listening and removes the socket file (synchronous, so it can run at exit). */
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
 * replaced; one a live master serves is not. Throws SuperviseError E_CONTROL naming the problem.
 */
export async function serveControl(path: string, target: ControlTarget, log: Logger): Promise<ControlServer> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new SuperviseError(ErrorCode.CONTROL, `invalid --control: ${JSON.stringify(path)} is longer than the ${MAX_SOCKET_PATH} bytes a socket path may have`);
  }
  const server = createServer((socket) => serveConnection(socket, target, log));
  try {
    makeDir(dirname(path), 0o700);
    assertSafeDirectory(dirname(path));
    try {
      await listenOwnerOnly(server, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (await isControlServed(path)) {
        throw new SuperviseError(ErrorCode.CONTROL, `control socket ${path} is in use by another running master (stop it, or give another --control)`);
      }
      unlinkSync(path); // stale: its master died without removing it
      await listenOwnerOnly(server, path);
    }
    chmodSync(path, 0o600);
  } catch (error) {
    server.close();
    if (isSuperviseError(error)) throw error;
    throw new SuperviseError(ErrorCode.CONTROL, `cannot serve the control socket ${path}: ${firstLine(error)}`, { cause: error });
  }
  server.unref();
  log.info('control', `control socket ${path}`, { path });
  return {
    path,
    close() {
      server.close();
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}
