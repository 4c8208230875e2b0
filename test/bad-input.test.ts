import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture, isAlive, killStarted, readEvents, runCli, startCli, tempDir } from './helpers.js';

after(killStarted);

/** Runs the CLI with bad input and checks the promise of point 5: one clear line, non-zero, no trace, no worker. */
async function rejects(args: string[], expected: RegExp, exitCode = 2, loadedByWorkers = false): Promise<void> {
  const tmp = tempDir();
  const log = join(tmp.dir, 'events');
  const result = await runCli(args, { env: { FIXTURE_LOG: log } });
  assert.equal(result.code, exitCode, `exit code for ${args.join(' ')}: ${result.stderr}`);
  // The app's own failure (exit 1) may be followed by its stack, indented; a usage mistake never is.
  const lines = result.stderr.trim().split('\n').filter((line) => exitCode === 2 || !line.startsWith('    '));
  const last = lines.at(-1) ?? '';
  // A failed start is summarised by the pool's log line ("<time> supervise[<pid>]: start failed: …").
  assert.match(last, exitCode === 2 ? /^supervise: / : /^(\S+ supervise\[\d+\]: start failed: |supervise: )/);
  assert.match(last, expected);
  if (exitCode === 2) assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(result.stderr, /internal error/);
  if (loadedByWorkers) {
    // Without --preload the master runs no app code: processes try to load it, and none gets to
    // afterFork or a task; every one is gone when the master exits.
    for (const m of result.stderr.matchAll(/spawned pid=(\d+)/g)) assert.ok(!isAlive(Number(m[1])), `process ${m[1]} is gone`);
    assert.equal(readEvents(log).filter((e) => e.ev === 'afterFork').length, 0, 'no afterFork ran');
  } else {
    assert.doesNotMatch(result.stderr, /spawned pid=/, 'no process spawned');
  }
  assert.equal(readEvents(log).filter((e) => e.ev === 'start').length, 0, 'no task ran');
  tmp.remove();
}

describe('bad input: one line, non-zero exit, no stack trace for a usage mistake, no worker', () => {
  it('no --app', () => rejects([], /missing --app/));
  it('--app with no value', () => rejects(['--app'], /missing value for --app/));
  it('an app file that does not exist', () => rejects(['--app', 'no/such/app.js'], /app file not found: .*no\/such\/app\.js/));
  it('an app that is a directory', () => rejects(['--app', 'test'], /app is not a file/));
  it('an app without workerStart (preloaded)', () => rejects(['--app', fixture('no-worker-start.mjs'), '--preload'], /does not export a workerStart function/, 1));
  it('an app without workerStart (loaded by the workers)', () =>
    rejects(['--app', fixture('no-worker-start.mjs'), '--workers', '3'], /does not export a workerStart function/, 1, true));
  it('an app that throws while loading under --preload shows its message', () =>
    rejects(['--app', fixture('throws-on-load.cjs'), '--preload'], /failed to load: cannot reach the config server/, 1));
  it('an app that throws while loading in the workers shows its message', () =>
    rejects(['--app', fixture('throws-on-load.cjs')], /cannot reach the config server/, 1, true));
  it('an app with a syntax error', () => rejects(['--app', fixture('syntax-error.mjs'), '--preload'], /failed to load: .*/, 1));
  for (const value of ['0', '-1', '1.5', 'abc']) {
    it(`--workers ${value}`, () => rejects(['--app', fixture('app.cjs'), '--workers', value], new RegExp(`invalid --workers: .*${value.replace('.', '\\.')}.* is not a positive integer`)));
  }
  for (const value of ['0', '-1', 'soon']) {
    it(`--poll ${value}`, () => rejects(['--app', fixture('app.cjs'), '--poll', value], new RegExp(`invalid --poll: .*${value}.* is not a positive number`)));
  }
  it('--grace -1', () => rejects(['--app', fixture('app.cjs'), '--grace', '-1'], /invalid --grace/));
  it('--log-format xml', () => rejects(['--app', fixture('app.cjs'), '--log-format', 'xml'], /invalid --log-format: "xml"/));
  it('an unknown flag, with a did-you-mean', () => rejects(['--app', fixture('app.cjs'), '--wokers', '2'], /unknown option --wokers \(did you mean --workers\?\)/));
  it('an unknown flag far from any other', () => rejects(['--app', fixture('app.cjs'), '--zzzzzzzz'], /^supervise: unknown option --zzzzzzzz$/));
  it('a stray positional argument', () => rejects(['--app', fixture('app.cjs'), 'extra'], /^supervise: unexpected argument "extra": every option is a --flag \(see supervise --help\)$/));
  it('a bare app path: did you mean --app?', () => rejects(['app.js'], /^supervise: unexpected argument "app\.js" \(did you mean --app app\.js\?\)$/));
  it('a one-letter flag: there are none but -h and -v', () =>
    rejects(['--app', fixture('app.cjs'), '-w', '4'], /^supervise: unknown option -w: supervise has no one-letter options but -h and -v \(did you mean --workers\?\)$/));
  it('--node-arg with its flag as a separate word: say the = form', () =>
    rejects(['--app', fixture('app.cjs'), '--node-arg', '--max-old-space-size=64'], /^supervise: --node-arg takes node's flag after "=": --node-arg=--max-old-space-size=64 /));
  it('a flag given twice: the last one counts, so a bad last value is the one named', () =>
    rejects(['--app', fixture('app.cjs'), '--workers', '2', '--workers', 'abc'], /^supervise: invalid --workers: "abc" is not a positive integer$/));
  it('an ESM default export without workerStart: says exactly that', () =>
    rejects(['--app', fixture('default-no-worker-start.mjs'), '--preload'], /has a default export without workerStart \(it holds afterFork, start; /, 1));
  it('a --log-dir that cannot be written: a bad value, exit 2', () => rejects(['--app', fixture('app.cjs'), '--log-dir', '/proc/no-such-dir/logs'], /^supervise: cannot write --log-dir \/proc\/no-such-dir\/logs: /));
  it('a --pid-file that cannot be written: a bad value, exit 2', () => rejects(['--app', fixture('app.cjs'), '--pid-file', '/proc/no-such-dir/x.pid'], /^supervise: cannot write --pid-file \/proc\/no-such-dir\/x\.pid: /));
  it('supervise ctl with an unknown command: one line naming the commands, with a did-you-mean', () =>
    rejects(['ctl', 'restart'], /^supervise: unknown ctl command "restart" \(did you mean reload\?\); the commands are reload, scale <n>, pause, resume, stop \[--graceful\], reopen-logs, upgrade$/));
  it('ctl scale with a word: quoted as typed', () => rejects(['ctl', 'scale', 'abc'], /^supervise: ctl scale needs the new number of workers, a whole number ≥ 0 \(got "abc"\)$/));
  it('a bad value from the environment', envCase);
  it('a misspelt SUPERVISE_* variable, named as the variable it is', async () => {
    const result = await runCli(['--app', fixture('app.cjs')], { env: { SUPERVISE_WROKERS: '2' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr.trim(), /^supervise: unknown environment variable SUPERVISE_WROKERS \(did you mean SUPERVISE_WORKERS\?\): every SUPERVISE_\* variable is read as an option$/);
  });
});

describe('a flag given twice', () => {
  it('takes the last value, as most tools do', async () => {
    const cli = startCli(['--app', fixture('app.cjs'), '--workers', '2', '--workers', '3']);
    await cli.waitForLog(/master ready pid=\d+ workers=3/);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });
});

/** SUPERVISE_WORKERS=many is as wrong as --workers many. */
async function envCase(): Promise<void> {
  const result = await runCli(['--app', fixture('app.cjs')], { env: { SUPERVISE_WORKERS: 'many' } });
  assert.equal(result.code, 2);
  assert.match(result.stderr.trim(), /^supervise: invalid --workers: "many" is not a positive integer$/);
}
