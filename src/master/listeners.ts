/**
 * The pool's shared listening sockets: bound once by the master, before any worker exists, and held
 * for its whole life without ever accepting on them; each worker inherits them as extra stdio fds
 * and accepts on them itself. They may also be adopted: from systemd (socket activation) or from
 * the old master of an upgrade.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import * as net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { ErrorCode, SuperviseError, firstLine } from '../shared/errors.cjs';
import { formatListenAddress, type ListenAddress } from '../shared/listen-address.js';
import type { ListenerConfig } from '../shared/protocol.cjs';
import { activatedFds } from './socket-activation.js';
import type { InheritedListener } from './upgrade-types.js';

export type { InheritedListener } from './upgrade-types.js';

/** The first fd a worker sees its listeners on: 0-2 are stdio, 3 the IPC channel. */
export const FIRST_LISTENER_FD = 4;

/** One bound listener, as `Supervisor.listenAddresses` and status report it. */
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
 * One socket of the pool: bound here (`handle`) or adopted (`fd` passed in); `address` is the
 * `--listen` value it serves, undefined for a socket systemd passed (nothing asked for it).
 */
interface Entry {
  readonly fd: number;
  readonly handle?: ServerHandle;
  readonly address?: ListenAddress;
}

/**
 * Run in a throwaway process that inherits the bound sockets as fds 3, 4, …: listen(2) on each, so
 * the kernel queues connections from now on, and exit in the same tick, before its event loop could
 * ever accept one. The master itself never listens in JS: libuv would watch the socket and accept.
 * It also finds a port in use, which bind() alone misses (SO_REUSEADDR defers the clash to listen):
 * Linux then listens on a fresh, auto-bound socket instead, so it prints the port it listens on.
 * On an adopted socket, already listening, listen(2) again is harmless and says what it is bound to.
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

function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** The pool's listeners: `bind()` at start, `close()` at the end; fds for spawn, configs for workers. */
export class Listeners {
  readonly #addresses: readonly ListenAddress[];
  readonly #inherited: readonly InheritedListener[];
  #entries: Entry[] = [];
  #info: ListenerInfo[] = [];
  /** Set once a new master took the sockets over: their files are its to remove now. */
  #handedOver = false;

  /** `inherited`: the sockets an upgrade's old master passed (see MasterUpgrade), adopted instead of bound. */
  constructor(addresses: readonly ListenAddress[], inherited: readonly InheritedListener[] = []) {
    this.#addresses = addresses;
    this.#inherited = inherited;
  }

  /** The bound listeners (empty before `bind()` and after `close()`). */
  get info(): readonly ListenerInfo[] {
    return this.#info;
  }

  /** The master's fds of the bound sockets, in order: the extra stdio of every worker. */
  get fds(): readonly number[] {
    return this.#entries.map((entry) => entry.fd);
  }

  /** What an upgrade's new master is told of each socket (the fd is its place in `fds`, from FIRST_LISTENER_FD). */
  get handoff(): InheritedListener[] {
    return this.#entries.map((entry, i) => ({ fd: FIRST_LISTENER_FD + i, ...(entry.address !== undefined && { asked: formatListenAddress(entry.address) }) }));
  }

  /** What workers are told about the listeners (their fds, and what an app's listen() matches). */
  get configs(): readonly ListenerConfig[] {
    return this.#info.map((info, i) => {
      const asked = this.#entries[i]?.address;
      return {
        fd: info.fd,
        ...(info.port !== undefined && { port: info.port }),
        ...(asked?.kind === 'tcp' && asked.host !== undefined && { host: asked.host }),
        ...(info.path !== undefined && { path: info.path }),
      };
    });
  }

  /**
   * Binds every address, synchronously, in order. Adopts instead: the sockets systemd passed
   * (LISTEN_PID is this process, LISTEN_FDS counts them), whatever the addresses; or, in an
   * upgrade's new master, each inherited socket whose address is still asked for (an address
   * asked for anew is bound, an inherited one no longer asked for is closed; sockets the old master
   * had from systemd are all adopted). Throws SuperviseError E_LISTEN naming the address and why
   * (in use, permission, no such interface); whatever was bound before is closed again.
   */
  bind(): void {
    try {
      const activated = activatedFds();
      const passed: readonly InheritedListener[] = activated.length > 0 ? activated.map((fd) => ({ fd })) : this.#inherited;
      if (passed.length > 0 && passed.every((socket) => socket.asked === undefined)) {
        this.#entries = passed.map(({ fd }) => ({ fd }));
      } else {
        const left = new Map(passed.map((socket) => [socket.asked, socket.fd]));
        for (const address of this.#addresses) {
          const fd = left.get(formatListenAddress(address));
          left.delete(formatListenAddress(address));
          if (fd !== undefined) this.#entries.push({ fd, address });
          else this.#bindOne(address);
        }
        for (const fd of left.values()) closeFd(fd);
      }
      if (this.#entries.length > 0) this.#listenOnce();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Marks the sockets as a new master's (an upgrade succeeded): `close()` then leaves their files. */
  handOver(): void {
    this.#handedOver = true;
  }

  /** Puts every socket in the listening state, without this process listening (see LISTEN_ONCE); fills `info`. */
  #listenOnce(): void {
    const fds = this.fds;
    const run = spawnSync(process.execPath, ['-e', LISTEN_ONCE, String(fds.length)], {
      stdio: ['ignore', 'pipe', 'pipe', ...fds],
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (run.status === 0) {
      const info: ListenerInfo[] = [];
      for (const line of run.stdout.trim().split('\n')) {
        const space = line.indexOf(' ');
        const i = Number(line.slice(0, space)) - 3;
        const bound = JSON.parse(line.slice(space + 1)) as { address?: string; port?: number } | string | null;
        const entry = this.#entries[i]!;
        const port = typeof bound === 'object' ? bound?.port : undefined;
        const asked = entry.address;
        if (entry.handle !== undefined && asked?.kind === 'tcp' && port !== this.#boundPort(entry)) throw failure(asked, `${WHY['EADDRINUSE']} (EADDRINUSE)`);
        info[i] = listenerInfo(bound, asked, FIRST_LISTENER_FD + i);
      }
      this.#info = info;
      return;
    }
    const [fd, code = 'an unknown error'] = (run.stderr ?? '').trim().split(' ');
    const entry = this.#entries[Number(fd) - 3];
    if (entry?.address === undefined || entry.handle === undefined) {
      throw new SuperviseError(ErrorCode.LISTEN, `cannot listen on ${entry?.address !== undefined ? formatListenAddress(entry.address) : `socket-activated fd ${fd} (LISTEN_FDS)`}: ${WHY[code] ?? code}`);
    }
    throw failure(entry.address, code in WHY ? `${WHY[code]} (${code})` : `listen failed: ${firstLine(run.error ?? (run.stderr || code))}`);
  }

  /** The port the kernel gave a socket bound to port 0. */
  #boundPort(entry: Entry): number | undefined {
    const bound: { port?: number } = {};
    entry.handle?.getsockname?.(bound);
    return bound.port;
  }

  /** Binds `address` (without listening) as the next entry. */
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
    this.#entries.push({ fd: handle.fd, handle, address }); // closed by close() if anything later fails
    if (address.kind === 'unix' && address.mode !== undefined) chmodSync(address.path, address.mode);
  }

  /**
   * Closes the master's sockets (workers' copies stay until they close them) and removes the socket
   * files it bound or took over from an old master; not systemd's, nor once handed over to a new master.
   */
  close(): void {
    for (const entry of this.#entries) {
      // libuv's close of a bound Unix socket unlinks its path, which a new master now serves: after
      // a hand-over, such a handle stays open until this process exits.
      if (this.#handedOver && entry.handle !== undefined && entry.address?.kind === 'unix') continue;
      if (entry.handle !== undefined) entry.handle.close();
      else closeFd(entry.fd);
      if (entry.address?.kind !== 'unix' || this.#handedOver) continue;
      try {
        unlinkSync(entry.address.path);
      } catch {
        // already gone
      }
    }
    this.#entries = [];
    this.#info = [];
  }
}

/** How a socket shows, from what the helper's `server.address()` said of it and the address asked for. */
function listenerInfo(bound: { address?: string; port?: number } | string | null, asked: ListenAddress | undefined, fd: number): ListenerInfo {
  if (typeof bound === 'string' || bound === null) {
    const path = bound ?? (asked?.kind === 'unix' ? asked.path : undefined);
    return { address: path ?? `fd ${fd}`, kind: 'unix', ...(path !== undefined && { path }), fd };
  }
  const host = bound.address ?? '::';
  const port = bound.port ?? 0;
  const wildcard = asked?.kind === 'tcp' ? asked.host === undefined : host === '::' || host === '0.0.0.0';
  return { address: formatListenAddress({ kind: 'tcp', host: wildcard ? undefined : host, port }), kind: 'tcp', host, port, fd };
}
