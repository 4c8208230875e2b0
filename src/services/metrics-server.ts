/**
 * The metrics server: `formatMetrics(await target.status())` at /metrics and the probes /livez and
 * /readyz, on the address given only, to a loopback Host on loopback, and with the token off loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ErrorCode, firstLine } from '../shared/errors.cjs';
import { isHostAllowed, isLoopback, listenHttp, type HttpAddress } from '../shared/http-address.js';
import { hasBearer, send, serviceHandle, type HttpService } from './http-service.js';
import type { Logger } from '../shared/log.js';
import { METRICS_CONTENT_TYPE, formatMetrics } from './metrics.js';
import type { PoolStatus } from './pool-status.js';
import { readiness, readinessText, type ProbeTarget } from './probes.js';

/** The pool the metrics and probes are read from: a Supervisor. */
export interface MetricsTarget extends ProbeTarget {
  status(): Promise<PoolStatus>;
}

/** The pages served; anything else is a 404. */
const PATHS = new Set(['/metrics', '/livez', '/readyz']);

/** Answers one scrape (or refuses it). */
async function handle(request: IncomingMessage, response: ServerResponse, address: HttpAddress, port: number, token: string | undefined, target: MetricsTarget): Promise<void> {
  const text = 'text/plain; charset=utf-8';
  if (!isHostAllowed(request.headers.host, address, port)) return send(response, 421, text, `Host ${JSON.stringify(request.headers.host ?? '')} is not this server's address\n`);
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  if (!PATHS.has(path)) return send(response, 404, text, path === '/' ? 'supervise: the metrics are at /metrics, the probes at /livez and /readyz\n' : `no such page: ${path}\n`);
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, text, `${request.method} not allowed\n`, { Allow: 'GET, HEAD' });
  // Off loopback the token guards the metrics too (a Prometheus scrape config sets it as `authorization`).
  if (token !== undefined && !isLoopback(address.host) && !hasBearer(request, token)) {
    return send(response, 401, text, 'these metrics need Authorization: Bearer <token>\n', { 'WWW-Authenticate': 'Bearer realm="supervise"' });
  }
  // Answering at all proves the master's loop turns: that is liveness.
  if (path === '/livez') return send(response, 200, text, 'ok\n');
  if (path === '/readyz') {
    const verdict = readiness(target);
    return send(response, verdict.ready ? 200 : 503, text, readinessText(verdict));
  }
  try {
    send(response, 200, METRICS_CONTENT_TYPE, formatMetrics(await target.status()));
  } catch (error) {
    send(response, 500, text, `cannot read the pool's status: ${firstLine(error)}\n`);
  }
}

/**
 * Serves `formatMetrics(await target.status())` at `http://<address>/metrics`, and the probes:
 * `/livez` 200 whenever the master's loop answers, `/readyz` 200 when every id is ready, else 503
 * with the reasons (see `readiness`). Logs the metrics URL.
 * Off loopback (allowed only with `token`, which resolveOptions enforces) a scrape needs
 * `Authorization: Bearer <token>`. Rejects with SuperviseError E_OPTION when the address cannot be bound.
 */
export async function serveMetrics(address: HttpAddress, token: string | undefined, target: MetricsTarget, log: Logger): Promise<HttpService> {
  let port = 0;
  const server = createServer((request, response) => {
    handle(request, response, address, port, token, target).catch(() => response.destroy());
  });
  port = await listenHttp(server, address, 'metrics', ErrorCode.OPTION);
  server.unref();
  const service = serviceHandle(server, address, port, '/metrics');
  log.info('metrics', `metrics ${service.url}`, { url: service.url });
  return service;
}
