/**
 * Helpers for real-process tests: start the CLI as a user would, read its lifecycle lines, wait
 * with a bound, inspect processes through /proc, and kill every process a test started.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Root of the checkout (dist-test/.. ). */
export const ROOT = resolve(import.meta.dirname, '..');
/** The built CLI. */
export const CLI = join(ROOT, 'dist', 'cli', 'supervise.cjs');
/** Fixture apps. */
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** Path of a fixture app by file name. */
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** Pids this test file started or saw, with their start time (so a reused pid is never killed). */
const started = new Map<number, string | undefined>();

/** Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), if readable. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Remembers a pid so that `killStarted` kills it at the end of the test file. */
export function track(pid: number | undefined): void {
  if (pid === undefined || started.has(pid)) return;
  const startTime = startTimeOf(pid);
  if (startTime === undefined && existsSync('/proc/self/stat')) return; // already gone: nothing to kill, ever
  started.set(pid, startTime);
}

/**
 * SIGKILLs every process this test file started or saw (masters and workers), by pid, unless the
 * pid now belongs to another process: pids wrap quickly on a machine running thousands of workers.
 */
export function killStarted(): void {
  for (const [pid, startTime] of started) {
    if (startTime !== undefined && startTimeOf(pid) !== startTime) continue; // gone, or reused
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.clear();
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
  copy = undefined;
  if (runtimeRoot !== undefined) rmSync(runtimeRoot, { recursive: true, force: true });
  runtimeRoot = undefined;
}

/**
 * Polls `predicate` every 10 ms until it is truthy; throws naming `what` after `ms`. `what` may be a
 * function, read only then, so that the message shows what the output was at the deadline.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, ms: number, what: string | (() => string)): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** State letter of a process from /proc (R, S, Z, …), or undefined when there is no such process. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** True while `pid` is a live process (a zombie counts as dead). */
export function isAlive(pid: number): boolean {
  const state = procState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Parent pid of a process from /proc, or undefined. */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Command line of a process (its title, for workers), or undefined. */
export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix = 'supervise-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One event a fixture app wrote to its FIXTURE_LOG file. */
export interface FixtureEvent {
  ev: string;
  id: number;
  pid: number;
  t: number;
  [key: string]: unknown;
}

/**
 * Every event fixture apps appended to `file` so far (one JSON object per line). Workers may still
 * be appending while it is read: a last line without its newline is one being written (or cut by a
 * SIGKILL mid-write), so it is left for the next read instead of failing JSON.parse.
 */
export function readEvents(file: string): FixtureEvent[] {
  return completeLines(file).map((line) => JSON.parse(line) as FixtureEvent);
}

/**
 * The complete lines of a file other processes may be appending to: non-empty lines that end
 * with a newline; a half-written last line is left out. [] when the file does not exist yet.
 */
export function completeLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** A running `supervise` CLI with its output collected. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stderr so far (lifecycle lines). */
  stderr(): string;
  /** stdout so far (what workers print, when stdout is piped). */
  stdout(): string;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Resolves once stdout and stderr are closed (every process writing to them is gone), or after
   * `ms`: lines written just before the master's exit can still be in the pipe at its 'exit' event.
   */
  outputEnded(ms?: number): Promise<void>;
  /** Waits until stderr matches `pattern` (by default up to 30 s: CI machines are loaded), returning the match. */
  waitForLog(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Pids of the workers from "worker[i] spawned pid=" and "worker[i] handed to new process pid=" (a spare taking the id) lines, latest per id. */
  workerPids(): Map<number, number>;
  /** Every worker pid ever spawned. */
  allWorkerPids(): number[];
  /** The master's default control socket: each started CLI gets its own $XDG_RUNTIME_DIR. */
  readonly controlPath: string;
}

/** Resolves as `promise` does, or rejects naming `what` after `ms` (a bound on a wait, never a timing). */
export async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `child`'s stdout and stderr are closed (every process writing to them gone), or after `ms`. */
export function streamsClosed(child: ChildProcess, ms = 10_000): Promise<void> {
  const closed = (stream: NodeJS.ReadableStream | null): Promise<void> =>
    stream === null || (stream as { closed?: boolean }).closed === true ? Promise.resolve() : new Promise((r) => stream.once('close', () => r()));
  return Promise.race([Promise.all([closed(child.stdout), closed(child.stderr)]).then(() => undefined), new Promise<void>((r) => setTimeout(r, ms).unref())]);
}

/** Parent of the per-CLI runtime directories, removed by killStarted. */
let runtimeRoot: string | undefined;

/** A fresh $XDG_RUNTIME_DIR, so concurrent masters never share the default control socket. */
function freshRuntimeDir(): string {
  runtimeRoot ??= mkdtempSync(join(tmpdir(), 'supervise-run-'));
  return mkdtempSync(join(runtimeRoot, 'r'));
}

/**
 * Starts `supervise` with `args` as a user would (`node dist/cli/supervise.cjs …`, or the `cli` given),
 * stdout/stderr piped unless `stdio` says otherwise; the master and every worker it logs are tracked for killStarted.
 */
export function startCli(args: string[], options: { env?: Record<string, string>; stdio?: StdioOptions; cwd?: string; cli?: string } = {}): RunningCli {
  const runtimeDir = options.env?.['XDG_RUNTIME_DIR'] ?? freshRuntimeDir();
  const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, ...options.env },
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
  });
  track(child.pid);
  let err = '';
  let out = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    for (const m of chunk.toString().matchAll(/spawned pid=(\d+)/g)) track(Number(m[1]));
  });
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  const pids = (): Array<[number, number]> =>
    [...err.matchAll(/worker\[(\d+)\] (?:spawned|handed to new) (?:process )?pid=(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  return {
    child,
    pid: child.pid!,
    stderr: () => err,
    stdout: () => out,
    exited,
    outputEnded: (ms) => streamsClosed(child, ms),
    waitForLog: (pattern, ms = 30_000) => waitFor(() => err.match(pattern), ms, () => `log line ${pattern} in:\n${err}`),
    workerPids: () => new Map(pids()),
    allWorkerPids: () => pids().map(([, pid]) => pid),
    controlPath: join(runtimeDir, 'supervise.sock'),
  };
}

/** Runs the CLI to completion (for bad-input cases), bounded by `ms`. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; ms?: number; cwd?: string; cli?: string } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const cli = startCli(args, options);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), options.ms ?? 45_000);
  const { code, signal } = await cli.exited;
  clearTimeout(timer);
  await cli.outputEnded(5_000); // its last lines can still be in the pipe at the 'exit' event
  return { code, signal, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** Dev-only packages a world-readable copy leaves out: the CLI needs only its runtime dependencies. */
const DEV_ONLY = new Set(['typescript', 'playwright-core', '@types', '.bin']);

/** Makes a tree readable (and its directories enterable) by anyone. */
function openUp(path: string): void {
  const stat = statSync(path);
  chmodSync(path, stat.isDirectory() || stat.mode & 0o111 ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) openUp(join(path, entry));
}

/** The built CLI and the fixtures in a directory anyone may enter (see readableCopy). */
export interface ReadableCopy {
  /** The copy's CLI, for startCli/runCli's `cli`. */
  readonly cli: string;
  /** The copy's root, for startCli/runCli's `cwd`. */
  readonly cwd: string;
  /** A fixture app of the copy. */
  fixture(name: string): string;
}

let copy: ReadableCopy | undefined;

/**
 * The CLI (dist/, package.json, its runtime node_modules) and the fixtures, copied once per test
 * file to a temporary directory anyone may enter, removed by killStarted. Tests whose workers run
 * as another user (--user nobody) use it: the checkout itself may sit under a directory only root
 * may enter (a clone in a mode-0700 `mktemp -d`), where such workers cannot read the worker runtime
 * or the app, and the master refuses to start them.
 */
export function readableCopy(): ReadableCopy {
  if (copy !== undefined) return copy;
  const dir = mkdtempSync(join(tmpdir(), 'supervise-readable-'));
  for (const part of ['dist', 'package.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  cpSync(FIXTURES, join(dir, 'fixtures'), { recursive: true });
  const modules = join(ROOT, 'node_modules');
  cpSync(modules, join(dir, 'node_modules'), { recursive: true, filter: (from) => !DEV_ONLY.has(from.slice(modules.length + 1).split('/')[0]!) });
  openUp(dir);
  copies.push(dir);
  copy = { cli: join(dir, 'dist', 'cli', 'supervise.cjs'), cwd: dir, fixture: (name) => join(dir, 'fixtures', name) };
  return copy;
}

/** Copies made by readableCopy, removed by killStarted. */
const copies: string[] = [];
