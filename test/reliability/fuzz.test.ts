/**
 * Bad input, fuzzed (issue 5, point 5): random argument lists drawn from the real option set (with
 * good and bad values, misspellings and garbage) and malformed app files. Wrong input: a non-zero
 * exit within a bound, a last stderr line starting `supervise:` (the only line for a usage
 * mistake), no stack trace, nothing left. Right input: the pool starts, and TERM ends it with 0,
 * leaving nothing. FUZZ_CASES sets the count (make check: 60; make soak: 500), FUZZ_SEED replays a
 * run, FUZZ_ONLY=<n> replays one case of it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, killStarted, tempDir, track } from '../helpers.js';
import { Random, describeProcs, heldIds, killLeftovers, recordFigures, runMarker, seed, settleLeftovers, size, within } from './harness.js';

const CASES = size('FUZZ_CASES', 60, 500);
const PARALLEL = 3;
/** Longest a wrong input may take to be refused, or a right one to start or stop: at a load average of 40 a CLI once printed nothing for 20 s. */
const BOUND_MS = 60_000;
const SEED = seed('FUZZ_SEED');
const ONLY = process.env['FUZZ_ONLY'] === undefined ? undefined : Number(process.env['FUZZ_ONLY']);
const ROOT_USER = process.getuid?.() === 0;
const tmp = tempDir('supervise-fuzz-');
const markers: Array<{ value: string }> = [];

after(() => {
  killStarted();
  for (const marker of markers) killLeftovers(marker);
  tmp.remove();
});

/** What a case should do: start a pool, be refused, or either (when the fuzzer cannot tell). */
type Expect = 'start' | 'refuse' | 'either';

interface Case {
  readonly index: number;
  readonly args: string[];
  readonly expect: Expect;
  /** Workers a started pool should show (for --quiet, which prints no `master ready`). */
  readonly workers: number;
  readonly logDir: string | undefined;
}

/** A value for an option, known good or known bad, or of unknown verdict. */
type Value = { readonly token: string | undefined; readonly verdict: 'good' | 'bad' | 'either' };
const good = (token?: string): Value => ({ token, verdict: 'good' });
const bad = (token?: string): Value => ({ token, verdict: 'bad' });
const either = (token?: string): Value => ({ token, verdict: 'either' });

const APP = (): string => join(tmp.dir, 'apps', 'good.cjs');

/** Per option of src/cli/main.ts: values that must be taken, and values that must be refused. */
function optionValues(name: string, rng: Random, n: number): Value[] {
  const path = (what: string): string => join(tmp.dir, 'run', `${n}-${what}`);
  switch (name) {
    case 'workers':
      return [good('1'), good('2'), good('3'), bad('0'), bad('-1'), bad('1.5'), bad('abc'), bad(''), bad('99999999999999999999'), bad('NaN'), bad('Infinity')];
    case 'poll':
      return [good('1'), good('0.5'), good('2'), bad('0'), bad('-3'), bad('soon'), bad(''), bad('Infinity')];
    case 'grace':
      return [good('0'), good('1'), good('0.2'), bad('-1'), bad('later'), bad('')];
    case 'timeout':
      return [good('5'), good('30'), bad('0'), bad('-1'), bad('x')];
    case 'boot-timeout':
      return [good('0'), good('60'), bad('-1'), bad('x'), bad('')];
    case 'max-tasks':
      return [good('1000'), good('50'), bad('0'), bad('1.5'), bad('-2'), bad('many')];
    case 'max-rss':
      return [good('512'), good('1024'), bad('0'), bad('-5'), bad('lots')];
    case 'spares':
      return [good('0'), good('1'), bad('-1'), bad('x'), bad('1.5')];
    case 'pid-file':
      return [good(path('pid')), bad(''), bad('/proc/no/such/dir/x.pid'), bad(tmp.dir)];
    case 'node-arg':
      return [good('--no-warnings'), good('--max-old-space-size=256'), bad('--definitely-not-a-node-flag')];
    case 'log-format':
      return [good('human'), good('json'), bad('xml'), bad('')];
    case 'control':
      return [good(path('sock')), bad(''), bad(join(tmp.dir, 'x'.repeat(120), 's.sock')), bad('/proc/no/such.sock')];
    case 'log-dir':
      return [good(path('logs')), bad(APP()), bad('/proc/no/such/dir'), bad('')];
    case 'log-max-bytes':
      return [good('0'), good('1048576'), bad('-1'), bad('abc')];
    case 'log-backups':
      return [good('1'), good('3'), bad('0'), bad('x')];
    case 'user':
      return [...(ROOT_USER ? [good('root'), good('0')] : []), bad('no_such_user_zz'), bad('a b'), bad('')];
    case 'group':
      return [...(ROOT_USER ? [good('root'), good('0')] : []), bad('no_such_group_zz'), bad('')];
    case 'dashboard':
    case 'metrics':
      return [good('127.0.0.1:0'), bad('8080'), bad('nohost'), bad('127.0.0.1:99999'), bad('')];
    case 'dashboard-token':
      return [either(`tok-${rng.int(0, 1e9)}-${'k'.repeat(rng.int(0, 40))}`), either('x')];
    case 'config':
      return [bad('/nonexistent/supervise-fuzz.json'), bad('')];
    case 'preload':
    case 'quiet':
      return [good(), good('true'), good('false'), either('maybe')];
    default:
      // An option added since this fuzzer was written: fuzz it, with no verdict.
      return [either('1'), either('x'), either('')];
  }
}

/** Tokens that are never right. */
function garbage(rng: Random, options: readonly string[]): string {
  const flag = rng.pick(options);
  const i = rng.int(0, flag.length - 1);
  const mutations = [
    `--${flag.slice(0, i)}${flag.slice(i + 1)}`, // a letter dropped
    `--${flag}${flag.at(-1)}`, // a letter doubled
    `--${flag.toUpperCase()}`,
    'positional',
    '-z',
    '---app',
    '--=x',
    '--wörkers',
    `--${'x'.repeat(rng.int(1, 5000))}`,
    rng.pick(['💥', 'π', '\u200b', ' ', '\t']),
    String(rng.int(0, 99999)),
  ];
  return rng.pick(mutations);
}

/** A flag with its value, as a user may write it: `--name value` or `--name=value`. */
function spell(name: string, value: string | undefined, rng: Random): string[] {
  if (value === undefined) return [`--${name}`];
  if (value.startsWith('-') || value === '' || rng.chance(0.4)) return [`--${name}=${value}`];
  return [`--${name}`, value];
}

/** The malformed (and a few odd but valid) app files, written once. */
const APP_FILES: Array<{ readonly file: string; readonly verdict: 'good' | 'bad' }> = [];

function writeApps(): void {
  const dir = join(tmp.dir, 'apps');
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(tmp.dir, 'run'), { recursive: true });
  const task = 'exports.workerStart = () => new Promise((r) => setTimeout(r, 20));\n';
  const add = (name: string, content: string | Buffer | undefined, verdict: 'good' | 'bad'): void => {
    const file = join(dir, name);
    if (content !== undefined) writeFileSync(file, content);
    APP_FILES.push({ file, verdict });
  };
  writeFileSync(APP(), task);
  add('syntax.cjs', 'exports.workerStart = (\n', 'bad');
  add('syntax.mjs', 'export function workerStart( {\n', 'bad');
  add('braces.js', '}}}\n', 'bad');
  add('number.cjs', 'exports.workerStart = 42;\n', 'bad');
  add('string.cjs', "exports.workerStart = 'go';\n", 'bad');
  add('null-exports.cjs', 'module.exports = null;\n', 'bad');
  add('five.cjs', 'module.exports = 5;\n', 'bad');
  add('default-seven.mjs', 'export default 7;\n', 'bad');
  add('const-one.mjs', 'export const workerStart = 1;\n', 'bad');
  add('hook-string.cjs', `${task}exports.afterFork = 'later';\n`, 'bad');
  add('hook-number.cjs', `${task}exports.beforeFork = 3;\n`, 'bad');
  add('getter.cjs', "Object.defineProperty(exports, 'workerStart', { get() { throw new Error('getter boom'); } });\n", 'bad');
  add('hook-getter.mjs', "export default { workerStart() {}, get afterFork() { throw new Error('hook getter boom'); } };\n", 'bad');
  add('proxy.cjs', "module.exports = new Proxy({}, { get() { throw new TypeError('proxy trap'); } });\n", 'bad');
  add('default-getter.mjs', "export default { get workerStart() { throw new Error('default getter'); } };\n", 'bad');
  add('throws.cjs', "throw new Error('cannot reach the config server');\n", 'bad');
  add('throws-string.cjs', "throw 'a bare string';\n", 'bad');
  add('throws-null.cjs', 'throw null;\n', 'bad');
  add('throws-undefined.mjs', 'throw undefined;\n', 'bad');
  add('throws-multiline.cjs', "throw new Error('first line\\n    at fake (frame.js:1:1)\\nthird');\n", 'bad');
  add('exit0.cjs', 'process.exit(0);\n', 'bad');
  add('exit3.cjs', 'process.exit(3);\n', 'bad');
  add('stall.mjs', `await new Promise(() => {});\nexport ${task.replace('exports.workerStart =', 'const workerStart =')}`, 'bad');
  add('empty.cjs', '', 'bad');
  add('empty.mjs', '', 'bad');
  add('binary.js', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), 'bad');
  add('huge-junk.js', 'x'.repeat(2_000_000) + ' @@@\n', 'bad');
  add('huge-comment.cjs', `/*${'c'.repeat(5_000_000)}*/\n${task}`, 'good');
  add('many-lines.cjs', `${'// filler\n'.repeat(100_000)}${task}`, 'good');
  add('bom.cjs', `\ufeff${task}`, 'good');
  add('data.json', '{"workerStart": 1}\n', 'bad');
  add('notes.txt', task, 'bad');
  // Node 22.18+ and 23.6+ strip TypeScript's types by default: there a .ts app loads and runs.
  add('app.ts', 'export function workerStart(): void {}\n', (process.features as { typescript?: unknown }).typescript ? 'good' : 'bad');
  add('a-directory', undefined, 'bad');
  mkdirSync(join(dir, 'a-directory'));
  add('loop', undefined, 'bad');
  symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
  add('dangling', undefined, 'bad');
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
}

/** Draws case `index` of the run. */
function makeCase(rng: Random, index: number, options: readonly string[]): Case {
  // A client command against no master: always refused.
  if (rng.chance(0.08)) {
    const verb = rng.pick([['status'], ['status', '--json'], ['ctl', 'reload'], ['ctl', 'scale', '-1'], ['ctl', 'frobnicate'], ['ctl'], ['status', garbage(rng, options)]]);
    return { index, args: [...verb, `--control=${join(tmp.dir, 'run', `${index}-nobody.sock`)}`], expect: 'refuse', workers: 0, logDir: undefined };
  }
  // A malformed app file, alone or with a few good options.
  if (rng.chance(0.3)) {
    const app = rng.pick(APP_FILES);
    const workers = rng.int(1, 3);
    const args = ['--app', app.file, '--workers', String(workers), '--poll', '1'];
    if (rng.chance(0.5)) args.push('--preload');
    return { index, args, expect: app.verdict === 'good' ? 'start' : 'refuse', workers, logDir: undefined };
  }
  const picks: Array<{ name: string; value: Value }> = [];
  const appRoll = rng.next();
  if (appRoll < 0.85) picks.push({ name: 'app', value: good(APP()) });
  else if (appRoll < 0.95) picks.push({ name: 'app', value: bad(rng.pick([join(tmp.dir, 'no', 'such.js'), tmp.dir, ''])) });
  // --print-config, like --help, exits 0 having started nothing: neither a start nor a refusal.
  const names = options.filter((o) => o !== 'app' && o !== 'help' && o !== 'version' && o !== 'print-config');
  const count = rng.int(0, 5);
  for (let k = 0; k < count; k++) {
    const name = rng.pick(names);
    if (picks.some((p) => p.name === name)) continue; // each option at most once
    const values = optionValues(name, rng, index);
    const wantBad = rng.chance(0.35);
    const pool = values.filter((v) => (wantBad ? v.verdict !== 'good' : v.verdict !== 'bad'));
    picks.push({ name, value: rng.pick(pool.length > 0 ? pool : values) });
  }
  rng.chance(0.5) && picks.sort(() => rng.next() - 0.5);
  const args = picks.flatMap((p) => spell(p.name, p.value.token, rng));
  const junk = rng.chance(0.2) ? rng.int(1, 2) : 0;
  for (let k = 0; k < junk; k++) args.splice(rng.int(0, args.length), 0, garbage(rng, options));
  const verdicts = picks.map((p) => p.value.verdict);
  const hasApp = picks.some((p) => p.name === 'app');
  const expect: Expect = junk > 0 || !hasApp || verdicts.includes('bad') ? 'refuse' : verdicts.includes('either') ? 'either' : 'start';
  const workersPick = picks.find((p) => p.name === 'workers')?.value.token;
  const logDir = picks.find((p) => p.name === 'log-dir')?.value;
  return {
    index,
    args: expect === 'refuse' || args.some((a) => a.startsWith('--poll')) ? args : [...args, '--poll=1'],
    expect,
    workers: Number(workersPick ?? 1),
    logDir: logDir?.verdict === 'good' ? logDir.token : undefined,
  };
}

/** How one case went. */
interface Outcome {
  readonly outcome: 'refused' | 'started' | 'hung';
  readonly problems: string[];
  readonly ms: number;
}

/** Runs one case as a user would, bounded, and checks it against its expectation. */
async function runCase(c: Case): Promise<Outcome> {
  const marker = runMarker(`fuzz-${c.index}`);
  markers.push(marker);
  const runtime = join(tmp.dir, 'run', `${c.index}-xdg`);
  mkdirSync(runtime, { recursive: true });
  const began = Date.now();
  const child = spawn(process.execPath, [CLI, ...c.args], {
    cwd: tmp.dir,
    env: { ...process.env, ...marker.env, XDG_RUNTIME_DIR: runtime },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child.pid);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  let done: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (done = e));
  const problems: string[] = [];
  const masterLog = (): string => {
    const file = c.logDir !== undefined ? join(c.logDir, 'master.log') : undefined;
    return file !== undefined && existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  let started = false;
  let stableSince: number | undefined;
  while (done === undefined && Date.now() - began < BOUND_MS) {
    if (/master ready/.test(stderr) || /master ready/.test(masterLog())) {
      started = true;
      break;
    }
    // --quiet prints no `master ready`: a pool holding its ids for a second has started.
    const held = child.pid !== undefined ? heldIds(child.pid).size : 0;
    stableSince = held === c.workers && held > 0 ? (stableSince ?? Date.now()) : undefined;
    if (stableSince !== undefined && Date.now() - stableSince > 1000) {
      started = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let outcome: Outcome['outcome'];
  if (started) {
    outcome = 'started';
    if (c.expect === 'refuse') problems.push('a wrong input was accepted: the pool started');
    child.kill('SIGTERM');
    const stop = await within(exited, BOUND_MS, undefined);
    if (stop === undefined) problems.push(`no exit within ${BOUND_MS} ms of TERM`);
    else if (stop.code !== 0 || stop.signal !== null) problems.push(`TERM ended it with ${JSON.stringify(stop)}, not 0`);
  } else if (done !== undefined) {
    outcome = 'refused';
    if (c.expect === 'start') problems.push(`a right input was refused (exit ${JSON.stringify(done)})`);
    if (done.code === 0 || done.signal !== null) problems.push(`refused with ${JSON.stringify(done)}, not a non-zero exit code`);
    const lines = stderr.trim().split('\n');
    if (done.code === 2) {
      // A usage mistake: one line, ours, no stack.
      if (!lines.at(-1)!.startsWith('supervise: ')) problems.push('the last stderr line does not start with "supervise: "');
      if (lines.length !== 1) problems.push(`a usage mistake printed ${lines.length} lines, not one`);
      if (/^\s+at /m.test(stderr)) problems.push('a stack trace on stderr for a usage mistake');
    } else {
      // The app's failure: one summary line, followed only by the app's own stack, indented (issue 17 point 3).
      const summary = lines.findLast((line) => !/^\s/.test(line)) ?? '';
      if (!/^(\S+ supervise\[\d+\]: start failed: |supervise: )/.test(summary)) problems.push('the last unindented stderr line is no summary ("supervise: …" or "start failed: …")');
    }
  } else {
    outcome = 'hung';
    problems.push(`neither refused nor started within ${BOUND_MS} ms`);
    child.kill('SIGKILL');
    await exited;
  }
  await new Promise((r) => setImmediate(r));
  // A stack belongs under the app's own failure (exit 1) only, and never shows supervise's own frames.
  const appFailed = outcome === 'refused' && done?.code === 1;
  const stderrWithoutFake = stderr.replace(/^.*fake \(frame\.js.*$/m, '');
  if (!appFailed && /^\s+at .*[:(]/m.test(stderrWithoutFake)) problems.push('a stack trace on stderr');
  if (/^\s+at .*[:(].*\/(dist|src)\/(cli|master|services|shared|worker)\//m.test(stderrWithoutFake)) problems.push("a stack trace of supervise's own on stderr");
  if (/internal error/.test(stderr)) problems.push('an internal error');
  const left = await settleLeftovers(marker, 3000);
  if (left.length > 0) problems.push(`left behind: ${describeProcs(left)}`);
  if (problems.length > 0) problems.push(`stderr:\n${stderr.split('\n').slice(-8).join('\n')}`);
  return { outcome, problems, ms: Date.now() - began };
}

describe('fuzzed input', () => {
  before(writeApps);

  it(`${CASES} random argument lists and malformed app files: wrong input refused in one line, right input runs and stops, never a hang or a leftover`, async () => {
    const rng = new Random(SEED);
    // The option set as the CLI has it today, so options added later get fuzzed too.
    const help = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', () => resolve(out));
    });
    const options = [...new Set([...help.matchAll(/^\s+--([a-z][a-z-]*)/gm)].map((m) => m[1]!))];
    assert.ok(options.includes('workers') && options.includes('app'), `options read from --help: ${options.join(' ')}`);
    const cases = Array.from({ length: CASES }, (_, i) => makeCase(rng, i, options)).filter((c) => ONLY === undefined || c.index === ONLY);
    const results: Array<{ c: Case; o: Outcome }> = [];
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let c = queue.shift(); c !== undefined; c = queue.shift()) results.push({ c, o: await runCase(c) });
      }),
    );
    const failures = results.filter((r) => r.o.problems.length > 0);
    const count = (o: Outcome['outcome']): number => results.filter((r) => r.o.outcome === o).length;
    recordFigures('fuzz', {
      seed: SEED,
      cases: results.length,
      refused: count('refused'),
      started: count('started'),
      hung: count('hung'),
      expectedRefuse: results.filter((r) => r.c.expect === 'refuse').length,
      expectedStart: results.filter((r) => r.c.expect === 'start').length,
      noVerdict: results.filter((r) => r.c.expect === 'either').length,
      appFileVariants: APP_FILES.length,
      optionsFuzzed: options.length,
      slowestMs: Math.max(...results.map((r) => r.o.ms)),
      failures: failures.length,
    });
    assert.deepEqual(
      failures.map((f) => `case ${f.c.index} (FUZZ_SEED=${SEED} FUZZ_ONLY=${f.c.index}) expected ${f.c.expect}: supervise ${f.c.args.map((a) => JSON.stringify(a)).join(' ')}\n  ${f.o.problems.join('\n  ')}`),
      [],
    );
  });
});
