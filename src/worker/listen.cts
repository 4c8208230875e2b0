/**
 * The worker's side of --listen: patches net.Server.prototype.listen so that an unchanged app's
 * `server.listen(port)` (node:http/https/net, hence Express, Fastify, Koa) for a --listen port
 * listens on the inherited shared socket instead of binding its own, as under the cluster module;
 * then tracks those servers' requests so a stop can drain them without cutting one.
 */
import * as net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ListenerConfig } from '../shared/protocol.cjs';

/** What the runtime hears from the servers. */
export interface ServingHooks {
  /** A request on a shared listener was answered (or its connection closed) after `ms`. */
  requestDone(ms: number): void;
}

/** The worker's shared listeners: wait for the app to listen on them, drain them at stop. */
export interface Serving {
  /** The listeners as the app's ctx shows them. */
  readonly listeners: readonly ListenerConfig[];
  /** Resolves once the app listens on every shared socket. */
  listening(): Promise<void>;
  /**
   * Stops accepting (closes this worker's copies; the master's stay open, the other workers keep
   * accepting), lets in-flight requests finish, their responses with `Connection: close`, closes
   * idle keep-alive connections; resolves when every served server has closed. Idempotent.
   */
  drain(): Promise<void>;
}

/**
 * How long a drain leaves idle keep-alive connections open before closing them. A client may be
 * sending its next request on one at the very moment it is closed (it then sees a reset): a busy
 * connection gets its next answer with `Connection: close` within this time instead.
 */
const IDLE_LINGER_MS = 1000;

const WILDCARDS = new Set(['0.0.0.0', '::', '', '*']);
const LOOPBACKS = new Set(['localhost', '127.0.0.1', '::1']);

/** True when an app's host and a listener's host name the same interface (a wildcard agrees with any). */
function hostsAgree(asked: string | undefined, bound: string | undefined): boolean {
  if (asked === undefined || bound === undefined || WILDCARDS.has(asked) || asked === bound) return true;
  return LOOPBACKS.has(asked) && LOOPBACKS.has(bound);
}

/** What a listen() call asks for, in Node's argument forms: (options), (port, host?, backlog?), (path), (handle). */
interface Target {
  port?: number;
  host?: string;
  path?: string;
  fd?: number;
  backlog?: number;
}

function targetOf(args: readonly unknown[]): Target | undefined {
  const [first, second, third] = args;
  if (typeof first === 'object' && first !== null) {
    const o = first as Record<string, unknown>;
    const t: Target = {};
    if (typeof o['fd'] === 'number') t.fd = o['fd'];
    else if (typeof o['path'] === 'string') t.path = o['path'];
    else if (o['port'] !== undefined && Number(o['port']) > 0) t.port = Number(o['port']);
    else return undefined; // a handle or a random port: not ours
    if (typeof o['host'] === 'string') t.host = o['host'];
    if (typeof o['backlog'] === 'number') t.backlog = o['backlog'];
    return t;
  }
  const port = typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)) ? Number(first) : undefined;
  if (port === undefined && typeof first === 'string') return { path: first, ...(typeof second === 'number' && { backlog: second }) };
  if (port === undefined || port === 0) return undefined;
  const host = typeof second === 'string' ? second : undefined;
  const backlog = [second, third].find((a): a is number => typeof a === 'number');
  return { port, ...(host !== undefined && { host }), ...(backlog !== undefined && { backlog }) };
}

/**
 * Installs the listen() patch for `listeners` (call before the app loads) and returns the
 * worker's handle on them. A listen() that matches no shared socket, or one already served in this
 * process, is left to Node as it was.
 */
export function shareListeners(listeners: readonly ListenerConfig[], hooks: ServingHooks): Serving {
  // For an app that reads its port from the environment: the first TCP listener's, as bound (a port 0 resolved).
  const firstPort = listeners.find((l) => l.port !== undefined)?.port;
  if (firstPort !== undefined) process.env['SUPERVISE_PORT'] = String(firstPort);
  const served = new Map<number, net.Server>();
  const inflight = new Map<ServerResponse, net.Server>();
  let draining: Promise<void> | undefined;
  let allListening: (() => void) | undefined;

  const match = (t: Target): ListenerConfig | undefined =>
    listeners.find((l) =>
      t.fd !== undefined ? l.fd === t.fd : t.path !== undefined ? l.path === t.path : l.port === t.port && hostsAgree(t.host, l.host),
    );

  const checkListening = (): void => {
    if (listeners.every((l) => served.get(l.fd)?.listening === true)) allListening?.();
  };

  let lingered = false;
  /** After the linger, closes a drained server's idle keep-alive connections. */
  const closeIdleSoon = (server: net.Server): void => {
    if (lingered) setImmediate(() => (server as { closeIdleConnections?: () => void }).closeIdleConnections?.());
  };

  const track = (server: net.Server): void => {
    server.once('listening', checkListening);
    // prependListener: counted before the app's handler runs, so a request it answers at once is seen.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      const started = performance.now();
      if (draining !== undefined) res.shouldKeepAlive = false;
      inflight.set(res, server);
      const done = (): void => {
        if (!inflight.delete(res)) return;
        hooks.requestDone(performance.now() - started);
        if (draining !== undefined) closeIdleSoon(server);
      };
      res.once('finish', done);
      res.once('close', done);
    });
  };

  const original = net.Server.prototype.listen;
  net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]): net.Server {
    const target = targetOf(args);
    const listener = target !== undefined ? match(target) : undefined;
    if (listener === undefined || served.has(listener.fd) || draining !== undefined) return original.apply(this, args as never);
    served.set(listener.fd, this);
    track(this);
    const callback = args.find((a): a is () => void => typeof a === 'function');
    const options = { fd: listener.fd, ...(target?.backlog !== undefined && { backlog: target.backlog }) };
    return callback !== undefined ? original.call(this, options, callback) : original.call(this, options);
  } as typeof net.Server.prototype.listen;

  return {
    listeners,
    listening: () =>
      new Promise<void>((resolve) => {
        allListening = resolve;
        checkListening();
      }),
    drain: () =>
      (draining ??= Promise.all(
        [...served.values()].map(
          (server) =>
            new Promise<void>((resolve) => {
              for (const [res, owner] of inflight) if (owner === server && !res.headersSent) res.shouldKeepAlive = false;
              if (!server.listening) return resolve();
              // Closes this process's copy of the socket only: the master's copy keeps it open and queueing.
              // net's close, not http's, which would also close idle connections at once (see IDLE_LINGER_MS).
              net.Server.prototype.close.call(server, () => resolve());
              setTimeout(() => {
                lingered = true;
                closeIdleSoon(server);
              }, IDLE_LINGER_MS).unref();
            }),
        ),
      ).then(() => undefined)),
  };
}
