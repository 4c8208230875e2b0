/**
 * What the dashboard and the metrics servers share: JSON and text answers, bearer-token checks in
 * constant time, and the handle the Supervisor keeps to close a server.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { formatHostPort, type HttpAddress } from '../shared/http-address.js';

/** A listening HTTP service of the master. */
export interface HttpService {
  /** Where it is served, port resolved: `http://127.0.0.1:8123/`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops every open connection (synchronous, so it can run at exit). */
  close(): void;
}

/** Headers every answer carries: nothing cached, nothing sniffed, nothing framed, no referrer. */
const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;

/** Answers with `body` as `type`, plus the common headers and any `headers` given. */
export function send(response: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

/** Answers with a JSON body. */
export function sendJson(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value) + '\n', headers);
}

/** Answers an error as `{ ok: false, error, code? }`. */
export function sendError(response: ServerResponse, status: number, error: string, code?: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { ok: false, error, ...(code !== undefined && { code }) }, headers);
}

/** True when `given` equals `expected`, compared in constant time (digests, so lengths leak nothing). */
export function secretEquals(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when the request carries `Authorization: Bearer <token>`. */
export function hasBearer(request: IncomingMessage, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return secretEquals(match?.[1], token);
}

/** The handle of a bound server; `close` also ends keep-alive connections, so no request is served after a stop. */
export function serviceHandle(server: Server, address: HttpAddress, port: number, path = '/'): HttpService {
  return {
    url: `http://${formatHostPort(address.host, port)}${path}`,
    port,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}
