/**
 * The dashboard: one page showing the live pool with reload, scale and pause buttons, a restart
 * and a kill button per worker, a live tail of each worker's log (--log-dir), and the JSON API
 * behind it. Served on the address given only; on loopback the Host header must name loopback
 * (no DNS rebinding); every action needs the token when one is set, else a same-origin request
 * carrying the page's CSRF token.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DASHBOARD_CSP, dashboardPage } from './dashboard-page.js';
import { ErrorCode, firstLine, isSuperviseError } from '../shared/errors.cjs';
import { isHostAllowed, listenHttp, type HttpAddress } from '../shared/http-address.js';
import { hasBearer, secretEquals, send, sendError, sendJson, serviceHandle, type HttpService } from './http-service.js';
import type { Logger } from '../shared/log.js';
import type { ControlTarget } from './control-server.js';
import { readLogTail } from './log-tail.js';

/**
 * The operations the dashboard drives (a Supervisor): the control socket's, less stop and log
 * reopening, plus one id's graceful restart and kill, and where each id's log file is.
 */
export type DashboardTarget = Pick<ControlTarget, 'status' | 'reload' | 'scale' | 'pause' | 'resume'> & {
  /** The pool's size now (the ids are 0..size-1). */
  readonly size: number;
  /** See Supervisor.restartWorker: rejects with E_OPTION for an id not in the pool. */
  restartWorker(id: number): Promise<void>;
  /** See Supervisor.killWorker: throws E_OPTION for an id not in the pool, E_STATE when it has no process. */
  killWorker(id: number): number;
  /** With --log-dir, the path of id's log file; else undefined. */
  workerLogFile(id: number): string | undefined;
};

/** The actions, by the path they are posted to. */
const ACTIONS = ['reload', 'scale', 'pause', 'resume', 'restart', 'kill'] as const;
type Action = (typeof ACTIONS)[number];

/** Largest request body read: an action's body is a few bytes of JSON. */
const MAX_BODY_BYTES = 1024;
/**
 * How long an action's answer waits for the operation: a scale or a pause can take as long as a
 * task, and a page whose requests all hang would stop refreshing. Past this, 202 and it goes on.
 */
const ACTION_REPLY_MS = 10_000;

/** HTTP status for a failed operation: the caller's mistake, a pool that is stopping, or the app's failure. */
function statusFor(error: unknown): number {
  if (!isSuperviseError(error)) return 500;
  if (error.code === ErrorCode.OPTION) return 400;
  if (error.code === ErrorCode.STOPPED || error.code === ErrorCode.STATE) return 409;
  return 500;
}

/** Reads a small JSON body; undefined (with the answer sent) when it is too big or not JSON. */
async function readJson(request: IncomingMessage, response: ServerResponse): Promise<Record<string, unknown> | undefined> {
  let body = '';
  for await (const chunk of request) {
    body += String(chunk);
    if (body.length > MAX_BODY_BYTES) {
      sendError(response, 413, `request body over ${MAX_BODY_BYTES} bytes`, undefined, { Connection: 'close' });
      return undefined;
    }
  }
  if (body.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  sendError(response, 400, 'the body must be a JSON object');
  return undefined;
}

/** Resolves with the operation's outcome, or 'pending' once ACTION_REPLY_MS have passed. */
function settleWithin(operation: Promise<void>): Promise<'done' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => (timer = setTimeout(resolve, ACTION_REPLY_MS, 'pending')));
  return Promise.race([operation.then(() => 'done' as const), late]).finally(() => clearTimeout(timer));
}

/** Serves one dashboard's requests. */
class Dashboard {
  readonly #address: HttpAddress;
  readonly #token: string | undefined;
  readonly #target: DashboardTarget;
  readonly #log: Logger;
  /** Embedded in the page; a same-origin action without a token must send it back. */
  readonly #csrf = randomBytes(32).toString('base64url');
  #port = 0;

  constructor(address: HttpAddress, token: string | undefined, target: DashboardTarget, log: Logger) {
    this.#address = address;
    this.#token = token;
    this.#target = target;
    this.#log = log;
  }

  set port(port: number) {
    this.#port = port;
  }

  /** Routes one request; every failure becomes a JSON answer, never a throw. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (!isHostAllowed(request.headers.host, this.#address, this.#port)) {
      return sendError(response, 421, `Host ${JSON.stringify(request.headers.host ?? '')} is not this dashboard's address`);
    }
    if (path === '/') {
      if (method !== 'GET' && method !== 'HEAD') return sendError(response, 405, `${method} not allowed`, undefined, { Allow: 'GET, HEAD' });
      return send(response, 200, 'text/html; charset=utf-8', dashboardPage(this.#csrf, this.#target.workerLogFile(0) !== undefined), { 'Content-Security-Policy': DASHBOARD_CSP });
    }
    if (path === '/favicon.ico') return send(response, 204, 'image/x-icon', '');
    if (path === '/api/log') {
      if (method !== 'GET' && method !== 'HEAD') return sendError(response, 405, `${method} not allowed`, undefined, { Allow: 'GET, HEAD' });
      if (!this.#authorized(request, response)) return;
      return serveLogTail(new URL(request.url ?? '/', 'http://x').searchParams, this.#target, response);
    }
    if (path === '/api/status') {
      if (method !== 'GET' && method !== 'HEAD') return sendError(response, 405, `${method} not allowed`, undefined, { Allow: 'GET, HEAD' });
      if (!this.#authorized(request, response)) return;
      try {
        return sendJson(response, 200, await this.#target.status());
      } catch (error) {
        return sendError(response, statusFor(error), firstLine(error));
      }
    }
    const action = /^\/api\/([a-z]+)$/.exec(path)?.[1];
    if (action === undefined || !(ACTIONS as readonly string[]).includes(action)) return sendError(response, 404, `no such page: ${path}`);
    if (method !== 'POST') return sendError(response, 405, `${method} not allowed: actions are POSTed`, undefined, { Allow: 'POST' });
    if (!this.#authorized(request, response) || !this.#sameOrigin(request, response, action)) return;
    if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
      return sendError(response, 415, 'an action is a POST with Content-Type: application/json');
    }
    const body = await readJson(request, response);
    if (body !== undefined) await this.#act(action as Action, body, response);
  }

  /** With a token: is it there? Answers 401 when not. */
  #authorized(request: IncomingMessage, response: ServerResponse): boolean {
    if (this.#token === undefined || hasBearer(request, this.#token)) return true;
    sendError(response, 401, 'this dashboard needs its token: open it as /?token=<token>, or send Authorization: Bearer <token>', undefined, {
      'WWW-Authenticate': 'Bearer realm="supervise"',
    });
    return false;
  }

  /** Without a token: an action must come from the page itself (its Origin and its CSRF token). Answers 403 when not. */
  #sameOrigin(request: IncomingMessage, response: ServerResponse, action: string): boolean {
    if (this.#token !== undefined) return true;
    const origin = request.headers.origin;
    const csrf = request.headers['x-csrf-token'];
    let refusal: string | undefined;
    if (origin !== `http://${request.headers.host ?? ''}`) refusal = `cross-origin request refused (Origin ${JSON.stringify(origin ?? 'none')})`;
    else if (!secretEquals(typeof csrf === 'string' ? csrf : undefined, this.#csrf)) refusal = 'missing or wrong X-CSRF-Token';
    if (refusal === undefined) return true;
    this.#log.error('dashboard', `dashboard: refused ${action} from ${request.socket.remoteAddress ?? '?'}: ${refusal}`);
    sendError(response, 403, refusal);
    return false;
  }

  /** Starts `action` on the pool; a kill (synchronous) hands the pid it killed to `killed`. */
  #operation(action: Action, workers: number, id: number, killed: (pid: number) => void): Promise<void> {
    switch (action) {
      case 'scale':
        return this.#target.scale(workers);
      case 'reload':
        return this.#target.reload();
      case 'pause':
        return this.#target.pause();
      case 'resume':
        return this.#target.resume();
      case 'restart':
        return this.#target.restartWorker(id);
      case 'kill':
        return Promise.resolve().then(() => killed(this.#target.killWorker(id)));
    }
  }

  /** Runs an action and answers 200 when done, 202 when still under way, or the error. */
  async #act(action: Action, body: Record<string, unknown>, response: ServerResponse): Promise<void> {
    const workers = body['workers'];
    if (action === 'scale' && (typeof workers !== 'number' || !Number.isSafeInteger(workers) || workers < 0)) {
      return sendError(response, 400, `scale needs {"workers": <whole number ≥ 0>}, got ${JSON.stringify(workers ?? null)}`, ErrorCode.OPTION);
    }
    const id = body['id'];
    if ((action === 'restart' || action === 'kill') && (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)) {
      return sendError(response, 400, `${action} needs {"id": <a worker id>}, got ${JSON.stringify(id ?? null)}`, ErrorCode.OPTION);
    }
    const argument = action === 'scale' ? ` ${String(workers)}` : action === 'restart' || action === 'kill' ? ` worker[${String(id)}]` : '';
    this.#log.info('dashboard', `dashboard: ${action}${argument}`, { action });
    let killed: number | undefined;
    const operation = this.#operation(action, workers as number, id as number, (pid) => (killed = pid));
    operation.catch(() => {}); // answered below, or too late to answer: the log has it
    try {
      const outcome = await settleWithin(operation);
      sendJson(response, outcome === 'done' ? 200 : 202, { ok: true, ...(outcome === 'pending' && { pending: true }), ...(killed !== undefined && { pid: killed }) });
    } catch (error) {
      sendError(response, statusFor(error), firstLine(error), isSuperviseError(error) ? error.code : undefined);
    }
  }
}

/** GET /api/log?id=<id>&cursor=<cursor>: the worker's log lines after the cursor (see readLogTail). */
async function serveLogTail(query: URLSearchParams, target: DashboardTarget, response: ServerResponse): Promise<void> {
  const given = query.get('id') ?? '';
  const id = /^\d{1,6}$/.test(given) ? Number(given) : undefined;
  if (id === undefined || id >= target.size) {
    return sendError(response, 400, `log: no worker ${JSON.stringify(given)}: ${target.size === 0 ? 'the pool has no worker' : `the ids are 0..${target.size - 1}`}`, ErrorCode.OPTION);
  }
  const file = target.workerLogFile(id);
  if (file === undefined) return sendError(response, 404, 'no log to tail: the pool runs without --log-dir (workers write to the master\'s stdout and stderr)');
  const cursor = query.get('cursor') ?? undefined;
  return sendJson(response, 200, { id, file, ...(await readLogTail(file, cursor)) });
}

/**
 * Serves the dashboard on `address` for `target` and logs its URL. Without `token` the address
 * must be loopback (resolveOptions enforces it). Rejects with SuperviseError E_OPTION when the
 * address cannot be bound (in use, not an address of this machine).
 */
export async function serveDashboard(address: HttpAddress, token: string | undefined, target: DashboardTarget, log: Logger): Promise<HttpService> {
  const dashboard = new Dashboard(address, token, target, log);
  const server = createServer((request, response) => {
    dashboard.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, firstLine(error));
      else response.destroy();
    });
  });
  const port = await listenHttp(server, address, 'dashboard', ErrorCode.OPTION);
  dashboard.port = port;
  server.unref();
  const service = serviceHandle(server, address, port);
  log.info('dashboard', `dashboard ${service.url}${token !== undefined ? ' (token required)' : ''}`, { url: service.url });
  return service;
}
