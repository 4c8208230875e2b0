#!/usr/bin/env node
/**
 * The `supervise` command: parses flags (and SUPERVISE_* env) with yargs, hands them to a
 * Supervisor with signal handling on, and maps failures to one line and an exit code. No logic
 * here that the API lacks.
 */
import './compile-cache.js'; // first: it caches the compilation of every module loaded after it
import { readFileSync, writeSync } from 'node:fs';
import { ErrorCode, isSuperviseError, type SuperviseError } from '../shared/errors.cjs';
import { explainUsageError, miscasedFlag, unknownEnvOption } from './usage-error.js';
import { lastOfRepeated, nodeArgMisuse, numeric } from './argv-checks.js';
import { forgetPoolEnv } from './inherited-env.cjs';
import type { Supervisor } from '../master/supervisor.js';
import type { appStack as AppStack } from '../shared/app-stack.cjs';
import type { indentStack as IndentStack } from '../shared/log.js';
import type * as ConfigFile from './config-file.js';
import type { SupervisorOptions } from '../shared/options.js';
import type { SupervisorInternals } from '../master/supervisor-types.js';
import type { UpgradeHandoff } from '../master/upgrade-handoff.js';
// yargs, the client and the master are imported when needed (below), not here: `--version` and
// `status` must not pay for the master's module graph and yargs (~2/3 of the start-up of the CLI).

/**
 * Exit code for a mistake in the command as given, found before anything started: a flag, a value,
 * a variable, a missing app file, an app --user cannot read (all refused by the constructor), and
 * a --log-dir or --pid-file that cannot be written or is held by a live master (by start()).
 */
const EXIT_USAGE = 2;
/**
 * Exit code when the start failed: the app cannot load or its workers fail at start, or a service
 * cannot be opened (the control socket is another master's or unsafe, an address is in use).
 */
const EXIT_APP = 1;
/** The codes of start()'s refusals that are a bad value of the command (EXIT_USAGE), not a failed start. */
const START_USAGE_CODES: ReadonlySet<string> = new Set([ErrorCode.LOG, ErrorCode.PID_FILE, ErrorCode.LISTEN]);

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Set once `die` has written the one line: nothing else may add another. */
let said = false;

/** Prints one line naming the problem and exits; never a stack trace for a user's mistake. */
function die(message: string, code: number): never {
  said = true;
  process.stderr.write(`supervise: ${message}\n`);
  process.exit(code);
}

/** A start failure's message, followed by the app's own stack when it is the app's failure (not a usage mistake). */
function withAppStack(error: SuperviseError, app: string | undefined, appStack: typeof AppStack, indentStack: typeof IndentStack): string {
  const appCode = error.code === ErrorCode.APP_LOAD || error.code === ErrorCode.WORKER;
  const stack = (error as { appStack?: string }).appStack ?? (appCode && app !== undefined && error.cause !== undefined ? appStack(error, app, true) : undefined);
  return stack !== undefined ? `${error.message}\n${indentStack(stack)}` : error.message;
}

const OPTIONS = {
  app: { type: 'string', requiresArg: true, describe: 'the app file exporting workerStart(id, ctx) (.js, .cjs, .mjs)' },
  workers: { requiresArg: true, describe: 'how many workers, ids 0..N-1 <positive integer>', defaultDescription: '1' },
  poll: { requiresArg: true, describe: 'seconds between sweeps that refill missing ids; caps restart backoff <seconds>', defaultDescription: '30' },
  preload: { type: 'boolean', describe: 'load the app in the master at start (fail fast) and run beforeFork there' },
  grace: { requiresArg: true, describe: 'seconds a quick stop (TERM/INT) waits before SIGKILL <seconds>', defaultDescription: '5' },
  timeout: { requiresArg: true, describe: 'seconds a task may run before its worker is killed and replaced <seconds>', defaultDescription: 'none' },
  'reload-probation': { requiresArg: true, describe: 'seconds a reload\'s new worker must live (or finish its first task) before the next id moves; a failure meanwhile stops the reload; 0: ready is enough <seconds>', defaultDescription: '1' },
  'boot-timeout': { requiresArg: true, describe: 'seconds a worker may take to load the app and run afterFork before it is killed; 0: no limit <seconds>', defaultDescription: '60' },
  concurrency: { requiresArg: true, describe: 'task loops per worker process, sharing its event loop (for I/O-bound tasks) <c>', defaultDescription: '1' },
  'max-tasks': { requiresArg: true, describe: 'replace a worker after this many tasks (+ up to 10% jitter) <n>', defaultDescription: 'none' },
  'max-rss': { requiresArg: true, describe: 'replace a worker after the task during which its RSS passed this <MiB>', defaultDescription: 'none' },
  spares: { requiresArg: true, describe: 'warm processes with the app loaded, ready to take over a dead worker\'s id <n>', defaultDescription: '0' },
  'pid-file': { type: 'string', requiresArg: true, describe: 'write the master\'s pid here; refuse to start if a live master holds it' },
  'node-arg': { type: 'string', array: true, requiresArg: true, describe: 'flag for the workers\' node, repeatable: --node-arg=--import=tsx' },
  quiet: { type: 'boolean', describe: 'print no lifecycle lines' },
  'log-format': { type: 'string', requiresArg: true, describe: 'lifecycle lines as "human" or "json"', defaultDescription: 'human' },
  control: { type: 'string', requiresArg: true, describe: 'serve `supervise status`/`ctl` on this Unix socket (owner only)', defaultDescription: 'beside --pid-file, else $XDG_RUNTIME_DIR/supervise.sock' },
  'log-dir': { type: 'string', requiresArg: true, describe: 'each worker writes to <dir>/worker-<id>.log, the master to master.log' },
  'log-max-bytes': { requiresArg: true, describe: 'rotate a log file past this size; 0: never <bytes>', defaultDescription: '52428800 (50 MiB)' },
  'log-backups': { requiresArg: true, describe: 'rotated files kept per log (.1 … .N) <n ≥ 1>', defaultDescription: '10' },
  user: { type: 'string', requiresArg: true, describe: 'run the workers as this user (the master must run as root)' },
  group: { type: 'string', requiresArg: true, describe: 'run the workers with this group', defaultDescription: "the user's" },
  dashboard: { type: 'string', requiresArg: true, describe: 'serve a live page of the pool (reload, scale, pause) on <host:port>, loopback unless a token is set' },
  'dashboard-token': { type: 'string', requiresArg: true, describe: 'secret every dashboard request needs; allows non-loopback addresses (better: SUPERVISE_DASHBOARD_TOKEN)' },
  listen: { type: 'string', array: true, requiresArg: true, describe: 'share a listening socket with every worker: port, host:port, [::1]:port, or a socket path[:mode] (repeatable)' },
  metrics: { type: 'string', requiresArg: true, describe: 'serve Prometheus metrics at http://<host:port>/metrics, loopback unless a token is set' },
  'stop-signal': { type: 'string', requiresArg: true, describe: 'with -- <program>: the signal a graceful stop sends it <SIG>', defaultDescription: 'TERM' },
  'stop-wait': { requiresArg: true, describe: 'with -- <program>: seconds a graceful stop waits for its IDLE, then its exit, before SIGKILL <seconds>', defaultDescription: '10' },
  'pause-signal': { type: 'string', requiresArg: true, describe: 'with -- <program>: the signal that holds it after its job, for pause (with --resume-signal) <SIG>', defaultDescription: 'none: cannot pause' },
  'resume-signal': { type: 'string', requiresArg: true, describe: 'with -- <program>: the signal that lets a paused program go on <SIG>', defaultDescription: 'none' },
  'exit-codes': { type: 'string', requiresArg: true, describe: 'with -- <program>: exit codes that mean "recycled on purpose", respawned with no backoff <n,n…>', defaultDescription: '0' },
  config: { type: 'string', requiresArg: true, describe: 'read options from this file: JSON, or .js/.mjs/.cjs exporting an object; flags and SUPERVISE_* win over it; HUP rereads it' },
  'print-config': { type: 'boolean', describe: 'print the options in effect (flags, env, file, defaults) as JSON and exit' },
} as const;

/** Parses argv; on a usage error prints one line (with a did-you-mean for a misspelt flag) and exits 2. */
async function parseArgs(argv: string[], fileOptions: Record<string, unknown>) {
  const { default: yargs } = await import('yargs');
  return yargs(argv)
    .scriptName('supervise')
    .usage(
      '$0 --app <file> [--workers N] [--poll S] [--preload]\n$0 [--workers N] [options] -- <program> [args…]   ({id} in args: the worker id)\n$0 status [--json] | ctl reload|scale N|pause|resume|stop [--graceful]|reopen-logs|upgrade\n\nKeeps N worker processes with stable ids 0..N-1 alive, each calling workerStart(id, ctx) in a loop.',
    )
    .options(OPTIONS)
    .config(fileOptions)
    .env('SUPERVISE')
    .strict()
    .version(version)
    .alias('help', 'h')
    .alias('version', 'v')
    .example('$0 --app app.js --workers 4 --poll 1', 'four workers, missing ids refilled within a second')
    .example('$0 --workers 8 -- php artisan queue:work --name=w{id}', 'any program, ids in args (\{id\}) and SUPERVISE_WORKER_ID')
    .epilogue(
      'Signals to the master: TERM/INT quick stop (again: kill now), QUIT graceful stop, HUP rolling reload, TTIN/TTOU one worker more/fewer, WINCH pause (resume: supervise ctl resume), USR2 reopen log files, URG master upgrade (as supervise ctl upgrade).\nEvery option may also come from the environment: SUPERVISE_WORKERS=4, SUPERVISE_POLL=1, …',
    )
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, error) => {
      const text = message ?? error?.message ?? 'invalid arguments';
      die(explainUsageError(text, Object.keys(OPTIONS), argv), EXIT_USAGE);
    })
    .parseAsync();
}

/**
 * The control socket to serve: the one asked for, else the default, unless another master already
 * serves the default (two pools on one machine): then this one serves none, and says so.
 */
async function controlPath(asked: string | undefined, pidFile: string | undefined, handoff: UpgradeHandoff | undefined): Promise<string | undefined> {
  if (asked !== undefined) return asked;
  // An upgrade's new master takes over the socket its old master serves (see serveControl's staged).
  if (handoff?.control !== undefined) return handoff.control;
  const { defaultControlPath } = await import('./control-client.cjs');
  const path = defaultControlPath(pidFile);
  const { isControlServed } = await import('../services/control-server.js');
  if (!(await isControlServed(path))) return path;
  process.stderr.write(`supervise: control socket ${path} is in use by another master; this one serves none (give --control or --pid-file)\n`);
  return undefined;
}

async function main(): Promise<void> {
  // A supervise started from inside a pool must not read its worker id (or pool size) as options.
  forgetPoolEnv();
  // Started by an old master's upgrade: take what it handed over before yargs reads SUPERVISE_* as flags.
  const handoff = process.env['SUPERVISE_UPGRADE'] !== undefined ? (await import('../master/upgrade-handoff.js')).takeUpgradeHandoff() : undefined;
  // What an upgrade starts the next master with: the command line, directory and environment we had
  // (the dashboard's token and systemd's notify socket included, which are removed below).
  const relaunchEnv = { ...process.env };
  // What yargs' hideBin does for a plain `node script` (not an Electron app): without loading yargs.
  const all = process.argv.slice(2);
  // Everything after the first `--` is the program and its arguments, never our flags.
  const dash = all.indexOf('--');
  const argv = dash < 0 ? all : all.slice(0, dash);
  const command = dash < 0 ? undefined : all.slice(dash + 1);
  if (command !== undefined && command.length === 0) die('nothing after --: give the program to run, e.g. supervise --workers 4 -- php worker.php {id}', EXIT_USAGE);
  const miscased = miscasedFlag(argv, [...Object.keys(OPTIONS), 'json', 'graceful', 'help', 'version']);
  if (miscased !== undefined) die(explainUsageError(`Unknown argument: ${miscased}`, Object.keys(OPTIONS)), EXIT_USAGE);
  if (argv[0] === 'status' || argv[0] === 'ctl') return (await import('./client.js')).runClient(argv, version);
  const strayEnv = unknownEnvOption(process.env, Object.keys(OPTIONS));
  if (strayEnv !== undefined) die(strayEnv, EXIT_USAGE);
  const misplaced = nodeArgMisuse(argv);
  if (misplaced !== undefined) die(misplaced, EXIT_USAGE);
  // `supervise --version` alone, answered as yargs would, without loading it.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) return printVersion();
  // The master side, loaded while yargs parses (not at the top: see above).
  const master = Promise.all([
    import('../master/supervisor.js'),
    import('../services/systemd-notify.js'),
    import('../shared/log.js'),
    import('../master/worker-failure.js'),
    import('../shared/app-stack.cjs'),
    import('../master/master-upgrade.js'),
    import('../shared/exit-flush.js'),
  ]);
  const config = await import('./config-file.js');
  const file = config.configPath(argv, process.env);
  const fileOptions = file === undefined ? {} : await readConfig(config, file);
  const args = lastOfRepeated(await parseArgs(argv, fileOptions), ['node-arg', 'nodeArg', 'listen', '_']);
  // The dashboard's secret stays in the master: workers (perhaps another --user) inherit its env otherwise.
  delete process.env['SUPERVISE_DASHBOARD_TOKEN'];
  const control = await controlPath(args.control, args['pid-file'], handoff);
  if (command !== undefined && args.app !== undefined) die(`give either --app ${JSON.stringify(args.app)} or a program after -- (${JSON.stringify(command[0])}), not both`, EXIT_USAGE);
  const options: SupervisorOptions = {
    ...(command !== undefined ? { command } : { app: args.app as string }),
    ...(args['stop-signal'] !== undefined && { stopSignal: args['stop-signal'] }),
    ...(args['stop-wait'] !== undefined && { stopWait: numeric(args['stop-wait']) as number }),
    ...(args['pause-signal'] !== undefined && { pauseSignal: args['pause-signal'] }),
    ...(args['resume-signal'] !== undefined && { resumeSignal: args['resume-signal'] }),
    ...(args['exit-codes'] !== undefined && { exitCodes: [args['exit-codes']] as unknown as number[] }),
    workers: numeric(args.workers) as number,
    poll: numeric(args.poll) as number,
    grace: numeric(args.grace) as number,
    timeout: numeric(args.timeout) as number,
    bootTimeout: numeric(args['boot-timeout']) as number,
    reloadProbation: numeric(args['reload-probation']) as number,
    concurrency: numeric(args.concurrency) as number,
    maxTasks: numeric(args['max-tasks']) as number,
    maxRss: numeric(args['max-rss']) as number,
    spares: numeric(args.spares) as number,
    pidFile: args['pid-file'] as string,
    preload: args.preload ?? false,
    quiet: args.quiet ?? false,
    logFormat: args['log-format'] as 'human',
    nodeArgs: args['node-arg'] ?? [],
    control: control as string,
    logDir: args['log-dir'] as string,
    logMaxBytes: numeric(args['log-max-bytes']) as number,
    logBackups: numeric(args['log-backups']) as number,
    user: args.user as string,
    group: args.group as string,
    dashboard: args.dashboard as string,
    dashboardToken: args['dashboard-token'] as string,
    metrics: args.metrics as string,
    ...(args.listen !== undefined && { listen: args.listen as string[] }),
    handleSignals: true,
  };
  const [{ Supervisor }, { notifierFromEnv }, { Logger, indentStack }, { isLoggedStartFailure }, { appStack }, { startDirectory }, { exitAfterFlush }] = await master;
  const internals: SupervisorInternals = {
    upgradeHandoff: handoff,
    relaunch: { command: process.execPath, args: [...process.execArgv, ...process.argv.slice(1)], cwd: startDirectory(relaunchEnv), env: relaunchEnv },
  };
  let supervisor = create(Supervisor, options, internals, exitAfterFlush);
  if (args['print-config'] === true) {
    process.stdout.write(JSON.stringify(config.printableOptions(supervisor.options), null, 2) + '\n');
    return;
  }
  process.title = 'supervise: master';
  // Under systemd (Type=notify): pinging the watchdog from now, READY=1 once start() resolves.
  const notifier = notifierFromEnv(process.env, new Logger(supervisor.options.logFormat, supervisor.options.quiet, supervisor.options.logStream));
  // App code that --preload runs here can end this process (process.exit at its top level) or
  // leave it nothing to wait for (a top-level await that never settles): a failed start, not a 0.
  process.once('beforeExit', () => {
    if (supervisor.state === 'starting') die('the app never finished loading: its top-level code awaits something that can never settle', EXIT_APP);
  });
  process.once('exit', (code) => {
    if (said || supervisor.state !== 'starting') return;
    process.stderr.write(`supervise: the app ended the master while it was starting (process.exit(${code}) in its top-level code or beforeFork?)\n`);
    if (code === 0) process.exitCode = EXIT_APP;
  });
  try {
    try {
      await supervisor.start();
    } catch (error) {
      // The default socket was free a moment ago but another master took it first (two started at
      // once), or it cannot be served: run without one, as when it was taken before we looked.
      if (!(args.control === undefined && handoff?.control === undefined && isSuperviseError(error) && error.code === ErrorCode.CONTROL)) throw error;
      process.stderr.write(`supervise: ${error.message}; this one serves no control socket (give --control or --pid-file)\n`);
      supervisor = create(Supervisor, { ...options, control: undefined as unknown as string }, internals, exitAfterFlush);
      await supervisor.start();
    }
    notifier?.follow(supervisor);
    if (file !== undefined) config.watchConfigFile(file, fileOptions, Object.keys(OPTIONS), supervisor, argv, process.env, new Logger(supervisor.options.logFormat, supervisor.options.quiet, supervisor.options.logStream));
  } catch (error) {
    // A signal stopped the start: its handler ends the process (0) once every worker is gone.
    if (isSuperviseError(error) && error.code === ErrorCode.STOPPED) return;
    if (isSuperviseError(error)) {
      // The pool's log (here, on stderr) already holds the failure and its stack: one summary is enough.
      if (isLoggedStartFailure(error) && !options.quiet && options.logDir === undefined) {
        said = true;
        process.exit(EXIT_APP);
      }
      die(withAppStack(error, options.app, appStack, indentStack), START_USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_APP);
    }
    throw error;
  }
}

/** The options in config `file`; a file that cannot be used exits 2 with one line (the module's own error shows its stack). */
async function readConfig(config: typeof ConfigFile, file: string): Promise<Record<string, unknown>> {
  try {
    return await config.readConfigFile(file, Object.keys(OPTIONS));
  } catch (error) {
    if (error instanceof config.ConfigFileError) die(error.message, EXIT_USAGE);
    process.stderr.write(`supervise: the config file ${JSON.stringify(file)} threw: ${error instanceof Error ? error.stack : String(error)}\n`);
    said = true;
    process.exit(EXIT_USAGE);
  }
}

/** Prints the version as yargs would; straight to fd 1, since process.stdout alone loads a dozen modules (net, streams). */
function printVersion(): void {
  try {
    writeSync(1, `${version}\n`);
  } catch {
    process.stdout.write(`${version}\n`); // fd 1 a non-blocking pipe that is full (EAGAIN)
  }
}

/** A Supervisor for the CLI's options (a bad one exits 2 with one line), ending the process with `exit` when it stops. */
function create(SupervisorClass: typeof Supervisor, options: SupervisorOptions, internals: SupervisorInternals, exit: (code: number) => void): Supervisor {
  let supervisor: Supervisor;
  try {
    supervisor = new SupervisorClass(options, internals);
  } catch (error) {
    if (isSuperviseError(error)) die(error.message, EXIT_USAGE);
    throw error;
  }
  // A stop asked for over the control socket ends the process too, once its answer is written.
  supervisor.on('stop', () => setTimeout(() => exit(0), 100).unref());
  return supervisor;
}

main().catch((error: unknown) => {
  // Only a bug in supervise itself gets here: show everything.
  said = true;
  process.stderr.write(`supervise: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(70);
});
