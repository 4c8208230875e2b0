#!/usr/bin/env node
/**
 * supervise -- <program> against supervisord (numprocs) on the same shell job loop
 * (test/fixtures/job-loop.sh: 1 s jobs, "job … start/done" lines): respawn after SIGKILL, the
 * master SIGKILLed (orphans left, jobs cut), a rolling reload (jobs cut; supervisord restarts all)
 * and a stop. Run: `make bench-programs` (node bench/programs.mjs [--workers 4]) on a quiet machine.
 * Needs supervisord (Debian's supervisor: `make bench-peers`). Prints a table and writes JSON.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'supervise.cjs');
const PROGRAM = join(ROOT, 'test', 'fixtures', 'job-loop.sh');
const N = Number(process.argv[process.argv.indexOf('--workers') + 1]) || 4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, predicate, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every output line of the programs so far (one file per run, or one per process). */
function lines(dir) {
  return readdirSync(dir)
    .filter((f) => f.startsWith('out'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'));
}
const pids = (dir) => {
  const m = new Map();
  for (const l of lines(dir)) {
    const x = /^pid (\d+) id (\d+)/.exec(l);
    if (x) m.set(Number(x[2]), Number(x[1]));
  }
  return m;
};
const allPids = (dir) => lines(dir).flatMap((l) => (/^pid (\d+)/.exec(l) ? [Number(/^pid (\d+)/.exec(l)[1])] : []));
/** Jobs started and not done; `deadOnly`: only those of programs that are gone (cut, not in flight). */
const cut = (dir, deadOnly = false) => {
  const ls = lines(dir);
  const done = new Set(ls.flatMap((l) => (/^job (\S+) done/.exec(l) ? [/^job (\S+) done/.exec(l)[1]] : [])));
  const open = ls.flatMap((l) => (/^job (\S+) start/.exec(l) ? [/^job (\S+) start/.exec(l)[1]] : [])).filter((job) => !done.has(job));
  return deadOnly ? open.filter((job) => !alive(Number(job.split('.')[1]))).length : open.length;
};

/** One pool of N job loops, under supervise or supervisord; `env` for the programs. */
function startPool(system, dir, env) {
  mkdirSync(dir, { recursive: true });
  if (system === 'supervise') {
    const out = join(dir, 'out');
    writeFileSync(out, '');
    const child = spawn(process.execPath, [CLI, '--workers', String(N), '--quiet', '--control', join(dir, 'c.sock'), '--', PROGRAM, '{id}'], {
      env: { ...process.env, ...env, NOTIFY: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (c) => writeFileSync(out, c, { flag: 'a' }));
    return {
      pid: child.pid,
      exited: new Promise((r) => child.on('exit', r)),
      reload: () => process.kill(child.pid, 'SIGHUP'),
      stop: () => process.kill(child.pid, 'SIGQUIT'),
    };
  }
  const conf = join(dir, 'supervisord.conf');
  const envLine = Object.entries(env).map(([k, v]) => `${k}="${v}"`).join(',');
  writeFileSync(
    conf,
    [
      '[unix_http_server]', `file=${join(dir, 'sv.sock')}`,
      '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '[supervisorctl]', `serverurl=unix://${join(dir, 'sv.sock')}`,
      '[supervisord]', 'nodaemon=true', `logfile=${join(dir, 'supervisord.log')}`, `pidfile=${join(dir, 'supervisord.pid')}`, 'loglevel=warn',
      '[program:w]', `command=${PROGRAM} %(process_num)d`, 'process_name=w_%(process_num)d', `numprocs=${N}`, 'numprocs_start=0',
      `environment=${envLine}`, 'autorestart=true', 'startsecs=0', 'stopsignal=TERM', 'stopwaitsecs=10',
      `stdout_logfile=${join(dir, 'out-%(process_num)d')}`, 'stdout_logfile_maxbytes=0', 'redirect_stderr=true', '',
    ].join('\n'),
  );
  const child = spawn('supervisord', ['-n', '-c', conf], { stdio: 'ignore' });
  const ctl = (...a) => spawn('supervisorctl', ['-c', conf, ...a], { stdio: 'ignore' });
  return {
    pid: child.pid,
    exited: new Promise((r) => child.on('exit', r)),
    reload: () => ctl('restart', 'all'),
    stop: () => process.kill(child.pid, 'SIGTERM'),
  };
}

/** Runs one scenario on a fresh pool; returns its numbers. */
async function scenario(system, name, env, body) {
  const dir = mkdtempSync(join(tmpdir(), `bench-prog-${system}-`));
  const pool = startPool(system, dir, env);
  try {
    await waitFor('every id working', () => pids(dir).size === N && cut(dir) >= N);
    return await body(pool, dir);
  } finally {
    for (const pid of [pool.pid, ...allPids(dir)]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
  }
}

const FINISH = { TERM_MODE: 'finish', JOB_SECONDS: '1' };
const DIE = { TERM_MODE: 'die', JOB_SECONDS: '1' };
const results = {};
for (const system of ['supervise', 'supervisord']) {
  const r = (results[system] = {});
  // Respawn: SIGKILL one program, time until its id's new program prints its pid.
  r.respawnMs = await scenario(system, 'respawn', FINISH, async (_pool, dir) => {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const old = pids(dir).get(1);
      const t0 = performance.now();
      process.kill(old, 'SIGKILL');
      await waitFor('respawn', () => pids(dir).get(1) !== old);
      times.push(performance.now() - t0);
      await sleep(300);
    }
    return Math.round(times.sort((a, b) => a - b)[2]);
  });
  // Master death: SIGKILL the master mid-job; programs that finish their job on TERM.
  Object.assign(r, await scenario(system, 'master-death', FINISH, async (pool, dir) => {
    const programs = [...pids(dir).values()];
    process.kill(pool.pid, 'SIGKILL');
    await sleep(5000);
    return { masterDeathOrphansAfter5s: programs.filter(alive).length, masterDeathJobsCut: cut(dir, true) };
  }));
  // Rolling reload of programs that die at once on TERM (supervise: they speak the protocol).
  Object.assign(r, await scenario(system, 'reload', DIE, async (pool, dir) => {
    const before = new Map(pids(dir));
    const t0 = performance.now();
    pool.reload();
    await waitFor('every id on a new program', () => [...before].every(([id, pid]) => pids(dir).get(id) !== undefined && pids(dir).get(id) !== pid), 60_000);
    const ms = Math.round(performance.now() - t0);
    await sleep(1500);
    return { reloadMs: ms, reloadJobsCut: cut(dir, true) };
  }));
  // Stop: graceful (supervise QUIT; supervisord's TERM, its only stop) of programs that die on TERM.
  Object.assign(r, await scenario(system, 'stop', DIE, async (pool, dir) => {
    const t0 = performance.now();
    pool.stop();
    await pool.exited;
    await sleep(300);
    return { stopMs: Math.round(performance.now() - t0), stopJobsCut: cut(dir, true) };
  }));
}
console.log(`programs pool, ${N} copies of test/fixtures/job-loop.sh (1 s jobs)`);
console.log('measure'.padEnd(28), 'supervise'.padStart(10), 'supervisord'.padStart(12));
for (const k of Object.keys(results.supervise)) console.log(k.padEnd(28), String(results.supervise[k]).padStart(10), String(results.supervisord[k]).padStart(12));
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'programs.json'), JSON.stringify({ workers: N, at: new Date().toISOString(), results }, null, 2) + '\n');
