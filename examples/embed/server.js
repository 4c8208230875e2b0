// Embed example: an HTTP server that runs a supervise pool beside itself and serves its state.
//
//   node examples/embed/server.js                   # PORT=8080 for a fixed port; default: a free one
//   curl http://127.0.0.1:<port>/                   # { state, size, workers: [{ id, pid, state, … }] }
//   curl -X POST 'http://127.0.0.1:<port>/scale?n=3'
//
// SIGTERM/SIGINT closes the server and stops the pool, then exits 0; a second one kills the workers at once.
// No package.json in this directory on purpose: `supervise` then resolves to this repository itself
// through its package.json "exports" (a package may import itself by name). In your project,
// `npm install supervise` and the same import works.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Supervisor } from 'supervise';

const sv = new Supervisor({ app: join(import.meta.dirname, 'worker.js'), workers: 2, poll: 1 });
sv.on('exit', (worker, exit) => console.log(`pool: worker[${worker.id}] pid=${worker.pid} exited`, exit));

/** Writes `body` as JSON with `status`. */
function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 2) + '\n');
}

/** The pool as JSON: its state, its size, and one entry per id. */
function poolState() {
  return { state: sv.state, size: sv.size, workers: sv.workers };
}

/** GET / → the pool state; POST /scale?n=N → resize, then the new state. */
async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/') return reply(res, 200, poolState());
  if (req.method === 'POST' && url.pathname === '/scale') {
    const n = url.searchParams.get('n') ?? '';
    if (!/^\d+$/.test(n)) return reply(res, 400, { error: `n must be a whole number, got ${JSON.stringify(n)}` });
    try {
      // scale() resolves once new ids run and retired ids have finished their task and exited.
      await sv.scale(Number(n));
    } catch (error) {
      return reply(res, 409, { error: error.message, code: error.code }); // the pool is stopping
    }
    return reply(res, 200, poolState());
  }
  reply(res, 404, { error: `no route ${req.method} ${url.pathname}` });
}

await sv.start();
const server = createServer((req, res) => void handle(req, res).catch((error) => reply(res, 500, { error: String(error) })));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`listening on http://127.0.0.1:${port}/`);
});

/** First signal: stop serving and stop the pool, then exit; a second: sv.stop() again kills the workers now. */
function shutdown(signal) {
  console.log(`${signal}: stopping`);
  server.close();
  server.closeAllConnections();
  sv.stop().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
