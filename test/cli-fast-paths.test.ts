// `supervise --version` and `supervise status` start fast: they load neither yargs nor the master
// (what they do load is recorded by a module hook), and the quick parse of `status` agrees with
// what yargs would make of the same arguments, leaving anything else to yargs.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quickStatusArgs } from '../dist/cli/client.js';
import { CLI, ROOT, fixture, killStarted, tempDir } from './helpers.js';

after(killStarted);

/** Runs the CLI with `args` under the import recorder; its exit status and the modules it loaded. */
function loads(args: string[]): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const tmp = tempDir();
  const file = join(tmp.dir, 'imports');
  const env: NodeJS.ProcessEnv = { ...process.env, RECORD_IMPORTS: file };
  for (const key of Object.keys(env)) if (key.startsWith('SUPERVISE_')) delete env[key];
  const result = spawnSync(process.execPath, ['--import', fixture('record-imports.mjs'), CLI, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  let modules: string[] = [];
  try {
    modules = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing recorded
  }
  tmp.remove();
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, modules };
}

describe('CLI start-up', () => {
  it('--version loads neither yargs nor the master, and prints the version', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const run = loads(['--version']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `${version}\n`);
    assert.ok(run.modules.some((url) => url.endsWith('/dist/cli/main.js')), `the recorder works: ${run.modules.join(' ')}`);
    assert.deepEqual(run.modules.filter((url) => /yargs|\/master\/|\/services\//.test(url)), []);
  });

  it('status loads neither yargs nor the master', () => {
    const tmp = tempDir();
    const run = loads(['status', '--control', join(tmp.dir, 'none.sock')]);
    tmp.remove();
    assert.equal(run.status, 1, 'no master there');
    assert.match(run.stderr, /no master is running/);
    assert.ok(run.modules.some((url) => url.endsWith('/dist/cli/client.js')), run.modules.join(' '));
    assert.deepEqual(run.modules.filter((url) => /yargs|\/master\//.test(url)), []);
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
