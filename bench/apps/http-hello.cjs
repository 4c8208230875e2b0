'use strict';
/**
 * The hello-world HTTP app every Node system serves: an unchanged node:http server listening on
 * $PORT at load (under supervise --listen, the master's shared socket for that port; under the
 * cluster module and pm2's cluster mode, the primary's). It exports nothing.
 */
const http = require('node:http');

http
  .createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '12' });
    res.end('hello world\n');
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
