/**
 * A bare HTTP client for tests of the dashboard and metrics servers: node:http, so a test can send
 * the headers a browser would never let a page forge (Host, Origin), every request bounded in time.
 */
import { request } from 'node:http';

/** An answer: status, headers, body as text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Sends one request to `url` and resolves with the whole answer; rejects after `ms`. */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ms?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, timeout: options.ms ?? 15_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${options.ms ?? 15_000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
