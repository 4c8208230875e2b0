'use strict';
/**
 * The floor of a hand-over that keeps an id in one process at a time: the old process finishes its
 * task and exits, its parent sees the exit and tells the waiting new process, which starts its
 * task. This runs exactly that with nothing else: `node handover.cjs <rounds> [exit|message]` prints
 * the gaps (old task's end to new task's start, in ms, each stamped by the process itself) as a JSON
 * array. `exit` (the default) waits for the old process's exit, as supervise does; `message` tells
 * the new process as soon as the old one reports its last task done (the old one exits meanwhile):
 * the floor of a design that hands the id over before the old process has gone.
 * Child roles: `old` ends its "task" and exits at once on a message; `new` stamps its start on one.
 */
const { fork } = require('node:child_process');

const role = process.argv[2];
if (role === 'old') {
  process.on('message', () => {
    process.send(String(process.hrtime.bigint()), () => process.exit(0));
  });
  process.send('up');
} else if (role === 'new') {
  process.on('message', () => {
    process.send(String(process.hrtime.bigint()), () => process.disconnect());
  });
  process.send('up');
} else {
  const rounds = Number(role || 10);
  const onExit = (process.argv[3] || 'exit') === 'exit';
  /** Forks a child in `name`'s role; resolves with it once it has loaded and said so. */
  const child = (name) =>
    new Promise((resolve) => {
      const c = fork(__filename, [name], { stdio: 'ignore' });
      c.once('message', () => resolve(c));
    });
  /** One hand-over: both processes up and loaded, then old's end → exit → parent → new's start. */
  const once = async () => {
    const [older, newer] = await Promise.all([child('old'), child('new')]);
    return new Promise((resolve) => {
      let endNs;
      older.once('message', (ns) => {
        endNs = BigInt(ns);
        if (!onExit) newer.send('go');
      });
      if (onExit) older.once('exit', () => newer.send('go'));
      newer.once('message', (ns) => resolve(Number(BigInt(ns) - endNs) / 1e6));
      older.send('end');
    });
  };
  (async () => {
    const gaps = [];
    for (let i = 0; i < rounds; i++) gaps.push(await once());
    process.stdout.write(JSON.stringify(gaps) + '\n');
  })();
}
