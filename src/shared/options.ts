/**
 * The options of a Supervisor, shared by the CLI and the API: their types, defaults, and the one
 * validation both go through, so a bad value gets the same one-line error from either.
 */
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { resolveAppPath } from './app-loader.cjs';
import { nearest } from './did-you-mean.js';
import { ErrorCode, SuperviseError } from './errors.cjs';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import { resolveHttpServices, type HttpAddress } from './http-address.js';

/** How lifecycle lines are written: for people, or one JSON object per line for machines. */
export type LogFormat = 'human' | 'json';

/**
 * Options of `new Supervisor(options)`: exactly one of `app` (a Node app file) or `command` (any
 * program) is required; the rest are {@link PoolOptions}.
 */
export type SupervisorOptions = PoolOptions &
  (
    | {
        /** Path of the app file (CommonJS, ESM, or ESM with a default export); relative to `cwd`. */
        readonly app: string;
        readonly command?: never;
      }
    | {
        /**
         * Run this program instead of an app (`supervise -- <program> [args…]`): N copies, executed
         * directly (no shell). `{id}` in any element becomes the worker's id (`{{id}}` a literal `{id}`).
         * The program is looked up on PATH (or relative to `cwd` when it holds a `/`) at construction.
         */
        readonly command: readonly string[];
        readonly app?: never;
      }
  );

/** The options of a pool beside its `app` or `command`. */
export interface PoolOptions {
  /** With `command`: the signal a graceful stop sends the program. Default 'SIGTERM'. */
  readonly stopSignal?: string;
  /** With `command`: seconds a graceful stop waits for the program (for its IDLE, then its exit) before SIGKILL. Default 10. */
  readonly stopWait?: number;
  /** With `command`: exit codes that mean "recycled on purpose" (respawned with no backoff). Default [0]. */
  readonly exitCodes?: readonly number[];
  /** With `command`: the signal that makes the program hold after its job (pause); with `resumeSignal`. Default: a program cannot be paused. */
  readonly pauseSignal?: string;
  /** With `command` and `pauseSignal`: the signal that makes it go on. */
  readonly resumeSignal?: string;
  /** How many workers, ids 0..workers-1. A positive integer; default 1. */
  readonly workers?: number;
  /** Seconds between backstop sweeps that refill any missing id; also the cap of the restart backoff. Default 30. */
  readonly poll?: number;
  /** Load the app in the master once at start (failing fast) and run its beforeFork there. Default false. */
  readonly preload?: boolean;
  /**
   * Seconds a quick stop waits before SIGKILL of whatever still runs; also what a worker's
   * beforeExit (at least 1 s) and its own children get at its exit. Default 5.
   */
  readonly grace?: number;
  /** Seconds a single task may run before its worker is SIGKILLed and replaced. Default: no limit. */
  readonly timeout?: number;
  /**
   * Seconds a worker may take from its spawn (a spare: from taking an id) to ready, loading the app
   * and running afterFork, and a spare to load the app, before it is SIGKILLed: its id is respawned
   * with backoff, a start fails, a reload is abandoned. 0: no limit. Default 60.
   */
  readonly bootTimeout?: number;
  /**
   * Task loops per worker process, each calling workerStart(id, ctx) with ctx.slot 0..c-1, sharing
   * one event loop: for I/O-bound tasks. A positive integer; default 1.
   */
  readonly concurrency?: number;
  /**
   * Seconds a reload's new process of an id stays on probation: until it has finished its first
   * task or lived this long, whichever comes first, a failure (an exit, a reported error) stops the
   * reload there, the ids not yet moved keeping their old processes. 0: ready is enough. Default 1.
   */
  readonly reloadProbation?: number;
  /** Replace a worker after this many tasks (each worker gets up to 10% more, so they don't all go at once). */
  readonly maxTasks?: number;
  /** Replace a worker after the task during which its RSS passed this many MiB (up to 5% jitter). */
  readonly maxRss?: number;
  /** Warm spares: processes that have loaded Node and the app and take over a dead worker's id at once. Default 0. */
  readonly spares?: number;
  /** Write the master's pid here at start (atomically) and remove it at exit; refuse to start if a live master holds it. */
  readonly pidFile?: string;
  /** Directory the app path and the workers start from. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Extra environment for the workers, over the master's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** Flags for the workers' `node`, such as `--import=tsx` or `--max-old-space-size=512`. Default none. */
  readonly nodeArgs?: readonly string[];
  /** Write no lifecycle lines. Default false. */
  readonly quiet?: boolean;
  /** Format of lifecycle lines. Default 'human'. */
  readonly logFormat?: LogFormat;
  /** Where lifecycle lines go. Default `process.stderr`. */
  readonly logStream?: NodeJS.WritableStream;
  /**
   * Install TERM/INT/QUIT/HUP/TTIN/TTOU handlers on start, as the CLI does; a stop they trigger ends
   * the process with code 0. Default false: the library touches no signal unless asked.
   */
  readonly handleSignals?: boolean;
  /**
   * Serve the control socket (`supervise status`, `supervise ctl …`) at this path: a Unix domain
   * socket only its owner may use, removed at stop. Default: none (the CLI always serves one).
   */
  readonly control?: string;
  /**
   * Send each worker's stdout/stderr to `<logDir>/worker-<id>.log` (spares: `spare.log`) and the
   * master's lines to `master.log`, straight to the files, so output survives the master. Default:
   * inherited stdio.
   */
  readonly logDir?: string;
  /** With `logDir`: rotate a file once it passes this many bytes (checked every second); 0 never rotates. Default 50 MiB. */
  readonly logMaxBytes?: number;
  /** With `logDir`: rotated files kept per log (`worker-0.log.1` … `.N`), at least 1. Default 10. */
  readonly logBackups?: number;
  /** Run the workers as this user (name or uid); the master must run as root. Default: the master's user. */
  readonly user?: string | number;
  /** Run the workers with this group (name or gid); default: the `user`'s primary group. */
  readonly group?: string | number;
  /**
   * Serve the dashboard (a live page of the pool with reload, scale and pause buttons) on this
   * `host:port`, e.g. `127.0.0.1:8123`; port 0 takes a free one (see `Supervisor.dashboardUrl`).
   * Loopback only, unless `dashboardToken` is set. Default: none.
   */
  readonly dashboard?: string;
  /**
   * A secret of at least 16 printable characters. When set, every dashboard request needs it
   * (`Authorization: Bearer <token>`; the page takes it from `?token=`), and `dashboard` and
   * `metrics` may listen beyond loopback (the metrics then need it too). Default: none.
   */
  readonly dashboardToken?: string;
  /**
   * Serve Prometheus metrics (text format 0.0.4) at `http://<host:port>/metrics`, e.g.
   * `127.0.0.1:9464`; port 0 takes a free one (see `Supervisor.metricsUrl`). Loopback only, unless
   * `dashboardToken` is set. Default: none.
   */
  readonly metrics?: string;
  /**
   * Shared listening sockets the master binds before any worker starts and holds for its life;
   * every worker accepts on them, and an app's unchanged `server.listen(port)` gets the one of that
   * port. Each: `8080`, `127.0.0.1:8080`, `[::1]:8080`, or a Unix socket path (with a `/`), with an
   * optional octal mode: `/run/app.sock:660`. Port 0 takes a free one (see `Supervisor.listenAddresses`).
   * With it, `workerStart` is optional. Default: none.
   */
  readonly listen?: string | number | readonly (string | number)[];
}

/**
 * Every key of SupervisorOptions, the one list `resolveOptions` checks a caller's keys against: a
 * key not here (`wokers` from plain JS, which TypeScript would have caught) is refused with a
 * did-you-mean. Adding an option: add it to SupervisorOptions above and its name here; the build
 * fails (see KnownOptionsAreComplete) until both agree.
 */
export const KNOWN_OPTIONS = [
  'app',
  'command',
  'stopSignal',
  'stopWait',
  'exitCodes',
  'pauseSignal',
  'resumeSignal',
  'workers',
  'poll',
  'preload',
  'grace',
  'timeout',
  'bootTimeout',
  'reloadProbation',
  'concurrency',
  'maxTasks',
  'maxRss',
  'spares',
  'pidFile',
  'cwd',
  'env',
  'nodeArgs',
  'quiet',
  'logFormat',
  'logStream',
  'handleSignals',
  'control',
  'logDir',
  'logMaxBytes',
  'logBackups',
  'user',
  'group',
  'dashboard',
  'dashboardToken',
  'metrics',
  'listen',
] as const satisfies ReadonlyArray<keyof SupervisorOptions>;

/** Compile-time check: `true` when KNOWN_OPTIONS names every key of SupervisorOptions, else the keys it lacks. */
type MissingOptions = Exclude<keyof SupervisorOptions, (typeof KNOWN_OPTIONS)[number]>;
type KnownOptionsAreComplete = [MissingOptions] extends [never] ? true : { keysMissingFromKnownOptions: MissingOptions };
const knownOptionsAreComplete: KnownOptionsAreComplete = true;
void knownOptionsAreComplete;

/** Options with every default applied and every value checked; `app` is absolute. */
export interface ResolvedOptions {
  /** The app file; with `command`, the program's path (for lines that name what runs). */
  readonly app: string;
  /** The program and its arguments (element 0 absolute once the Supervisor checked it); undefined for an app. */
  readonly command: readonly string[] | undefined;
  readonly stopSignal: NodeJS.Signals;
  readonly stopWait: number;
  readonly exitCodes: readonly number[];
  readonly pauseSignal: NodeJS.Signals | undefined;
  readonly resumeSignal: NodeJS.Signals | undefined;
  readonly workers: number;
  readonly poll: number;
  readonly preload: boolean;
  readonly grace: number;
  readonly timeout: number | undefined;
  /** 0 when there is no limit. */
  readonly bootTimeout: number;
  readonly concurrency: number;
  /** 0: no probation. */
  readonly reloadProbation: number;
  readonly maxTasks: number | undefined;
  readonly maxRss: number | undefined;
  readonly spares: number;
  readonly pidFile: string | undefined;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly nodeArgs: readonly string[];
  readonly quiet: boolean;
  readonly logFormat: LogFormat;
  readonly logStream: NodeJS.WritableStream;
  readonly handleSignals: boolean;
  readonly control: string | undefined;
  readonly logDir: string | undefined;
  readonly logMaxBytes: number;
  readonly logBackups: number;
  readonly user: string | number | undefined;
  readonly group: string | number | undefined;
  readonly dashboard: HttpAddress | undefined;
  readonly dashboardToken: string | undefined;
  readonly metrics: HttpAddress | undefined;
  readonly listen: readonly ListenAddress[];
}

/** The defaults, picolisp-supervisor's where it has one. */
export const DEFAULTS = { stopWait: 10, workers: 1, poll: 30, grace: 5, bootTimeout: 60, reloadProbation: 1, spares: 0, logMaxBytes: 50 * 1048576, logBackups: 10 } as const;

/** Quotes a user's value for an error message, whatever its type. */
function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) {
    // An object or array from JS: its JSON, shortened, rather than "[object Object]".
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      // circular: fall through
    }
    if (json !== undefined) return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  }
  return String(value);
}

/** Throws the standard option error. */
function invalid(name: string, value: unknown, expected: string): never {
  throw new SuperviseError(ErrorCode.OPTION, `invalid --${name}: ${quote(value)} is not ${expected}`);
}

/**
 * A number option's value: a number, else NaN (so the caller's range check refuses it, quoting the
 * value). A numeric string is a type mistake of its own, refused here with its own words: the CLI
 * hands numbers over, so only a JS caller passes `'4'` (say, `process.env.WORKERS` unconverted).
 */
function toNumber(name: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) {
    throw new SuperviseError(ErrorCode.OPTION, `invalid --${name}: ${quote(value)} is a string, not a number (convert it: Number(…))`);
  }
  return Number.NaN;
}

/** Checks an integer option within [min, ∞), returning its value or the default when absent. */
export function integerOption(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = toNumber(name, value);
  if (!Number.isSafeInteger(n) || n < min) invalid(name, value, min > 0 ? 'a positive integer' : 'a whole number ≥ 0');
  return n;
}

/** Checks an amount (of seconds, MiB…): finite and above zero (or at least zero when `allowZero`); absent gives `fallback`. Throws SuperviseError E_OPTION quoting the value. */
export function amountOption(name: string, value: unknown, fallback: number, allowZero: boolean, unit = 'seconds'): number {
  if (value === undefined) return fallback;
  const n = toNumber(name, value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    invalid(name, value, allowZero ? `a number of ${unit} ≥ 0` : `a positive number of ${unit}`);
  }
  return n;
}

/** Like amountOption/integerOption, but absent stays undefined (the feature is off). */
function optional<T>(value: unknown, check: () => T): T | undefined {
  return value === undefined ? undefined : check();
}

/** Checks a path option: a non-empty string, resolved against `cwd`. */
function pathOption(name: string, value: unknown, cwd: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') invalid(name, value, 'a file path');
  return resolve(cwd, value);
}

/** Checks a user or group option: a name or a numeric id. */
function accountOption(name: string, value: unknown): string | number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  if (typeof value === 'string' && /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(value)) return value;
  invalid(name, value, `a ${name} name or numeric id`);
}

/** Checks a signal name ('TERM', 'SIGTERM', 'term') and returns its full name. */
function signalOption(name: string, value: unknown): NodeJS.Signals {
  if (value === undefined) return 'SIGTERM';
  const full = typeof value === 'string' ? `SIG${value.toUpperCase().replace(/^SIG/, '')}` : '';
  if (!(full in constants.signals)) invalid(name, value, 'a signal name such as TERM, QUIT, INT or USR1');
  return full as NodeJS.Signals;
}

/** Checks the program of `command`: a non-empty list of strings whose first is not empty. */
function commandOption(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((a) => typeof a === 'string') || (value[0] as string).trim() === '') {
    invalid('command', value, 'a program and its arguments, e.g. -- php worker.php {id}');
  }
  return value as readonly string[];
}

/** Checks a list of exit codes (0..255). */
function exitCodesOption(value: unknown): readonly number[] {
  if (value === undefined) return [0];
  const list = Array.isArray(value) ? value : [value];
  const codes = list.flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).map((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v));
  if (codes.length === 0 || !codes.every((c) => Number.isInteger(c) && (c as number) >= 0 && (c as number) <= 255)) invalid('exit-codes', value, 'exit codes 0..255, comma-separated');
  return codes as number[];
}

/** Checks a boolean option. */
function booleanOption(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') invalid(name, value, 'true or false');
  return value;
}

/** Checks --listen: one address or a list of them, none twice. */
function listenOption(value: unknown, cwd: string): ListenAddress[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  const addresses = list.map((item) => parseListenAddress(item, cwd));
  const seen = new Set<string>();
  for (const [i, a] of addresses.entries()) {
    const key = a.kind === 'unix' ? a.path : a.port === 0 ? `0#${i}` : `${a.host ?? '*'}:${a.port}`;
    if (seen.has(key)) invalid('listen', list[i], 'a new address: another --listen already has this address');
    seen.add(key);
  }
  return addresses;
}

/**
 * Refuses a key that names no option, from plain JS or a spread of some other object, which would
 * otherwise be ignored without a word: `unknown option wokers (did you mean workers?)`.
 */
function checkKeys(input: object): void {
  const known: readonly string[] = KNOWN_OPTIONS;
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    const near = nearest(key, known);
    throw new SuperviseError(ErrorCode.OPTION, `unknown option ${key}${near !== undefined ? ` (did you mean ${near}?)` : ''}`);
  }
}

/**
 * Applies defaults and validates every option, resolving `app` to an absolute path of an existing
 * file. Throws SuperviseError E_OPTION (an unknown key, with a did-you-mean; a value of the wrong
 * type or out of range, quoted) or E_APP_NOT_FOUND.
 */
export function resolveOptions(input: SupervisorOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) invalid('app', input, 'an options object');
  checkKeys(input);
  const cwd = input.cwd ?? process.cwd();
  if (typeof cwd !== 'string') invalid('cwd', cwd, 'a directory path');
  const command = commandOption(input.command);
  if (command !== undefined && input.app !== undefined) {
    throw new SuperviseError(ErrorCode.OPTION, `give either --app ${quote(input.app)} or a program after -- (${quote(command[0])}), not both`);
  }
  if (command === undefined && (typeof input.app !== 'string' || input.app.trim() === '')) {
    throw new SuperviseError(ErrorCode.OPTION, 'missing --app: give the path of the app file that exports workerStart, or a program after --: supervise -- <program> [args…]');
  }
  if (command === undefined) {
    for (const [key, flag] of [['stopSignal', 'stop-signal'], ['stopWait', 'stop-wait'], ['exitCodes', 'exit-codes'], ['pauseSignal', 'pause-signal'], ['resumeSignal', 'resume-signal']] as const) {
      if (input[key] !== undefined) throw new SuperviseError(ErrorCode.OPTION, `--${flag} applies only to a program run after --, not to --app`);
    }
  }
  if ((input.pauseSignal === undefined) !== (input.resumeSignal === undefined)) {
    throw new SuperviseError(ErrorCode.OPTION, '--pause-signal and --resume-signal go together (Laravel queue:work: --pause-signal USR2 --resume-signal CONT)');
  }
  if (command !== undefined && input.concurrency !== undefined && input.concurrency !== 1) {
    throw new SuperviseError(ErrorCode.OPTION, '--concurrency runs task loops of an app; a program run after -- is one process per worker: use --workers');
  }
  if (command !== undefined && input.maxRss !== undefined) throw new SuperviseError(ErrorCode.OPTION, '--max-rss measures a Node worker\'s memory; it does not apply to a program run after --');
  if (command !== undefined && input.preload === true) throw new SuperviseError(ErrorCode.OPTION, '--preload loads an app in the master; a program run after -- has nothing to preload');
  const logFormat = input.logFormat ?? 'human';
  if (logFormat !== 'human' && logFormat !== 'json') invalid('log-format', logFormat, '"human" or "json"');
  const nodeArgs = input.nodeArgs ?? [];
  if (!Array.isArray(nodeArgs) || !nodeArgs.every((a) => typeof a === 'string')) invalid('node-arg', nodeArgs, 'a list of strings');
  const env = input.env ?? {};
  if (typeof env !== 'object' || env === null || Array.isArray(env) || !Object.values(env).every((v) => typeof v === 'string')) invalid('env', env, 'an object of strings');
  const logStream = input.logStream ?? process.stderr;
  if (typeof (logStream as { write?: unknown }).write !== 'function') invalid('log-stream', logStream, 'a writable stream');
  // A spare loads the app, and a server app listens at load: it would serve before it holds an id.
  if (input.listen !== undefined && input.spares !== undefined && Number(input.spares) > 0) {
    invalid('spares', input.spares, '0 with --listen (spares would serve before holding an id; not supported yet)');
  }
  return {
    app: command !== undefined ? command[0]! : resolveAppPath(input.app as string, cwd),
    command,
    stopSignal: signalOption('stop-signal', input.stopSignal),
    stopWait: amountOption('stop-wait', input.stopWait, DEFAULTS.stopWait, true),
    exitCodes: exitCodesOption(input.exitCodes),
    pauseSignal: optional(input.pauseSignal, () => signalOption('pause-signal', input.pauseSignal)),
    resumeSignal: optional(input.resumeSignal, () => signalOption('resume-signal', input.resumeSignal)),
    workers: integerOption('workers', input.workers, DEFAULTS.workers, 1),
    poll: amountOption('poll', input.poll, DEFAULTS.poll, false),
    preload: booleanOption('preload', input.preload),
    grace: amountOption('grace', input.grace, DEFAULTS.grace, true),
    timeout: optional(input.timeout, () => amountOption('timeout', input.timeout, 0, false)),
    bootTimeout: amountOption('boot-timeout', input.bootTimeout, DEFAULTS.bootTimeout, true),
    concurrency: integerOption('concurrency', input.concurrency, 1, 1),
    reloadProbation: amountOption('reload-probation', input.reloadProbation, DEFAULTS.reloadProbation, true),
    maxTasks: optional(input.maxTasks, () => integerOption('max-tasks', input.maxTasks, 0, 1)),
    maxRss: optional(input.maxRss, () => amountOption('max-rss', input.maxRss, 0, false, 'MiB')),
    spares: integerOption('spares', input.spares, DEFAULTS.spares, 0),
    pidFile: pathOption('pid-file', input.pidFile, cwd),
    cwd,
    env,
    nodeArgs,
    quiet: booleanOption('quiet', input.quiet),
    logFormat,
    logStream,
    handleSignals: booleanOption('handle-signals', input.handleSignals),
    control: pathOption('control', input.control, cwd),
    logDir: pathOption('log-dir', input.logDir, cwd),
    logMaxBytes: integerOption('log-max-bytes', input.logMaxBytes, DEFAULTS.logMaxBytes, 0),
    logBackups: integerOption('log-backups', input.logBackups, DEFAULTS.logBackups, 1),
    user: accountOption('user', input.user),
    group: accountOption('group', input.group),
    listen: listenOption(input.listen, cwd),
    ...resolveHttpServices(input.dashboard, input.dashboardToken, input.metrics),
  };
}
