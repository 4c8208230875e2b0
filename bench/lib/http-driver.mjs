/**
 * Keeps `concurrency` requests in flight to a Unix-socket HTTP server (Unicorn): each one, when
 * answered, is sent again at once. How Unicorn workers get their tasks in busy mode.
 */
import http from 'node:http';

/** Starts the driver; `stop()` sends no more requests (those in flight finish or fail on their own). */
export function driveRequests(socketPath, concurrency) {
  let running = true;
  let answered = 0;
  let failed = 0;
  /** One request loop: send, wait for the answer, repeat while running. */
  const loop = () => {
    if (!running) return;
    const req = http.request({ socketPath, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        answered++;
        loop();
      });
      res.on('error', () => failed++);
    });
    req.on('error', () => {
      failed++;
      // The server may be between workers (or gone): retry shortly while still driving.
      if (running) setTimeout(loop, 5);
    });
    req.end();
  };
  for (let i = 0; i < concurrency; i++) loop();
  return {
    stop: () => {
      running = false;
    },
    stats: () => ({ answered, failed }),
  };
}
