// bench/spread.mjs's server: node:http answering `pid=<n>` on $SUPERVISE_PORT, as
// test/fixtures/http-server.cjs; with $MAX_REQUESTS_PER_SOCKET, Node's server.maxRequestsPerSocket
// closes a keep-alive connection after that many requests, so the client reconnects and the
// kernel hands the new connection to a worker again.
const http = require('node:http');
const server = http.createServer((req, res) => res.end(`pid=${process.pid}\n`));
if (process.env.MAX_REQUESTS_PER_SOCKET) server.maxRequestsPerSocket = Number(process.env.MAX_REQUESTS_PER_SOCKET);
server.listen(Number(process.env.SUPERVISE_PORT));
