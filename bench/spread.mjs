#!/usr/bin/env node
// How the kernel spreads connections and requests over the workers of one `--listen` socket
// (issue 13 point 6): 4 workers of test/fixtures/http-server.cjs, load from node:http, once with
// keep-alive connections and once with a new connection per request. Prints one table per run:
// requests and connections per worker, their shares, and max/min. No dependencies.
//
//   flock /work/bench.lock node bench/spread.mjs [--workers 4] [--connections 16] [--seconds 5] [--max-requests-per-socket N]
// --max-requests-per-socket sets Node's server.maxRequestsPerSocket in the app (bench/apps/spread-server.cjs):
// a keep-alive connection is closed after N requests and the client reconnects, which re-spreads it.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { workers: { type: 'string', default: '4' }, connections: { type: 'string', default: '16' }, seconds: { type: 'string', default: '5' }, 'max-requests-per-socket': { type: 'string' } } });
const maxPerSocket = values['max-requests-per-socket'];
const workers = Number(values.workers);
const connections = Number(values.connections);
const seconds = Number(values.seconds);

/** Starts the pool; resolves with its port once every worker is ready. */
function startPool() {
  const child = spawn(process.execPath, [`${root}dist/cli/supervise.cjs`, '--app', `${root}bench/apps/spread-server.cjs`, '--workers', String(workers), '--listen', '127.0.0.1:0', '--control', `/tmp/supervise-spread-${process.pid}.sock`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...(maxPerSocket !== undefined && { MAX_REQUESTS_PER_SOCKET: maxPerSocket }) },
  });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the pool did not get ready in 60 s:\n${err}`)), 60_000);
    child.stderr.on('data', (chunk) => {
      err += chunk;
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(err)?.[1];
      if (port !== undefined && /master ready/.test(err)) {
        clearTimeout(timer);
        resolve({ child, port: Number(port) });
      }
    });
  });
}

/** `connections` loops of requests for `seconds`; counts answers and connections per worker pid. */
async function load(port, keepAlive) {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: connections }) : false;
  const requests = new Map();
  const sockets = new Map(); // socket → pid: a keep-alive connection stays with the worker that accepted it
  let failed = 0;
  const until = Date.now() + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          const pid = Number(/pid=(\d+)/.exec(body)?.[1]);
          requests.set(pid, (requests.get(pid) ?? 0) + 1);
          sockets.set(req.socket, pid);
          resolve();
        });
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) await one();
    }),
  );
  if (agent) agent.destroy();
  const perPid = new Map();
  for (const pid of sockets.values()) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
  return { requests, connections: perPid, failed };
}

function table(title, pids, result, keepAlive) {
  const total = [...result.requests.values()].reduce((a, b) => a + b, 0);
  const totalConnections = [...result.connections.values()].reduce((a, b) => a + b, 0);
  const counts = pids.map((pid) => result.requests.get(pid) ?? 0);
  const lines = [`${title}: ${total} requests (${Math.round(total / seconds)}/s), ${keepAlive ? `${totalConnections} connections` : 'a connection per request'}, ${result.failed} failed`];
  lines.push('worker  requests  share' + (keepAlive ? '  connections' : ''));
  pids.forEach((pid, i) => {
    const share = total > 0 ? ((100 * counts[i]) / total).toFixed(1) : '-';
    lines.push(`${String(i).padStart(6)}  ${String(counts[i]).padStart(8)}  ${share.padStart(5)}%` + (keepAlive ? `  ${String(result.connections.get(pid) ?? 0).padStart(11)}` : ''));
  });
  const min = Math.min(...counts);
  lines.push(`max/min requests: ${min > 0 ? (Math.max(...counts) / min).toFixed(2) : 'inf (a worker got none)'}`);
  return lines.join('\n');
}

const { child, port } = await startPool();
try {
  // The workers' pids, in id order, from a few answers is not enough: ask the pool.
  const status = await new Promise((resolve, reject) => {
    const s = spawn(process.execPath, [`${root}dist/cli/supervise.cjs`, 'status', '--json', '--control', `/tmp/supervise-spread-${process.pid}.sock`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    s.stdout.on('data', (c) => (out += c));
    s.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`status exited ${code}`))));
  });
  const pids = status.workers.map((w) => w.pid);
  console.log(`supervise --workers ${workers} --listen 127.0.0.1:${port}; ${connections} concurrent clients, ${seconds} s each, node ${process.version}${maxPerSocket !== undefined ? `; server.maxRequestsPerSocket=${maxPerSocket}` : ''}\n`);
  for (const keepAlive of [true, false]) {
    const result = await load(port, keepAlive);
    console.log(table(keepAlive ? 'keep-alive' : 'no keep-alive', pids, result, keepAlive) + '\n');
  }
} finally {
  child.kill('SIGTERM');
}
