/**
 * `supervise status` and `supervise ctl …`: talk to a running master over its control socket.
 * Exit 0 when the master did it, 1 when there is no master or it refused, 2 for a usage mistake.
 */
import type { ControlRequest } from '../services/control-server.js';
import { CONTROL_COMMANDS, type ControlCommand } from '../services/control-commands.js';
import { writeSync } from 'node:fs';
import { defaultControlPath, sendControl } from './control-client.js';
import { isSuperviseError } from '../shared/errors.cjs';
import { formatStatus } from './status-table.js';
import { explainUsageError } from './usage-error.js';
import { nearest } from '../shared/did-you-mean.js';

/** How long `status` waits for an answer: a live master answers within a quarter second. */
const STATUS_TIMEOUT_MS = 5000;

const WHERE = {
  control: { type: 'string', requiresArg: true, describe: 'the master\'s control socket', defaultDescription: 'beside --pid-file, else $XDG_RUNTIME_DIR/supervise.sock' },
  'pid-file': { type: 'string', requiresArg: true, describe: 'the master\'s --pid-file (its socket is beside it)' },
} as const;

/** Prints one line and exits with `code`. */
function die(message: string, code: number): never {
  process.stderr.write(`supervise: ${message}\n`);
  process.exit(code);
}

/** The commands of `supervise ctl`, as the usage line names them. */
const CTL_USAGE = 'reload, scale <n>, pause, resume, stop [--graceful], reopen-logs, upgrade';

/** Words other tools use for a ctl command (PM2's restart, Unicorn's signal names…), and ours. */
const CTL_SYNONYMS: Readonly<Record<string, string>> = { restart: 'reload', hup: 'reload', kill: 'stop', quit: 'stop', halt: 'stop', reopen: 'reopen-logs', winch: 'pause', continue: 'resume', reexec: 'upgrade', exec: 'upgrade' };

/**
 * One line for a `ctl` without a known command (`supervise ctl restart`), naming the commands and
 * the likeliest one; undefined when the command is known. yargs would print its usage text.
 */
export function ctlCommandMistake(argv: readonly string[]): string | undefined {
  if (argv[0] !== 'ctl') return undefined;
  // The first bare word, skipping the value of a flag that takes one (`--pid-file x`).
  const given = argv.slice(1).find((token, i, rest) => !token.startsWith('-') && !(i > 0 && rest[i - 1] !== undefined && rest[i - 1]!.slice(2) in WHERE));
  const commands = CONTROL_COMMANDS.filter((c) => c !== 'status');
  if (given === undefined) return argv.some((t) => t === '--help' || t === '-h') ? undefined : `ctl needs a command: ${CTL_USAGE}`;
  if ((commands as readonly string[]).includes(given)) return undefined;
  if (given === 'status') return 'status is a command of its own: supervise status';
  const near = CTL_SYNONYMS[given.toLowerCase()] ?? nearest(given, commands);
  return `unknown ctl command ${JSON.stringify(given)}${near !== undefined ? ` (did you mean ${near}?)` : ''}; the commands are ${CTL_USAGE}`;
}

/** Parses the client commands; usage mistakes exit 2 with one line. */
async function parse(argv: string[], version: string) {
  const { default: yargs } = await import('yargs');
  return yargs(argv)
    .scriptName('supervise')
    .usage('$0 status | ctl <command>\n\nTalks to a running master over its control socket.')
    .command('status', 'one row per worker: id, pid, state, uptime, tasks, restarts, last exit, RSS, CPU %', (y) =>
      y.options({ ...WHERE, json: { type: 'boolean', describe: 'print the status as JSON' } }),
    )
    .command('ctl <command> [count]', `act on the master: ${CONTROL_COMMANDS.filter((c) => c !== 'status').join(' | ')}`, (y) =>
      y
        .positional('command', { type: 'string', choices: CONTROL_COMMANDS.filter((c) => c !== 'status') })
        .positional('count', { type: 'number', describe: 'with scale: the new number of workers' })
        .options({ ...WHERE, graceful: { type: 'boolean', describe: 'with stop: every task finishes first (QUIT)' } }),
    )
    .example('$0 status', 'the pool at the default socket')
    .example('$0 ctl scale 8 --pid-file /run/app.pid', 'eight workers in the pool whose pid file is /run/app.pid')
    .env('SUPERVISE')
    .strict()
    .demandCommand(1)
    .version(version)
    .alias('help', 'h')
    .fail((message, error) => die(explainUsageError(message ?? error?.message ?? 'invalid arguments', ['control', 'pid-file', 'json', 'graceful'], argv), 2))
    .parseAsync();
}

/** The arguments of the client, as yargs gives them. */
type ClientArgs = Awaited<ReturnType<typeof parse>>;

/**
 * `status [--json] [--control <path>] [--pid-file <path>]`, the common case, parsed without yargs
 * (whose loading is most of the command's start-up); undefined for anything else (help, ctl, a
 * mistake, SUPERVISE_* variables other than those two), which yargs parses, and explains.
 */
export function quickStatusArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ClientArgs | undefined {
  if (argv[0] !== 'status') return undefined;
  const values: Record<string, string> = {};
  for (const key of Object.keys(env)) {
    if (!key.startsWith('SUPERVISE_')) continue;
    if (key !== 'SUPERVISE_CONTROL' && key !== 'SUPERVISE_PID_FILE') return undefined;
    const value = env[key];
    if (value === undefined || value === '') return undefined;
    values[key === 'SUPERVISE_CONTROL' ? 'control' : 'pid-file'] = value;
  }
  let json = false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') {
      json = true;
      continue;
    }
    const match = /^--(control|pid-file)(?:=(.*))?$/.exec(arg);
    if (match === null) return undefined;
    const value = match[2] ?? argv[++i];
    if (value === undefined || value === '' || (match[2] === undefined && value.startsWith('-'))) return undefined;
    values[match[1]!] = value;
  }
  return { _: ['status'], $0: 'supervise', json, ...values } as ClientArgs;
}

/** Runs `supervise status …` or `supervise ctl …` (argv without the node and script paths). */
export async function runClient(argv: string[], version: string): Promise<void> {
  const mistake = ctlCommandMistake(argv);
  if (mistake !== undefined) die(mistake, 2);
  const args = quickStatusArgs(argv) ?? (await parse(argv, version));
  const [verb] = args._;
  const path = (args.control as string | undefined) ?? defaultControlPath(args['pid-file'] as string | undefined);
  let request: ControlRequest;
  if (verb === 'status') {
    request = { command: 'status' };
  } else {
    const command = args['command'] as ControlCommand;
    const count = args['count'] as number | undefined;
    if (command === 'scale' && (count === undefined || !Number.isSafeInteger(count) || count < 0)) {
      // yargs made the word a number (NaN for "abc"): quote what was typed instead.
      const typed = argv[argv.indexOf('scale') + 1];
      const got = typed === undefined || typed.startsWith('--') ? 'none' : JSON.stringify(typed);
      die(`ctl scale needs the new number of workers, a whole number ≥ 0 (got ${got})`, 2);
    }
    request = { command, ...(command === 'scale' && { count: count as number }), ...(command === 'stop' && { graceful: args['graceful'] === true }) };
  }
  let reply;
  try {
    reply = await sendControl(path, request, request.command === 'status' ? STATUS_TIMEOUT_MS : undefined);
  } catch (error) {
    die(isSuperviseError(error) ? error.message : String(error), 1);
  }
  if (!reply.ok) die(reply.error, 1);
  if (reply.status !== undefined) {
    writeOut(args['json'] === true ? JSON.stringify(reply.status, null, 2) + '\n' : formatStatus(reply.status));
  } else {
    const pid = reply.pid !== undefined ? ` (new master pid=${reply.pid})` : '';
    writeOut(`${request.command}${request.count !== undefined ? ` ${request.count}` : ''}: done${pid}\n`);
  }
}

/**
 * Writes `text` to stdout straight to fd 1: process.stdout alone loads a dozen modules (net,
 * streams), a good part of what `status` costs. A non-blocking fd that fills (EAGAIN) gets the rest
 * through process.stdout, which waits for it.
 */
function writeOut(text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch {
    process.stdout.write(bytes.subarray(done));
  }
}
