import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, bounded, isAlive, killStarted, parentOf, startCli, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

const EXAMPLES = join(ROOT, 'examples');

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A result file of the integrity example. */
interface JobResult {
  n: number;
  input: string;
  output: string;
  worker: number;
  pid: number;
  checksum: string;
}

describe('examples/integrity: a file job queue checked by worker 0', () => {
  const tmp = tempDir('supervise-integrity-');
  after(() => tmp.remove());
  const dir = tmp.dir;
  const results = join(dir, 'results');
  const JOBS = 30;

  /** The result of job n, or undefined while there is none or it does not parse. */
  function result(n: number): JobResult | undefined {
    try {
      return JSON.parse(readFileSync(join(results, `${n}.json`), 'utf8')) as JobResult;
    } catch {
      return undefined;
    }
  }

  /** True when the result of job n carries a checksum recomputed here, independently of the app. */
  function checksumOk(r: JobResult): boolean {
    const { checksum, ...body } = r;
    return checksum === sha256(JSON.stringify(body));
  }

  /** Claim files as [id, n, pid], from jobs/claimed/<id>/<n>.<pid>.json. */
  function claims(): Array<[number, number, number]> {
    const root = join(dir, 'jobs', 'claimed');
    return readdirSync(root).flatMap((id) =>
      readdirSync(join(root, id))
        .map((name) => name.match(/^(\d+)\.(\d+)\.json$/))
        .filter((m) => m !== null)
        .map((m): [number, number, number] => [Number(id), Number(m[1]), Number(m[2])]),
    );
  }

  it('survives a SIGKILLed worker and a corrupted result: every job done once, exit 0 on QUIT', async () => {
    const env = { INTEGRITY_DIR: dir };
    execFileSync(process.execPath, [join(EXAMPLES, 'integrity', 'seed.js'), String(JOBS)], { env: { ...process.env, ...env }, timeout: 30_000 });
    const inputs = new Map<number, string>();
    for (let n = 1; n <= JOBS; n++) {
      inputs.set(n, (JSON.parse(readFileSync(join(dir, 'jobs', 'pending', `${n}.json`), 'utf8')) as { input: string }).input);
    }

    const cli = startCli(['--app', 'examples/integrity/app.js', '--workers', '3', '--poll', '1'], { env });
    await cli.waitForLog(/master ready/);
    await waitFor(() => [...inputs.keys()].filter((n) => result(n)).length >= 3, 30_000, 'the first results');

    // SIGKILL a worker holding a claim; retry if it had already written its result when the kill landed.
    const killed: Array<{ n: number; pid: number }> = [];
    let hit: { n: number; pid: number; id: number } | undefined;
    for (let attempt = 0; attempt < 5 && hit === undefined; attempt++) {
      const [id, n, pid] = await waitFor(() => claims().find(([, , p]) => isAlive(p)), 30_000, 'a live worker holding a claim');
      assert.notEqual(id, 0, 'worker 0 never claims a job');
      assert.equal(cli.workerPids().get(id), pid, 'the claim names the pid of the worker holding that id');
      process.kill(pid, 'SIGKILL');
      killed.push({ n, pid });
      await waitFor(() => !isAlive(pid), 45_000, `worker pid ${pid} to die`);
      const recovered = new RegExp(`job ${n}: worker\\[${id}\\] pid=${pid} died holding it; back to pending`);
      const outcome = await waitFor(() => (result(n)?.pid === pid ? 'missed' : recovered.test(cli.stdout()) ? 'hit' : undefined), 15_000, `worker 0 to recover job ${n}`);
      if (outcome === 'hit') hit = { n, pid, id };
    }
    assert.ok(hit, 'a worker was killed in the middle of a job at least once');
    await cli.waitForLog(new RegExp(`worker\\[${hit.id}\\] respawning`));

    // Corrupt one finished result by hand (not a job a kill touched): worker 0 must move it aside and re-queue it.
    const victim = await waitFor(() => [...inputs.keys()].find((n) => !killed.some((k) => k.n === n) && result(n)), 30_000, 'a result to corrupt');
    const original = result(victim)!;
    writeFileSync(join(results, `${victim}.json`), JSON.stringify({ ...original, output: 'tampered' }) + '\n');
    await waitFor(() => cli.stdout().includes(`CORRUPT ${join(results, `${victim}.json`)}`), 15_000, 'worker 0 to report the corrupt result');

    // Every job done, with a valid result, and the queue empty.
    await waitFor(
      () =>
        [...inputs.keys()].every((n) => {
          const r = result(n);
          return r !== undefined && checksumOk(r);
        }) &&
        readdirSync(join(dir, 'jobs', 'pending')).length === 0 &&
        claims().length === 0,
      60_000,
      `every job done; stdout:\n${cli.stdout()}`,
    );
    const pids = cli.allWorkerPids();
    cli.child.kill('SIGQUIT');
    assert.deepEqual(await bounded(cli.exited, 30_000, 'the master to exit after QUIT'), { code: 0, signal: null });
    assert.ok(pids.every((pid) => !isAlive(pid)), 'no worker outlives the master');
    await cli.outputEnded();

    // No job lost: one valid, correct result per job, each job in done.
    assert.deepEqual(readdirSync(results).filter((f) => f.endsWith('.json')).sort(), [...inputs.keys()].map((n) => `${n}.json`).sort());
    assert.equal(readdirSync(join(dir, 'jobs', 'done')).length, JOBS);
    for (const [n, input] of inputs) {
      const r = result(n)!;
      assert.ok(checksumOk(r), `checksum of job ${n}`);
      assert.equal(r.input, input);
      assert.equal(r.output, sha256(input), `output of job ${n}`);
      assert.notEqual(r.worker, 0, 'worker 0 only checks');
    }
    assert.notEqual(result(victim)!.output, 'tampered');
    const asides = readdirSync(join(results, 'corrupt'));
    assert.equal(asides.length, 1, `exactly one result moved aside: ${asides.join(', ')}`);
    assert.match(asides[0]!, new RegExp(`^${victim}\\.\\d+\\.json$`));
    assert.equal(cli.stdout().match(/^CORRUPT /gm)?.length, 1, 'no false corruption report');

    // No job done twice: one completion each, two for the corrupted one; none for a missed kill is tolerated.
    const completions = new Map<number, number>();
    for (const m of cli.stdout().matchAll(/^worker\[(\d+)\] done job (\d+)$/gm)) {
      assert.notEqual(m[1], '0');
      completions.set(Number(m[2]), (completions.get(Number(m[2])) ?? 0) + 1);
    }
    const hitJob = hit.n;
    for (const n of inputs.keys()) {
      const expected = n === victim ? 2 : 1;
      const count = completions.get(n) ?? 0;
      if (killed.some((k) => k.n === n && n !== hitJob)) assert.ok(count <= expected, `job ${n} done ${count} times`);
      else assert.equal(count, expected, `job ${n} done ${count} times`);
    }
  });
});

/** A running `node examples/embed/server.js`, its output collected and every pid it logs tracked. */
function startServer() {
  const child = spawn(process.execPath, [join(EXAMPLES, 'embed', 'server.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child.pid);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    for (const m of chunk.toString().matchAll(/spawned pid=(\d+)/g)) track(Number(m[1]));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    exited,
    stdout: () => out,
    spawnedPids: () => [...err.matchAll(/spawned pid=(\d+)/g)].map((m) => Number(m[1])),
  };
}

/** The pool state the embed server serves. */
interface PoolState {
  state: string;
  size: number;
  workers: Array<{ id: number; pid: number; state: string }>;
}

describe('examples/embed: an HTTP server embedding a Supervisor', () => {
  it('serves the pool state, scales on POST, and stops its workers on SIGTERM', async () => {
    const server = startServer();
    const [, url] = await waitFor(() => server.stdout().match(/listening on (http:\/\/127\.0\.0\.1:\d+\/)/), 30_000, `the URL in:\n${server.stdout()}`);

    const get = async (): Promise<PoolState> => (await (await fetch(url!)).json()) as PoolState;
    const first = await get();
    assert.equal(first.state, 'running');
    assert.equal(first.size, 2);
    assert.deepEqual(first.workers.map((w) => [w.id, w.state]), [[0, 'running'], [1, 'running']]);
    for (const w of first.workers) {
      assert.ok(isAlive(w.pid), `worker ${w.id} pid ${w.pid} is alive`);
      assert.equal(parentOf(w.pid), server.child.pid, 'workers are children of the server');
    }

    const scaled = await fetch(`${url}scale?n=3`, { method: 'POST' });
    assert.equal(scaled.status, 200);
    assert.equal(((await scaled.json()) as PoolState).size, 3);
    const after3 = await get();
    assert.equal(after3.size, 3);
    assert.deepEqual(after3.workers.map((w) => [w.id, w.state]), [[0, 'running'], [1, 'running'], [2, 'running']]);
    assert.equal(after3.workers[0]!.pid, first.workers[0]!.pid, 'existing workers are kept');

    const bad = await fetch(`${url}scale?n=lots`, { method: 'POST' });
    assert.equal(bad.status, 400);
    assert.equal((await get()).size, 3);

    const down = (await (await fetch(`${url}scale?n=1`, { method: 'POST' })).json()) as PoolState;
    assert.deepEqual(down.workers.map((w) => w.id), [0]);
    assert.ok(after3.workers.slice(1).every((w) => !isAlive(w.pid)), 'retired workers have exited');

    const pids = server.spawnedPids();
    assert.equal(pids.length, 3);
    server.child.kill('SIGTERM');
    assert.deepEqual(await bounded(server.exited, 30_000, 'the server to exit after SIGTERM'), { code: 0, signal: null });
    assert.ok(pids.every((pid) => !isAlive(pid)), 'no worker left after the server exits');
  });
});

describe('examples/typescript: a TypeScript app compiled with tsc, run through the CLI', () => {
  it('compiles, and two workers run its tasks', async () => {
    const dist = join(EXAMPLES, 'typescript', 'dist', 'app.js');
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(EXAMPLES, 'typescript')], { cwd: ROOT, timeout: 120_000 });
    assert.ok(existsSync(dist));
    assert.doesNotMatch(readFileSync(dist, 'utf8'), /from 'supervise'/, 'the type-only import is erased');

    const cli = startCli(['--app', 'examples/typescript/dist/app.js', '--workers', '2', '--poll', '1']);
    await waitFor(() => /^worker\[0\] task 2 /m.test(cli.stdout()) && /^worker\[1\] task 2 /m.test(cli.stdout()), 30_000, `two tasks per worker in:\n${cli.stdout()}`);
    assert.match(cli.stdout(), /^worker\[0\] pid=\d+ loaded the TypeScript app \(id 0\)$/m);
    assert.match(cli.stdout(), /^worker\[1\] pid=\d+ loaded the TypeScript app \(id 1\)$/m);
    const pids = cli.allWorkerPids();
    cli.child.kill('SIGTERM');
    assert.deepEqual(await bounded(cli.exited, 30_000, 'the master to exit after SIGTERM'), { code: 0, signal: null });
    assert.ok(pids.every((pid) => !isAlive(pid)));
  });
});
