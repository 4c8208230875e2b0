// The smallest server under supervise: plain node:http, unchanged from how it runs alone.
//   make example-http        (4 workers sharing 127.0.0.1:8080; curl http://127.0.0.1:8080/)
//   supervise --app examples/http/server.js --workers 4 --listen 127.0.0.1:8080
// The master binds 8080 once; this file's listen(8080) gets that shared socket in every worker.
// HUP reloads with no refused connection; QUIT lets in-flight requests finish. Nothing is exported.
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);

http
  .createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello from worker ${process.env.SUPERVISE_WORKER_ID} (pid ${process.pid})\n`);
  })
  .listen(port, () => console.log(`worker ${process.env.SUPERVISE_WORKER_ID} listening on ${port}`));
