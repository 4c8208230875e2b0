/**
 * Shared tools of the reliability suite (issue 5): run sizes (short in `make check`, the issue's
 * full sizes under `make soak`), a seeded PRNG, figures written for docs/reliability.md, /proc
 * readings, a per-test environment marker that finds every process a test left behind, an
 * invariant sampler over a master's children, and a master whose log is read line by line.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, track } from '../helpers.js';

/** True under `make soak` (RELIABILITY_SCALE=full): the sizes instead of the short ones. */
export const FULL = process.env['RELIABILITY_SCALE'] === 'full';

/** A run size: env `name` if set, else `full` under `make soak`, else `short`. */
export function size(name: string, short: number, full: number): number {
  const raw = process.env[name];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw} is not a positive number`);
    return n;
  }
  return FULL ? full : short;
}

/** A small seeded PRNG (mulberry32), so a failing random run can be replayed from its seed. */
export class Random {
  #state: number;
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed of a randomized test: env `name` when given (to replay a failure), else a fresh one. */
export function seed(name: string): number {
  const raw = process.env[name];
  return raw !== undefined && raw !== '' ? Number(raw) >>> 0 : Math.floor(Math.random() * 2 ** 32);
}

/** Writes a scenario's figures to $RELIABILITY_RESULTS/<scenario>.json (make soak collects them); a no-op otherwise. */
export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  const dir = process.env['RELIABILITY_RESULTS'];
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${scenario}.json`), JSON.stringify({ scenario, full: FULL, ...figures }, null, 2) + '\n');
}

/** One process as /proc shows it. `startTime` (clock ticks after boot) tells a reused pid apart. */
export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  /** R, S, D, Z, … */
  readonly state: string;
  readonly startTime: number;
  /** The command line, which for workers is their title (`supervise: worker[3]`). */
  readonly title: string;
}

/** Reads one process from /proc, or undefined when it is gone. */
export function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let title = '';
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    } catch {
      // a zombie or a process that just ended: no command line
    }
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), state: fields[0]!, startTime: Number(fields[19]), title };
  } catch {
    return undefined;
  }
}

/** True while the very process `p` (same pid and start time) lives; a zombie counts as dead. */
export function stillAlive(p: Pick<Proc, 'pid' | 'startTime'>): boolean {
  const now = readProc(p.pid);
  return now !== undefined && now.startTime === p.startTime && now.state !== 'Z' && now.state !== 'X';
}

/** Pids of the children of `pid`, from every thread's /proc children list. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const task of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
        if (child !== '') children.push(Number(child));
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return children;
}

/** How many file descriptors `pid` has open, or undefined when it is gone. */
export function fdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Resident set size of `pid` in KiB, or undefined when it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib);
  } catch {
    return undefined;
  }
}

/** Id of a worker from its title, or undefined for anything else (a spare, a process still starting). */
export function workerIdOf(title: string): number | undefined {
  const m = /^supervise: worker\[(\d+)\]/.exec(title);
  return m === null ? undefined : Number(m[1]);
}

/** The ids held by live children of `master` right now, each with its pids. */
export function heldIds(master: number): Map<number, Proc[]> {
  const byId = new Map<number, Proc[]>();
  for (const pid of childrenOf(master)) {
    const p = readProc(pid);
    if (p === undefined || p.state === 'Z' || p.ppid !== master) continue;
    const id = workerIdOf(p.title);
    if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), p]);
  }
  return byId;
}

/**
 * An environment variable unique to one test: every process started with it (masters, workers,
 * spares, their children, script(1)) carries it, so `leftovers` finds whatever outlived the test.
 */
export function runMarker(label: string): { readonly env: Record<string, string>; readonly value: string } {
  const value = `${label}-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  return { value, env: { RELIABILITY_RUN_MARKER: value } };
}

/** Live processes (zombies excluded) whose environment holds `marker`'s value. */
export function leftovers(marker: { readonly value: string }): Proc[] {
  const needle = `RELIABILITY_RUN_MARKER=${marker.value}\0`;
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle)) continue;
    } catch {
      continue;
    }
    const p = readProc(Number(entry));
    if (p !== undefined && p.state !== 'Z' && p.state !== 'X') found.push(p);
  }
  return found;
}

/** SIGKILLs, by pid, every live process carrying `marker` (cleanup after a failed test). */
export function killLeftovers(marker: { readonly value: string }): void {
  for (const p of leftovers(marker)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Waits (bounded) until nothing carrying `marker` lives; returns what is still there after `ms`. */
export async function settleLeftovers(marker: { readonly value: string }, ms: number): Promise<Proc[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = leftovers(marker);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Describes processes for an assertion message. */
export function describeProcs(procs: readonly Proc[]): string {
  return procs.map((p) => `${p.pid} (${p.state}, ppid ${p.ppid}) ${p.title}`).join('; ');
}

/** A fresh $XDG_RUNTIME_DIR so each master serves its own default control socket; removed by `remove`. */
export function runtimeDir(): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'supervise-rel-run-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the sampler saw of a pool's invariants. */
export interface SamplerFigures {
  samples: number;
  /** Ids held by two live processes at once, confirmed after the scan (each a description). */
  doubles: string[];
  /** Ids outside the allowed range, seen held by a live worker. */
  outOfRange: string[];
  /** Zombie children of the master seen in any sample (transient: the master reaps on SIGCHLD). */
  zombiesSeen: number;
  /** Longest time one zombie child was seen unreaped, ms. */
  maxZombieMs: number;
  /** Zombie children still unreaped after `lingerMs`: left behind. */
  lingeringZombies: string[];
  masterFdsMin: number;
  masterFdsMax: number;
  masterRssKiBMax: number;
}

/**
 * Samples the children of a master from /proc, as often as it can (every `everyMs`): at no
 * instant may two live processes hold one id, an id must be below `idLimit()`, and no zombie child
 * may stay unreaped for `lingerMs`. Also tracks the master's fd count and RSS.
 */
export class PoolSampler {
  readonly figures: SamplerFigures = {
    samples: 0,
    doubles: [],
    outOfRange: [],
    zombiesSeen: 0,
    maxZombieMs: 0,
    lingeringZombies: [],
    masterFdsMin: Number.POSITIVE_INFINITY,
    masterFdsMax: 0,
    masterRssKiBMax: 0,
  };
  readonly #zombies = new Map<string, number>();
  #running = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(
    readonly master: number,
    readonly idLimit: () => number,
    readonly everyMs = 20,
    readonly lingerMs = 2000,
  ) {}

  /** Starts sampling in the background. */
  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        this.sample();
        await new Promise((r) => setTimeout(r, this.everyMs));
      }
    })();
  }

  /** Stops sampling; resolves once the last sample is done. */
  async stop(): Promise<SamplerFigures> {
    this.#running = false;
    await this.#loop;
    return this.figures;
  }

  /** One sample of every invariant. */
  sample(): void {
    const f = this.figures;
    const now = Date.now();
    const byId = new Map<number, Proc[]>();
    const zombiesNow = new Set<string>();
    for (const pid of childrenOf(this.master)) {
      const p = readProc(pid);
      if (p === undefined || p.ppid !== this.master) continue;
      if (p.state === 'Z') {
        const key = `${p.pid}@${p.startTime}`;
        zombiesNow.add(key);
        if (!this.#zombies.has(key)) {
          this.#zombies.set(key, now);
          f.zombiesSeen++;
        }
        continue;
      }
      const id = workerIdOf(p.title);
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), p]);
    }
    for (const [key, since] of this.#zombies) {
      if (!zombiesNow.has(key)) {
        this.#zombies.delete(key);
        continue;
      }
      f.maxZombieMs = Math.max(f.maxZombieMs, now - since);
      if (now - since > this.lingerMs && !f.lingeringZombies.includes(key)) f.lingeringZombies.push(key);
    }
    const limit = this.idLimit();
    for (const [id, procs] of byId) {
      // A scan of /proc is not atomic: a double counts only if both are still alive after it.
      if (procs.length > 1 && procs.filter((p) => stillAlive(p)).length > 1) f.doubles.push(`id ${id}: ${procs.map((p) => p.pid).join(',')}`);
      if (id >= limit && procs.some((p) => stillAlive(p))) f.outOfRange.push(`id ${id} (limit ${limit})`);
    }
    const fds = fdCount(this.master);
    const rss = rssKiB(this.master);
    if (fds !== undefined) {
      f.masterFdsMin = Math.min(f.masterFdsMin, fds);
      f.masterFdsMax = Math.max(f.masterFdsMax, fds);
    }
    if (rss !== undefined) f.masterRssKiBMax = Math.max(f.masterRssKiBMax, rss);
    f.samples++;
  }
}

/** What the master's log says of one id. */
export interface LoggedWorker {
  pid: number;
  ready: boolean;
}

/**
 * A `supervise` master started as a user would, its stderr read line by line: the current pid and
 * readiness of each id, every line kept for assertions, and waits bounded by a deadline.
 */
export class Master extends EventEmitter<{ line: [string] }> {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly workers = new Map<number, LoggedWorker>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #partial = '';

  constructor(args: readonly string[], env: Record<string, string>, stdio: StdioOptions = ['ignore', 'ignore', 'pipe']) {
    super();
    this.setMaxListeners(0);
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio });
    track(this.child.pid);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => this.#read(chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The whole log so far. */
  text(): string {
    return this.lines.join('\n');
  }

  /** Resolves with the first line from index `from` on matching `pattern`; rejects after `ms`. */
  waitForLine(pattern: RegExp, ms = 30_000, from = 0): Promise<RegExpMatchArray> {
    for (let i = from; i < this.lines.length; i++) {
      const m = this.lines[i]!.match(pattern);
      if (m !== null) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('line', onLine);
        reject(new Error(`timed out after ${ms} ms waiting for ${pattern}; last lines:\n${this.lines.slice(-15).join('\n')}`));
      }, ms);
      const onLine = (line: string): void => {
        const m = line.match(pattern);
        if (m === null) return;
        clearTimeout(timer);
        this.off('line', onLine);
        resolve(m);
      };
      this.on('line', onLine);
    });
  }

  /** Ids whose current process the log shows ready. */
  readyIds(): number[] {
    return [...this.workers].filter(([, w]) => w.ready).map(([id]) => id);
  }

  #read(chunk: string): void {
    const text = this.#partial + chunk;
    const parts = text.split('\n');
    this.#partial = parts.pop()!;
    for (const line of parts) {
      this.lines.push(line);
      const spawned = /worker\[(\d+)\] (?:spawned|taken over by spare|handed to new process) pid=(\d+)/.exec(line);
      if (spawned !== null) {
        track(Number(spawned[2]));
        this.workers.set(Number(spawned[1]), { pid: Number(spawned[2]), ready: false });
      }
      const ready = /worker\[(\d+)\] ready$/.exec(line);
      const worker = ready !== null ? this.workers.get(Number(ready[1])) : undefined;
      if (worker !== undefined) worker.ready = true;
      const exited = /worker\[(\d+)\] exited .* pid=(\d+)/.exec(line);
      const gone = exited !== null ? this.workers.get(Number(exited[1])) : undefined;
      if (gone !== undefined && gone.pid === Number(exited![2])) gone.ready = false;
      this.emit('line', line);
    }
  }
}

/** Resolves with `promise`'s value, or with `fallback` once `ms` have passed (the timer never holds the process). */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Percentile `q` (0..1) of `values`, or 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
