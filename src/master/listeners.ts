/**
 * The pool's shared listening sockets: bound once by the master, before any worker exists, and held
 * for its whole life without ever accepting on them; each worker inherits them as extra stdio fds
 * and accepts on them itself.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import * as net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { ErrorCode, SuperviseError, firstLine } from '../shared/errors.cjs';
import { formatListenAddress, type ListenAddress } from '../shared/listen-address.js';
import type { ListenerConfig } from '../shared/protocol.cjs';
import { activatedFds } from './socket-activation.js';

/** The first fd a worker sees its listeners on: 0-2 are stdio, 3 the IPC channel. */
export const FIRST_LISTENER_FD = 4;

/** One bound listener, as `Supervisor.listeners` and status report it. */
export interface ListenerInfo {
  /** `host:port` (the port as bound: a free one when 0 was asked for), `*:port`, or the socket path. */
  readonly address: string;
  readonly kind: 'tcp' | 'unix';
  /** The bound IP (TCP); `::` or `0.0.0.0` for every interface. */
  readonly host?: string;
  /** The bound port (TCP). */
  readonly port?: number;
  /** The socket file (Unix). */
  readonly path?: string;
  /** The fd the socket has in every worker (`server.listen({ fd })`). */
  readonly fd: number;
}

/** What Node's net keeps for the cluster module: binds a server handle without listening on it. */
interface ServerHandle {
  readonly fd: number;
  getsockname?(out: { address?: string; port?: number }): number;
  close(): void;
}
type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number, flags?: number) => ServerHandle | number;
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

/**
 * Run in a throwaway process that inherits the bound sockets as fds 3, 4, …: listen(2) on each, so
 * the kernel queues connections from now on, and exit in the same tick, before its event loop could
 * ever accept one. The master itself never listens in JS: libuv would watch the socket and accept.
 * It also finds a port in use, which bind() alone misses (SO_REUSEADDR defers the clash to listen):
 * Linux then listens on a fresh, auto-bound socket instead, so it prints the port it listens on.
 */
const LISTEN_ONCE = `const net = require('node:net'); let left = Number(process.argv[1]);
for (let fd = 3; fd < 3 + Number(process.argv[1]); fd++) {
  const s = net.createServer();
  s.on('error', (e) => { process.stderr.write(fd + ' ' + e.code + '\\n'); process.exit(1); });
  s.listen({ fd, backlog: 511 }, () => { process.stdout.write(fd + ' ' + JSON.stringify(s.address()) + '\\n'); if (--left === 0) process.exit(0); });
}`;

const WHY: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need root, or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'no interface has this address',
  ENOENT: 'its directory does not exist',
};

function failure(address: ListenAddress, why: string): SuperviseError {
  return new SuperviseError(ErrorCode.LISTEN, `cannot listen on ${formatListenAddress(address)}: ${why}`);
}

/** True when some process holds a socket bound to `path` (Linux: /proc/net/unix lists bound paths). */
function socketFileLive(path: string): boolean {
  try {
    return readFileSync('/proc/net/unix', 'utf8').split('\n').some((line) => line.endsWith(` ${path}`));
  } catch {
    return true; // cannot tell: never remove a socket that may be live
  }
}

/** Removes a stale socket file at `path` (nobody bound to it); refuses a live one or a non-socket. */
function clearStaleSocket(address: ListenAddress & { kind: 'unix' }): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(address.path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw failure(address, 'a file that is not a socket is in the way');
  if (socketFileLive(address.path)) throw failure(address, 'a live process is listening on it');
  unlinkSync(address.path);
}

/** The pool's listeners: `bind()` at start, `close()` at the end; fds for spawn, configs for workers. */
export class Listeners {
  readonly #addresses: readonly ListenAddress[];
  #handles: ServerHandle[] = [];
  /** Sockets systemd passed (LISTEN_FDS): adopted, not bound; their files are not ours to remove. */
  #adopted: number[] = [];
  #info: ListenerInfo[] = [];

  constructor(addresses: readonly ListenAddress[]) {
    this.#addresses = addresses;
  }

  /** The bound listeners (empty before `bind()` and after `close()`). */
  get info(): readonly ListenerInfo[] {
    return this.#info;
  }

  /** The master's fds of the bound sockets, in order: the extra stdio of every worker. */
  get fds(): readonly number[] {
    return this.#adopted.length > 0 ? this.#adopted : this.#handles.map((handle) => handle.fd);
  }

  /** What workers are told about the listeners (their fds, and what an app's listen() matches). */
  get configs(): readonly ListenerConfig[] {
    return this.#info.map((info, i) => {
      const asked = this.#adopted.length > 0 ? undefined : this.#addresses[i];
      return {
        fd: info.fd,
        ...(info.port !== undefined && { port: info.port }),
        ...(asked?.kind === 'tcp' && asked.host !== undefined && { host: asked.host }),
        ...(info.path !== undefined && { path: info.path }),
      };
    });
  }

  /**
   * Binds every address, synchronously, in order; or, when systemd passed sockets (LISTEN_PID is
   * this process, LISTEN_FDS counts them), adopts those instead, whatever the addresses. Throws SuperviseError E_LISTEN naming the address
   * and why (in use, permission, no such interface); whatever was bound before is closed again.
   */
  bind(): void {
    try {
      this.#adopted = activatedFds();
      if (this.#adopted.length > 0) return this.#listenOnce();
      for (const address of this.#addresses) this.#bindOne(address);
      if (this.#handles.length > 0) this.#listenOnce();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Puts every bound socket in the listening state, without this process listening (see LISTEN_ONCE). */
  #listenOnce(): void {
    const fds = this.fds;
    const run = spawnSync(process.execPath, ['-e', LISTEN_ONCE, String(fds.length)], {
      stdio: ['ignore', 'pipe', 'pipe', ...fds],
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (run.status === 0) {
      for (const line of run.stdout.trim().split('\n')) {
        const space = line.indexOf(' ');
        const i = Number(line.slice(0, space)) - 3;
        const address = JSON.parse(line.slice(space + 1)) as { address?: string; port?: number } | string | null;
        if (this.#adopted.length > 0) {
          this.#info.push(adoptedInfo(address, FIRST_LISTENER_FD + i));
          continue;
        }
        const asked = this.#info[i]?.port;
        const port = typeof address === 'object' ? address?.port : undefined;
        if (asked !== undefined && port !== asked) throw failure(this.#addresses[i]!, `${WHY['EADDRINUSE']} (EADDRINUSE)`);
      }
      return;
    }
    const [fd, code = 'an unknown error'] = (run.stderr ?? '').trim().split(' ');
    const i = Number(fd) - 3;
    if (this.#adopted.length > 0) {
      throw new SuperviseError(ErrorCode.LISTEN, `cannot listen on socket-activated fd ${fd} (LISTEN_FDS): ${WHY[code] ?? code}`);
    }
    const address = this.#addresses[i] ?? this.#addresses[0]!;
    throw failure(address, code in WHY ? `${WHY[code]} (${code})` : `listen failed: ${firstLine(run.error ?? (run.stderr || code))}`);
  }

  #bindOne(address: ListenAddress): void {
    if (address.kind === 'unix') clearStaleSocket(address);
    const handle =
      address.kind === 'unix'
        ? createServerHandle(address.path, -1, -1)
        : createServerHandle(address.host ?? null, address.port, address.host === undefined ? 4 : net.isIP(address.host));
    if (typeof handle === 'number') {
      const code = getSystemErrorName(handle);
      throw failure(address, `${WHY[code] ?? code.toLowerCase()} (${code})`);
    }
    this.#handles.push(handle);
    const fd = FIRST_LISTENER_FD + this.#info.length;
    if (address.kind === 'unix') {
      if (address.mode !== undefined) chmodSync(address.path, address.mode);
      this.#info.push({ address: address.path, kind: 'unix', path: address.path, fd });
      return;
    }
    const bound: { address?: string; port?: number } = {};
    handle.getsockname?.(bound);
    const host = bound.address ?? address.host ?? '::';
    const port = bound.port ?? address.port;
    this.#info.push({ address: formatListenAddress({ kind: 'tcp', host: address.host, port }), kind: 'tcp', host, port, fd });
  }

  /** Closes the master's sockets (workers' copies stay until they close them) and removes its socket files. */
  close(): void {
    for (const handle of this.#handles) handle.close();
    for (const fd of this.#adopted) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    for (const info of this.#adopted.length > 0 ? [] : this.#info) {
      if (info.path === undefined) continue;
      try {
        unlinkSync(info.path);
      } catch {
        // already gone
      }
    }
    this.#handles = [];
    this.#adopted = [];
    this.#info = [];
  }
}

/** How an adopted socket shows, from what the helper's `server.address()` said of it. */
function adoptedInfo(address: { address?: string; port?: number } | string | null, fd: number): ListenerInfo {
  if (typeof address === 'string' || address === null) return { address: address ?? `fd ${fd}`, kind: 'unix', ...(address !== null && { path: address }), fd };
  const host = address.address ?? '::';
  const port = address.port ?? 0;
  const wildcard = host === '::' || host === '0.0.0.0';
  return { address: formatListenAddress({ kind: 'tcp', host: wildcard ? undefined : host, port }), kind: 'tcp', host, port, fd };
}
