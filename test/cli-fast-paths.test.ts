// `supervise --version` and `supervise status` start fast: the bin (dist/cli/supervise.cjs)
// answers them in CommonJS, without Node's ESM loader, yargs or the master (what they load is
// recorded by module hooks), and the quick parse of `status` agrees with what yargs would make of
// the same arguments, leaving anything else to yargs. `node dist/cli/main.js` gives the same answers.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quickStatusArgs } from '../dist/cli/status-command.cjs';
import { CLI, ROOT, fixture, killStarted, startCli, tempDir, waitFor } from './helpers.js';

after(killStarted);

/** The ESM command, which the bin hands everything else to; still runnable itself. */
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * Runs `cli` with `args` under the recorders: its exit status, output, the files it loaded
 * (CommonJS paths and ESM URLs) and whether Node's ESM loader started. `esm: false` leaves the ESM
 * recorder out (it starts that loader itself).
 */
function loads(args: string[], { cli = CLI, esm = true, env: extra = {} }: { cli?: string; esm?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const tmp = tempDir();
  const file = join(tmp.dir, 'imports');
  const env: NodeJS.ProcessEnv = { ...process.env, RECORD_IMPORTS: file };
  for (const key of Object.keys(env)) if (key.startsWith('SUPERVISE_')) delete env[key];
  Object.assign(env, extra);
  const hooks = ['--require', fixture('record-requires.cjs'), ...(esm ? ['--import', fixture('record-imports.mjs')] : [])];
  const result = spawnSync(process.execPath, [...hooks, cli, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  let lines: string[] = [];
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing recorded
  }
  tmp.remove();
  const modules = lines.filter((line) => !line.startsWith('esm-loader '));
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, modules, esmLoader: lines.includes('esm-loader yes') };
}

/**
 * Whether Node itself starts its ESM loader for a CommonJS program that does nothing: Node 24 does
 * (20 and 22 do not), and then no command can avoid it. The fast paths start it exactly when Node does.
 */
function nodeStartsEsmLoader(): boolean {
  const tmp = tempDir();
  const empty = join(tmp.dir, 'empty.cjs');
  writeFileSync(empty, '');
  const run = loads([], { cli: empty, esm: false });
  tmp.remove();
  return run.esmLoader;
}

/** What a fast path must not load: yargs, the master, the services, the ESM command. */
function heavy(modules: string[]): string[] {
  return modules.filter((m) => /yargs|\/master\/|\/services\/|\/dist\/cli\/main\.js$/.test(m));
}

describe('CLI start-up', () => {
  const esmLoaderOfNode = nodeStartsEsmLoader();
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

  it('--version loads neither yargs nor the master nor Node\'s ESM loader, and prints the version', () => {
    const run = loads(['--version']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `${version}\n`);
    assert.ok(run.modules.some((m) => m.endsWith('/dist/cli/supervise.cjs')), `the recorder works: ${run.modules.join(' ')}`);
    assert.deepEqual(heavy(run.modules), []);
    const bare = loads(['-v'], { esm: false });
    assert.equal(bare.stdout, `${version}\n`);
    assert.equal(bare.esmLoader, esmLoaderOfNode, 'no ESM loader for --version (unless Node starts it for any program)');
  });

  it('status loads neither yargs nor the master nor Node\'s ESM loader', () => {
    const tmp = tempDir();
    const socket = join(tmp.dir, 'none.sock');
    const run = loads(['status', '--control', socket]);
    const bare = loads(['status', '--control', socket], { esm: false });
    tmp.remove();
    assert.equal(run.status, 1, 'no master there');
    assert.equal(run.stderr, `supervise: no master is running at ${socket}\n`);
    assert.ok(run.modules.some((m) => m.endsWith('/dist/cli/status-command.cjs')), run.modules.join(' '));
    assert.deepEqual(heavy(run.modules), []);
    assert.equal(bare.status, 1);
    assert.equal(bare.esmLoader, esmLoaderOfNode, `no ESM loader for status (unless Node starts it for any program): ${bare.stderr}`);
  });

  it('status of a live master: the table through the bin, and the same through main.js', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--poll', '1']);
    await cli.waitForLog(/master ready/, 45_000);
    const env = { XDG_RUNTIME_DIR: join(cli.controlPath, '..') };
    const fast = loads(['status'], { esm: false, env });
    assert.equal(fast.status, 0, fast.stderr);
    assert.match(fast.stdout, new RegExp(`^master pid=${cli.pid} running workers=2 `));
    assert.match(fast.stdout, /^ID +PID +STATE/m);
    assert.equal(fast.esmLoader, esmLoaderOfNode);
    const json = loads(['status', '--json'], { esm: false, env });
    assert.equal((JSON.parse(json.stdout) as { pid: number }).pid, cli.pid);
    await waitFor(() => loads(['status'], { cli: MAIN, env }).stdout.startsWith(`master pid=${cli.pid} running workers=2 `), 45_000, 'main.js status');
  });

  it('anything else goes to main.js: ctl, a mistake, --version beside a SUPERVISE_ variable', () => {
    const typo = loads(['status', '--jsno']);
    assert.equal(typo.status, 2);
    assert.equal(typo.stderr, 'supervise: unknown option --jsno (did you mean --json?)\n');
    assert.ok(typo.modules.some((m) => m.endsWith('/dist/cli/main.js')), typo.modules.join(' '));
    const stray = loads(['--version'], { env: { SUPERVISE_WROKERS: '4' } });
    assert.equal(stray.status, 2, 'a stray variable is refused, as before');
    assert.match(stray.stderr, /^supervise: unknown environment variable SUPERVISE_WROKERS \(did you mean SUPERVISE_WORKERS\?\)/);
    const viaMain = loads(['--version'], { cli: MAIN });
    assert.equal(viaMain.stdout, `${version}\n`);
  });

  it('a start of the pool still loads both', () => {
    const run = loads(['--app', fixture('app.cjs'), '--workers', '0']);
    assert.equal(run.status, 2, 'a usage mistake, after parsing');
    assert.ok(run.modules.some((url) => /yargs/.test(url)));
  });
});

describe('quickStatusArgs', () => {
  it('parses status with --json, --control and --pid-file, both spellings', () => {
    assert.deepEqual(quickStatusArgs(['status'], {}), { _: ['status'], $0: 'supervise', json: false });
    assert.deepEqual(quickStatusArgs(['status', '--json', '--control', '/x.sock'], {}), { _: ['status'], $0: 'supervise', json: true, control: '/x.sock' });
    assert.deepEqual(quickStatusArgs(['status', '--pid-file=/run/a.pid'], {}), { _: ['status'], $0: 'supervise', json: false, 'pid-file': '/run/a.pid' });
  });

  it('takes SUPERVISE_CONTROL and SUPERVISE_PID_FILE from the env, a flag over them', () => {
    assert.deepEqual(quickStatusArgs(['status'], { SUPERVISE_CONTROL: '/e.sock' }), { _: ['status'], $0: 'supervise', json: false, control: '/e.sock' });
    assert.deepEqual(quickStatusArgs(['status', '--control', '/f.sock'], { SUPERVISE_CONTROL: '/e.sock' }), { _: ['status'], $0: 'supervise', json: false, control: '/f.sock' });
  });

  it('leaves to yargs anything else: ctl, help, a mistake, a missing value, other SUPERVISE_ variables', () => {
    for (const argv of [['ctl', 'reload'], ['status', '--help'], ['status', '--jsno'], ['status', '--control'], ['status', '--control', '--json'], ['status', 'extra'], ['status', '--control=']]) {
      assert.equal(quickStatusArgs(argv, {}), undefined, argv.join(' '));
    }
    assert.equal(quickStatusArgs(['status'], { SUPERVISE_JSON: 'true' }), undefined);
    assert.equal(quickStatusArgs(['status'], { SUPERVISE_CONTROL: '' }), undefined);
  });
});
