/**
 * A tiny load generator for the --listen tests: `concurrency` loops of node:http requests, each
 * on a keep-alive agent or a new connection per request, counting answers per worker pid and
 * failures per error code, until stopped.
 */
import http from 'node:http';

/** What a load run saw. */
export interface LoadResult {
  ok: number;
  /** Failures by error code (ECONNREFUSED, ECONNRESET, …) or `status <n>`. */
  errors: Record<string, number>;
  /** Answers per worker pid (the fixture answers `pid=<n>`). */
  byPid: Map<number, number>;
}

/** Where requests go: a TCP port on 127.0.0.1 or a Unix socket path. */
export type Target = { port: number } | { socketPath: string };

/** One request; resolves with the answering pid, rejects with the request's error. */
export function get(target: Target, path = '/', agent?: http.Agent): Promise<{ pid: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const where = 'port' in target ? { host: '127.0.0.1', port: target.port } : { socketPath: target.socketPath };
    const req = http.get({ ...where, path, agent: agent ?? false, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(Object.assign(new Error(`status ${res.statusCode}`), { code: `status ${res.statusCode}` }));
        resolve({ pid: Number(/pid=(\d+)/.exec(body)?.[1]), connection: res.headers.connection });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
  });
}

/** Starts the load; `stop()` ends every loop after its current request and returns the counts. */
export function startLoad(target: Target, options: { concurrency?: number; keepAlive: boolean }): { stop(): Promise<LoadResult>; result: LoadResult } {
  const result: LoadResult = { ok: 0, errors: {}, byPid: new Map() };
  const agent = options.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: options.concurrency ?? 8 }) : undefined;
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      try {
        const { pid } = await get(target, '/', agent);
        result.ok++;
        result.byPid.set(pid, (result.byPid.get(pid) ?? 0) + 1);
      } catch (error) {
        const code = (error as { code?: string }).code ?? String(error);
        result.errors[code] = (result.errors[code] ?? 0) + 1;
      }
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 8 }, loop);
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent?.destroy();
      return result;
    },
  };
}
