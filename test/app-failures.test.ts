// The app's own failures say where: the master's log (text and JSON), the worker's log file, the
// `error` event and a failed start carry the app's stack, without DEBUG.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Supervisor, type WorkerFailure } from '../dist/index.js';
import { fixture, killStarted, runCli, startCli, tempDir, track, waitFor } from './helpers.js';

after(killStarted);

const FAILS = fixture('fails.cjs');
const NO_DEBUG = { DEBUG: '' };

/** The app frame `fn` of fails.cjs, as an indented stack line. */
function frame(fn: string): RegExp {
  return new RegExp(`^ {4,}at (async )?${fn} \\(${FAILS.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+\\)$`, 'm');
}

/**
 * The end of a failed start's stderr: its summary line and the stack under it, which must be the
 * last lines. A start that settles its failure within the hold (START_HOLD_MS) shows nothing
 * else at all; on a loaded machine the lines that led to it may be released before, but never
 * the stop's lines after it.
 */
function summary(stderr: string): string {
  const at = stderr.lastIndexOf('\n', stderr.indexOf(': start failed: ')) + 1;
  const text = stderr.slice(at);
  assert.ok(stderr.includes(': start failed: '), `a summary line in:\n${stderr}`);
  for (const line of text.trimEnd().split('\n').slice(1)) assert.match(line, /^ {4}/, `only the stack after the summary:\n${stderr}`);
  assert.doesNotMatch(stderr, /master stopping|exited signal=SIGTERM/, 'the stop after a failed start is silent');
  return text;
}

describe('app failures say where', () => {
  for (const [fail, line, fn] of [
    ['task', /worker\[0\] failed in a task: task boom 0\n/, 'failInTask'],
    ['reject', /worker\[0\] failed in a task: task rejection 0\n/, 'rejectInTask'],
    ['uncaught', /worker\[0\] failed with an uncaught exception: uncaught boom 0\n/, 'failOutsideTask'],
    ['afterFork', /worker\[0\] failed in afterFork: afterFork boom 0\n/, 'failInAfterFork'],
  ] as const) {
    it(`${fail}: the failure line, then the app's stack indented, no runtime frames`, async () => {
      // FAIL_AFTER 3: the start succeeds first (afterFork fails on every process; the start then fails, as it should).
      const cli = startCli(['--app', FAILS, '--workers', '1', '--poll', '1'], { env: { ...NO_DEBUG, FAIL: fail, FAIL_AFTER: '3' } });
      const text = (await cli.waitForLog(new RegExp(`${line.source}((?: {4}.*\\n)+)`), 45_000))[0];
      assert.match(text, frame(fn));
      assert.doesNotMatch(text, /dist\/(worker|shared)\//, 'the runtime frames are trimmed');
      cli.child.kill('SIGKILL');
    });
  }

  it('beforeExit: its throw is logged with the stack', async () => {
    const cli = startCli(['--app', FAILS, '--workers', '1', '--max-tasks', '2'], { env: { ...NO_DEBUG, FAIL: 'beforeExit' } });
    const text = (await cli.waitForLog(/worker\[0\] failed in beforeExit: beforeExit boom 0\n((?: {4}.*\n)+)/, 45_000))[0];
    assert.match(text, frame('failInBeforeExit'));
    cli.child.kill('SIGKILL');
  });

  it('--log-format json carries the stack in a `stack` field', async () => {
    const cli = startCli(['--app', FAILS, '--workers', '1', '--log-format', 'json'], { env: { ...NO_DEBUG, FAIL: 'task', FAIL_AFTER: '2' } });
    await cli.waitForLog(/"event":"failed".*\n/, 45_000);
    const failed = cli
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"event":"failed"'))
      .map((l) => JSON.parse(l) as { stack?: string; error: string })[0]!;
    assert.equal(failed.error, 'task boom 0');
    assert.match(failed.stack ?? '', /^Error: task boom 0\n/);
    assert.match(failed.stack ?? '', /at failInTask \(/);
    cli.child.kill('SIGKILL');
  });

  it('with --log-dir, the stack is in the master.log and in the worker\'s own file', async () => {
    const tmp = tempDir();
    const cli = startCli(['--app', FAILS, '--workers', '1', '--log-dir', tmp.dir], { env: { ...NO_DEBUG, FAIL: 'task', FAIL_AFTER: '2' } });
    const master = join(tmp.dir, 'master.log');
    const worker = join(tmp.dir, 'worker-0.log');
    await waitFor(() => existsSync(master) && frame('failInTask').test(readFileSync(master, 'utf8')), 45_000, 'the stack in master.log');
    await waitFor(() => existsSync(worker) && /failed \(task\): task boom 0\n/.test(readFileSync(worker, 'utf8')) && frame('failInTask').test(readFileSync(worker, 'utf8')), 45_000, 'the stack in worker-0.log');
    cli.child.kill('SIGKILL');
    await cli.exited;
    tmp.remove();
  });

  it("the `error` event's failure has the app's stack as appStack", async () => {
    const sv = new Supervisor({ app: FAILS, workers: 1, quiet: true, env: { FAIL: 'task', FAIL_AFTER: '2' } });
    sv.on('fork', (w) => track(w.pid));
    const failure = new Promise<WorkerFailure>((resolve) => sv.once('error', resolve));
    await sv.start();
    const error = await failure;
    assert.equal(error.phase, 'task');
    assert.match(error.appStack ?? '', /^Error: task boom 0\n\s+at failInTask \(/);
    await sv.stop();
  });

  it('a syntax error at start: one summary line, then file:line, the offending line and a caret', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'broken.mjs');
    writeFileSync(app, 'export function workerStart() {\n  return 1 +;\n}\n');
    const result = await runCli(['--app', app, '--workers', '3'], { env: NO_DEBUG, ms: 30_000 });
    assert.equal(result.code, 1, result.stderr);
    const text = summary(result.stderr);
    assert.match(text, /^\S+ supervise\[\d+\]: start failed: worker\[\d\] failed to load the app: app .*broken\.mjs failed to load: Unexpected token ';'\n/);
    assert.match(text, new RegExp(`\n {4}${app.replace(/[.]/g, '\\.')}:2\n {4}  return 1 \\+;\n {4} +\\^\n`), result.stderr);
    assert.match(text, /\n {4}SyntaxError: Unexpected token ';'/);
    tmp.remove();
  });

  it('a syntax error in a module the app imports: file:line of that module, its line and a caret', async () => {
    const tmp = tempDir();
    const app = join(tmp.dir, 'app.mjs');
    mkdirSync(join(tmp.dir, 'lib'));
    const util = join(tmp.dir, 'lib', 'util.mjs');
    writeFileSync(app, "import { limit } from './lib/util.mjs';\nexport async function workerStart() { return limit; }\n");
    writeFileSync(util, '// settings\nexport const limit = 1;\nexport const other = {;\n');
    const result = await runCli(['--app', app, '--workers', '2'], { env: NO_DEBUG, ms: 30_000 });
    assert.equal(result.code, 1, result.stderr);
    const text = summary(result.stderr);
    assert.match(text, /start failed: worker\[\d\] failed to load the app: app .*app\.mjs failed to load: Unexpected token ';'\n/);
    assert.match(text, new RegExp(`\n {4}${util.replace(/[.]/g, '\\.')}:3\n {4}export const other = \\{;\n {4} +\\^\n`), result.stderr);
    tmp.remove();
  });

  it('a throw at load (CommonJS) at start: the summary and the frame of the throw', async () => {
    const result = await runCli(['--app', fixture('throws-on-load.cjs'), '--workers', '2'], { env: NO_DEBUG, ms: 30_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.match(summary(result.stderr), /^\S+ supervise\[\d+\]: start failed: worker\[\d\] failed to load the app: .*cannot reach the config server\n {4}Error: cannot reach the config server\n {8}at .*throws-on-load\.cjs:2:7\)\n$/);
  });
});
