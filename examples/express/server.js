// An Express app, unchanged from how it runs alone: app.listen(port) and nothing exported.
//   make example-express     (installs express here, then 4 workers share 127.0.0.1:8080)
//   supervise --app examples/express/server.js --workers 4 --listen 127.0.0.1:8080
// app.listen() calls node:http's server.listen(port): under supervise it gets the master's shared
// socket in every worker, so HUP, TTIN/TTOU and `supervise ctl upgrade` refuse no connection.
const express = require('express');

const app = express();
// PORT as usual; SUPERVISE_PORT is the port supervise bound (the one to use with --listen 127.0.0.1:0).
const port = Number(process.env.PORT ?? process.env.SUPERVISE_PORT ?? 8080);

app.get('/', (req, res) => {
  res.type('text/plain').send(`hello from express, worker ${process.env.SUPERVISE_WORKER_ID} (pid ${process.pid})\n`);
});

app.get('/slow', (req, res) => {
  setTimeout(() => res.type('text/plain').send(`slow answer from pid ${process.pid}\n`), Number(req.query.ms ?? 1000));
});

app.listen(port, () => console.log(`worker ${process.env.SUPERVISE_WORKER_ID} listening on ${port}`));
