// The package as npm would publish it, built from a tree without dist/ (a fresh clone), packed,
// installed into a consumer project and used there: an empty tarball can never ship again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, killStarted, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const project = tempDir('supervise-pack-');
after(() => project.remove());
/** The source tree as a fresh clone has it: the checkout's files (tracked, or new and not ignored), no dist/. */
const source = tempDir('supervise-pack-src-');
after(() => source.remove());

/** Runs a command in the temporary consumer project, bounded, returning stdout. */
function run(command: string, args: string[], timeout = 120_000): string {
  return execFileSync(command, args, { cwd: project.dir, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The JSON npm printed on stdout after whatever a lifecycle script printed before it. */
function npmJson<T>(stdout: string): T {
  const start = stdout.search(/^[[{]/m);
  assert.ok(start >= 0, `no JSON in npm's output:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as T;
}

/** The paths a pack or publish --dry-run --json listed. */
type Listed = Array<{ filename: string; files: Array<{ path: string }> }> | Record<string, { filename: string; files: Array<{ path: string }> }>;
function pathsOf(listed: Listed): { filename: string; paths: string[] } {
  const entry = Array.isArray(listed) ? listed[0]! : Object.values(listed)[0]!;
  return { filename: entry.filename, paths: entry.files.map((f) => f.path) };
}

let packed: { filename: string; paths: string[] };

describe('the packed package, installed as a user would', () => {
  before(() => {
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0');
    for (const file of files) {
      if (file === '' || /^dist(-test)?\//.test(file) || !existsSync(join(ROOT, file))) continue;
      mkdirSync(dirname(join(source.dir, file)), { recursive: true });
      cpSync(join(ROOT, file), join(source.dir, file));
    }
    // The dependencies as `npm ci` would install them (linked: installing anew takes minutes).
    symlinkSync(join(ROOT, 'node_modules'), join(source.dir, 'node_modules'));
    assert.equal(existsSync(join(source.dir, 'dist')), false, 'the tree starts without dist/');
    packed = pathsOf(npmJson<Listed>(execFileSync(npm, ['pack', '--json', '--pack-destination', project.dir], { cwd: source.dir, encoding: 'utf8', timeout: 180_000 })));
    writeFileSync(join(project.dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(project.dir, packed.filename), `typescript@${tsVersion()}`, '@types/node@20'], 300_000);
  });

  it('npm pack builds first (prepack): the tarball holds dist, the bin, the types and the README, and nothing else', () => {
    const { paths } = packed;
    for (const path of ['dist/cli/supervise.cjs', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/worker/entry.cjs', 'README.md', 'package.json']) assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    assert.ok(paths.every((p) => p.startsWith('dist/') || ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(p)), paths.join(', '));
    assert.ok(!paths.some((p) => p.endsWith('.map')), 'no source maps');
  });

  it('npm publish --dry-run lists the CLI, the types and the README', () => {
    const { paths } = pathsOf(npmJson<Listed>(execFileSync(npm, ['publish', '--dry-run', '--json'], { cwd: source.dir, encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] })));
    for (const path of ['dist/cli/supervise.cjs', 'dist/cli/main.js', 'dist/index.d.ts', 'README.md']) assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
  });

  it('npx supervise --help works from the consumer project', () => {
    assert.match(run('npx', ['--no-install', 'supervise', '--help']), /--workers/);
  });

  it('npx supervise runs a short pool and stops on TERM', async () => {
    writeFileSync(join(project.dir, 'app.mjs'), "export async function workerStart(id) { console.log('task', id); await new Promise((r) => setTimeout(r, 50)); }\n");
    const child = spawn(join(project.dir, 'node_modules', '.bin', 'supervise'), ['--app', 'app.mjs', '--workers', '2'], { cwd: project.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child.pid);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
      for (const m of c.toString().matchAll(/pid=(\d+)/g)) track(Number(m[1]));
    });
    await waitFor(() => /task 0/.test(out) && /task 1/.test(out), 15_000, 'both workers running tasks');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('type-checks a TypeScript consumer, and its mistakes are compile errors', () => {
    writeFileSync(
      join(project.dir, 'consumer.ts'),
      `import { Supervisor, SuperviseError, ErrorCode, formatMetrics, type PoolStatus, type WorkerContext, type WorkerInfo, type WorkerStatus } from 'supervise';
const sv = new Supervisor({ app: './app.mjs', workers: 2, poll: 1, preload: false, logFormat: 'json' });
sv.on('exit', (worker: WorkerInfo, exit) => console.log(worker.id, exit.code, exit.signal));
sv.on('online', (worker) => console.log(worker.pid));
export async function workerStart(id: number, ctx: WorkerContext): Promise<void> { ctx.signal.throwIfAborted(); void id; }
export async function main(): Promise<void> {
  try { await sv.start(); } catch (e) { if (e instanceof SuperviseError && e.code === ErrorCode.APP_LOAD) console.error(e.message); }
  await sv.scale(3);
  await sv.pause();
  await sv.resume();
  const status: PoolStatus = await sv.status();
  const row: WorkerStatus | undefined = status.workers[0];
  console.log(row?.tasks, row?.rssBytes, status.taskSeconds.count, formatMetrics(status).length);
  await sv.stop({ graceful: true });
  // @ts-expect-error workers is a number
  new Supervisor({ app: 'a.js', workers: '4' });
  // @ts-expect-error app is required
  new Supervisor({ workers: 4 });
  // @ts-expect-error no such option
  new Supervisor({ app: 'a.js', wokers: 4 });
  // @ts-expect-error no such event
  sv.on('started', () => {});
  // @ts-expect-error an exit listener gets WorkerInfo, whose id is a number
  sv.on('exit', (worker) => worker.id.toUpperCase());
  // @ts-expect-error logFormat is 'human' or 'json'
  new Supervisor({ app: 'a.js', logFormat: 'xml' });
}
`,
    );
    writeFileSync(
      join(project.dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'] }, files: ['consumer.ts'] }),
    );
    run(join(project.dir, 'node_modules', '.bin', 'tsc'), ['-p', '.']);
  });
});

/** The TypeScript version this repository builds with, so the consumer check matches it. */
function tsVersion(): string {
  return (JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("typescript/package.json"))'], { cwd: ROOT, encoding: 'utf8' })) as { version: string }).version;
}
