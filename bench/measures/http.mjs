/**
 * HTTP: a hello-world server under supervise --listen, Node cluster's round robin, pm2's cluster
 * mode and Unicorn (Ruby, Rack), N workers each, all up at once and idle but for the one loaded.
 * 1. requests/s with keep-alive and with a new connection per request (a `Connection: close`
 *    request header: the server closes after each answer and autocannon connects again; its
 *    reconnectRate option drops the answer it reconnects after from its counts), round by round, the systems' order rotated every round; medians and
 *    per-round ratios to cluster.
 * 2. requests failed during a reload under load: autocannon (keep-alive) runs `reloadS` seconds,
 *    the reload is triggered after 2 s (supervise HUP, `pm2 reload`, Unicorn HUP, Unicorn
 *    USR2 + QUIT of the old master); failed = connection errors + timeouts + non-2xx answers.
 * The load generator is autocannon from bench/node_modules, in its own process.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { launch, shutdown } from '../lib/launch.mjs';
import { APPS, BENCH, CLI } from '../lib/paths.mjs';
import { descendants, isAlive, signal, track } from '../lib/procs.mjs';
import { median, round, sleep, spread } from '../lib/stats.mjs';
import { pm2Cli } from '../systems/pm2.mjs';

const AUTOCANNON = join(BENCH, 'node_modules', 'autocannon', 'autocannon.js');
const PM2 = join(BENCH, 'node_modules', 'pm2');
const HELLO = join(APPS, 'http-hello.cjs');

/** A free TCP port on 127.0.0.1 (bound, then released for the server to take). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One GET; resolves true on a 200. */
function get(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Whether `command` runs (`--version` or `-v` answers). */
function runs(command, args) {
  return new Promise((resolve) => execFile(command, args, { timeout: 10_000 }, (error, stdout) => resolve(error ? undefined : stdout.trim())));
}

/** The HTTP systems: start({ n, port, dir }) → Running; reload(running) when it has one. */
export const HTTP_SYSTEMS = [
  {
    id: 'supervise',
    label: 'supervise --listen',
    probe: async () => (existsSync(CLI) ? { ok: true } : { ok: false, why: 'dist/cli/supervise.cjs missing: make build' }),
    start: ({ n, port, dir }) =>
      launch(process.execPath, [CLI, '--app', HELLO, '--workers', String(n), '--listen', `127.0.0.1:${port}`], { env: { PORT: String(port) }, dir, name: 'supervise-http' }),
    reloads: { 'supervise HUP': async (running) => void signal(running.pid, 'SIGHUP') },
  },
  {
    id: 'cluster',
    label: 'Node cluster (round robin)',
    probe: async () => ({ ok: true }),
    start: ({ n, port, dir }) => launch(process.execPath, [join(APPS, 'http-cluster.cjs')], { env: { PORT: String(port), BENCH_WORKERS: String(n) }, dir, name: 'cluster-http' }),
    reloads: {},
  },
  {
    id: 'pm2',
    label: 'pm2-runtime (cluster mode)',
    probe: async () => (existsSync(join(PM2, 'package.json')) ? { ok: true } : { ok: false, why: 'pm2 is not installed: npm ci --prefix bench' }),
    start: ({ n, port, dir }) => {
      const pm2Home = join(dir, 'pm2-home');
      mkdirSync(pm2Home, { recursive: true });
      const eco = join(dir, 'ecosystem.json');
      const app = { name: 'bench', script: HELLO, instances: n, exec_mode: 'cluster', out_file: '/dev/null', error_file: '/dev/null', env: { PORT: String(port) } };
      writeFileSync(eco, JSON.stringify({ apps: [app] }));
      const running = launch(process.execPath, [join(PM2, 'bin', 'pm2-runtime'), 'start', eco], { env: { PM2_HOME: pm2Home, PM2_DISABLE_VERSION_CHECK: 'true' }, dir, name: 'pm2-http' });
      return Object.assign(running, { pm2Home });
    },
    reloads: { 'pm2 reload': (running) => pm2Cli(running, ['reload', 'bench']) },
  },
  {
    id: 'unicorn',
    label: 'Unicorn (Rack hello world)',
    probe: async () => ((await runs('unicorn', ['-v'])) ? { ok: true } : { ok: false, why: "unicorn is not installed: make bench-peers installs Debian's unicorn" }),
    start: ({ n, port, dir }) => {
      const pidFile = join(dir, 'unicorn.pid');
      const running = launch('unicorn', ['-c', join(APPS, 'unicorn-http.conf.rb'), join(APPS, 'hello.ru')], { env: { PORT: String(port), BENCH_WORKERS: String(n), BENCH_PID_FILE: pidFile, RACK_ENV: 'none' }, dir, name: 'unicorn-http' });
      return Object.assign(running, { pidFile });
    },
    reloads: {
      'Unicorn HUP': async (running) => void signal(running.pid, 'SIGHUP'),
      'Unicorn USR2 + QUIT': usr2Quit,
    },
  },
];

/**
 * Unicorn's binary upgrade: USR2 makes the master exec a new master (its pid file takes over, the
 * old one's becomes .oldbin), which starts its own workers; once they answer, QUIT to the old
 * master. The new master is then what `running` stands for (its pid is tracked and stopped).
 */
async function usr2Quit(running, { n }) {
  const oldPid = running.pid;
  signal(oldPid, 'SIGUSR2');
  const deadline = performance.now() + 30_000;
  let fresh;
  for (;;) {
    try {
      fresh = Number(readFileSync(running.pidFile, 'utf8'));
    } catch {
      fresh = undefined;
    }
    if (fresh && fresh !== oldPid && isAlive(fresh) && descendants(fresh).length >= n) break;
    if (performance.now() > deadline) throw new Error('Unicorn USR2: no new master with its workers within 30 s');
    await sleep(20);
  }
  track(fresh);
  for (const pid of descendants(fresh)) track(pid);
  signal(oldPid, 'SIGQUIT');
  running.upgradedTo = fresh;
}

/** Runs autocannon against `port` for `seconds`; resolves with its JSON result. */
function cannon(port, { seconds, connections, reconnect }) {
  return new Promise((resolve, reject) => {
    const args = [AUTOCANNON, '--json', '-c', String(connections), '-d', String(seconds), ...(reconnect ? ['-H', 'Connection: close'] : []), `http://127.0.0.1:${port}/`];
    execFile(process.execPath, args, { timeout: (seconds + 30) * 1000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`autocannon: ${error.message} ${stderr.slice(-300)}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`autocannon printed no JSON: ${stdout.slice(0, 200)} ${stderr.slice(-300)}`));
      }
    });
  });
}

/** Starts one HTTP system and waits until it answers with `n` workers up. */
async function up(system, n, tmp) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmp, `http-${system.id}-`));
  const running = system.start({ n, port, dir });
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) throw new Error(`${system.label} exited early: ${running.log().slice(-500)}`);
    if (descendants(running.pid).length >= n && (await get(port))) break;
    if (performance.now() > deadline) throw new Error(`${system.label}: not serving with ${n} workers within 60 s: ${running.log().slice(-500)}`);
    await sleep(50);
  }
  for (const pid of descendants(running.pid)) track(pid);
  await sleep(1000);
  return { system, running, port, dir };
}

/** Stops a server started by `up`, the Unicorn master an upgrade made included. */
async function down(server) {
  const extra = server.running.upgradedTo ? [server.running.upgradedTo, ...descendants(server.running.upgradedTo)] : [];
  if (server.running.upgradedTo) signal(server.running.upgradedTo, 'SIGTERM');
  await shutdown(server.running, { workerPids: extra, graceMs: 5000 });
}

/** The figures of one autocannon result. */
function figures(r) {
  return { rps: r.requests.average, total: r.requests.total, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx };
}

/**
 * Requests per second, interleaved: `rounds` × both modes × every system, `seconds` each.
 * Returns { [mode]: { [id]: { rps spread, vsCluster, failed } } }.
 */
async function throughput(servers, { rounds, seconds, connections }) {
  const modes = { keepAlive: false, newConnection: true };
  const samples = {};
  for (const mode of Object.keys(modes)) samples[mode] = Object.fromEntries(servers.map((s) => [s.system.id, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [mode, reconnect] of Object.entries(modes)) {
      const order = [...servers.slice(r % servers.length), ...servers.slice(0, r % servers.length)];
      for (const s of order) samples[mode][s.system.id].push(figures(await cannon(s.port, { seconds, connections, reconnect })));
    }
  }
  const out = {};
  for (const mode of Object.keys(modes)) {
    out[mode] = {};
    const base = samples[mode].cluster;
    for (const s of servers) {
      const list = samples[mode][s.system.id];
      const ratios = base ? list.map((f, i) => f.rps / base[i].rps) : [];
      out[mode][s.system.id] = {
        rps: spread(list.map((f) => f.rps), 0),
        vsCluster: ratios.length ? round(median(ratios), 2) : undefined,
        failed: list.reduce((a, f) => a + f.errors + f.timeouts + f.non2xx, 0),
        requests: list.reduce((a, f) => a + f.total, 0),
      };
    }
  }
  return out;
}

/** One reload under load: autocannon for `seconds`, the reload triggered after 2 s. */
async function reloadUnderLoad(server, name, trigger, { seconds, connections, n, reconnect }) {
  const before = new Set(descendants(server.running.pid));
  const load = cannon(server.port, { seconds, connections, reconnect });
  await sleep(2000);
  const t0 = performance.now();
  await trigger(server.running, { n });
  const triggerMs = performance.now() - t0;
  const f = figures(await load);
  const root = server.running.upgradedTo ?? server.running.pid;
  const after = descendants(root);
  return {
    reload: name,
    system: server.system.label,
    mode: reconnect ? 'newConnection' : 'keepAlive',
    requests: f.total,
    failed: f.errors + f.timeouts + f.non2xx,
    errors: f.errors,
    timeouts: f.timeouts,
    non2xx: f.non2xx,
    rps: round(f.rps, 0),
    // The reload did happen: how many of the processes from before it are still there at the end.
    oldLeft: after.filter((pid) => before.has(pid)).length,
    triggerMs: round(triggerMs, 0),
  };
}

/** The HTTP measurement; `selected` are the ids of the systems to include. */
export async function measureHttp({ selected, workers = 2, rounds = 2, seconds = 5, connections = 16, reloadS = 10, tmp }) {
  const servers = [];
  const notRun = [];
  try {
    for (const system of HTTP_SYSTEMS.filter((s) => selected.includes(s.id))) {
      const probe = await system.probe();
      if (!probe.ok) {
        notRun.push({ id: system.id, label: system.label, why: probe.why });
        continue;
      }
      servers.push(await up(system, workers, tmp));
    }
    const rates = await throughput(servers, { rounds, seconds, connections });
    const reloads = [];
    for (const server of servers) {
      for (const [name, trigger] of Object.entries(server.system.reloads)) {
        for (const reconnect of [false, true]) {
          // Each reload on a fresh server, so that one's aftermath never meets the next.
          await down(server);
          Object.assign(server, await up(server.system, workers, tmp));
          reloads.push(await reloadUnderLoad(server, name, trigger, { seconds: reloadS, connections, n: workers, reconnect }));
        }
      }
    }
    return { workers, rounds, seconds, connections, reloadS, systems: servers.map((s) => ({ id: s.system.id, label: s.system.label })), notRun, rates, reloads };
  } finally {
    for (const server of servers) await down(server).catch(() => {});
  }
}
