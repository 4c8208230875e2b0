/**
 * Regression tests for bugs the reliability suite found (see docs/reliability.md, "What was
 * found"), each pinned down deterministically where the suite found it by chance.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killStarted, runCli, tempDir } from '../helpers.js';
import { Master, describeProcs, killLeftovers, recordFigures, runMarker, runtimeDir, settleLeftovers, within } from './harness.js';

const run = runtimeDir();
const tmp = tempDir('supervise-regress-');
const markers: Array<{ value: string }> = [];

writeFileSync(join(tmp.dir, 'ok.cjs'), 'exports.workerStart = () => new Promise((r) => setTimeout(r, 20));\n');

/** Regression tests run (their outcome is node --test's), for make soak's figures. */
const ran: string[] = [];
afterEach((t) => void ran.push(t.name));

after(() => {
  recordFigures('regressions', { testsRun: ran.length, tests: ran });
  killStarted();
  for (const marker of markers) killLeftovers(marker);
  run.remove();
  tmp.remove();
});

describe('regressions found by the reliability suite', () => {
  // Found by the fuzzer: reading the exports ran outside the loader's try, so under --preload the
  // app's own error escaped as "supervise: internal error" with a stack trace, exit 70.
  for (const [name, source] of [
    ['a throwing getter', "Object.defineProperty(exports, 'workerStart', { get() { throw new Error('getter boom'); } });\n"],
    ['a Proxy that throws on every read', "module.exports = new Proxy({}, { get() { throw new TypeError('proxy trap'); } });\n"],
  ] as const) {
    it(`an app whose exports are ${name}, under --preload: one line and the app's stack, exit 1, no internal error`, async () => {
      const app = join(tmp.dir, `${name.replace(/\W+/g, '-')}.cjs`);
      writeFileSync(app, source);
      const marker = runMarker('getter');
      markers.push(marker);
      const result = await runCli(['--app', app, '--preload'], { env: { ...marker.env, XDG_RUNTIME_DIR: run.dir } });
      assert.equal(result.code, 1, result.stderr);
      const last = result.stderr.trim().split('\n').filter((line) => !line.startsWith('    ')).at(-1)!;
      assert.match(last, /^supervise: app .* failed to load: reading its exports threw: (getter boom|proxy trap)$/);
      // The getter and the trap are the app's code: their frame is shown, as node would.
      assert.match(result.stderr, /\n {8}at Object\.get \(.*\.cjs:1:\d+\)\n/);
      assert.doesNotMatch(result.stderr, /internal error/);
      assert.deepEqual(await settleLeftovers(marker, 2000), []);
    });
  }

  // Found by the fuzzer: yargs lowercases an all-capital flag name, so `--MAX-TASKS abc` became an
  // unnoticed alias of --max-tasks that set nothing: a wrong input started a pool with the defaults.
  for (const args of [['--MAX-TASKS', 'abc'], ['--LOG-MAX-BYTES=5'], ['--PID-FILE', 'x.pid']]) {
    it(`an all-capital flag (${args.join(' ')}) is an unknown option, not silently ignored`, async () => {
      const marker = runMarker('capital');
      markers.push(marker);
      const result = await runCli(['--app', join(tmp.dir, 'ok.cjs'), ...args], { env: { ...marker.env, XDG_RUNTIME_DIR: run.dir } });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`^supervise: unknown option --${args[0]!.slice(2).split('=')[0]}( \\(did you mean --[a-z-]+\\?\\))?\n$`));
      assert.deepEqual(await settleLeftovers(marker, 2000), []);
    });
  }
  it('`supervise status --PID-FILE x` is refused the same way', async () => {
    const result = await runCli(['status', '--PID-FILE', join(tmp.dir, 'none.pid')], { env: { XDG_RUNTIME_DIR: run.dir } });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^supervise: unknown option --PID-FILE/);
  });

  // Found while fuzzing app files: app code that ends or stalls its own loading made a wrong app
  // look like a success (--preload: the master exited 0, silently) or hung the start for ever.
  for (const [name, file, source, preload] of [
    ['calls process.exit(0) at its top level, under --preload', 'exit0.cjs', 'process.exit(0);\n', true],
    ['calls process.exit(3) at its top level, under --preload', 'exit3.cjs', 'process.exit(3);\n', true],
    ['awaits a promise that never settles at its top level, under --preload', 'stall.mjs', 'await new Promise(() => {});\nexport function workerStart() {}\n', true],
    ['awaits a promise that never settles at its top level, loaded by the workers', 'stall.mjs', 'await new Promise(() => {});\nexport function workerStart() {}\n', false],
  ] as const) {
    it(`an app that ${name}: a failed start, one line, a non-zero exit`, async () => {
      const app = join(tmp.dir, file);
      writeFileSync(app, source);
      const marker = runMarker('stall');
      markers.push(marker);
      const result = await runCli(['--app', app, '--workers', '2', ...(preload ? ['--preload'] : [])], { env: { ...marker.env, XDG_RUNTIME_DIR: run.dir }, ms: 45_000 });
      assert.equal(result.code, file === 'exit3.cjs' ? 3 : 1, result.stderr);
      const last = result.stderr.trim().split('\n').at(-1)!;
      assert.match(last, /^(\S+ supervise\[\d+\]: start failed: |supervise: ).*(ended the master|never finished loading)/);
      assert.doesNotMatch(result.stderr, /internal error|^\s+at /m);
      assert.deepEqual(await settleLeftovers(marker, 2000), []);
    });
  }

  // Found by the fuzzer's leftovers in /tmp: a --pid-file that cannot be renamed into place (here a
  // directory) failed the start, as it should, but left its temporary file beside it.
  it('a --pid-file that cannot be written leaves no temporary file behind', async () => {
    const dir = join(tmp.dir, 'pid-parent');
    mkdirSync(join(dir, 'a-directory'), { recursive: true });
    const result = await runCli(['--app', join(tmp.dir, 'ok.cjs'), '--pid-file', join(dir, 'a-directory')], { env: { XDG_RUNTIME_DIR: run.dir } });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr.trim().split('\n').at(-1)!, /^supervise: cannot write --pid-file /);
    assert.deepEqual(readdirSync(dir), ['a-directory']);
  });

  // Found by the signal storm: a TTOU that retired the id a reload was handing over, while the new
  // process ran afterFork, made the reload give up ("reload abandoned: worker[1] exited before it
  // was ready with the new code"), leaving later ids on the old code.
  it('a TTOU retiring the id a reload is handing over does not abandon the reload', async () => {
    const app = join(tmp.dir, 'slow-after-fork.cjs');
    writeFileSync(
      app,
      `exports.afterFork = () => new Promise((r) => setTimeout(r, 800));
exports.workerStart = () => new Promise((r) => setTimeout(r, 50));
`,
    );
    const marker = runMarker('reload-ttou');
    markers.push(marker);
    const master = new Master(['--app', app, '--workers', '3'], { ...marker.env, XDG_RUNTIME_DIR: run.dir });
    await master.waitForLine(/master ready/, 45_000);
    master.child.kill('SIGHUP');
    await master.waitForLine(/worker\[2\] handed to new process/, 45_000);
    master.child.kill('SIGTTOU'); // id 2 retires while its new process is still in afterFork
    const outcome = await master.waitForLine(/reload done|reload abandoned.*/, 45_000);
    assert.match(outcome[0], /reload done/, master.text());
    await master.waitForLine(/worker\[2\] retired/, 45_000);
    master.child.kill('SIGTERM');
    assert.deepEqual(await within(master.exited, 45_000, 'no exit'), { code: 0, signal: null });
    const left = await settleLeftovers(marker, 3000);
    assert.deepEqual(left, [], describeProcs(left));
  });
});
