/**
 * `supervise status` and `supervise ctl …`: talk to a running master over its control socket.
 * Exit 0 when the master did it, 1 when there is no master or it refused, 2 for a usage mistake.
 */
import type { ControlRequest } from '../services/control-server.js';
import { CONTROL_COMMANDS, type ControlCommand } from '../services/control-commands.js';
import { defaultControlPath, sendControl } from './control-client.cjs';
import { isSuperviseError } from '../shared/errors.cjs';
import { quickStatusArgs, runStatus, writeOut } from './status-command.cjs';
import { explainUsageError } from './usage-error.js';
import { nearest } from '../shared/did-you-mean.js';

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

/** Runs `supervise status …` or `supervise ctl …` (argv without the node and script paths). */
export async function runClient(argv: string[], version: string): Promise<void> {
  const mistake = ctlCommandMistake(argv);
  if (mistake !== undefined) die(mistake, 2);
  // The bin (supervise.cts) answers a plain `status` before this module loads; `node main.js status` gets here.
  const quick = quickStatusArgs(argv);
  if (quick !== undefined) return runStatus(quick);
  const args = await parse(argv, version);
  const control = args['control'] as string | undefined;
  const pidFile = args['pid-file'] as string | undefined;
  if (args._[0] === 'status') return runStatus({ _: args._, $0: args.$0, json: args['json'] === true, control, 'pid-file': pidFile });
  const path = control ?? defaultControlPath(pidFile);
  const command = args['command'] as ControlCommand;
  const count = args['count'] as number | undefined;
  if (command === 'scale' && (count === undefined || !Number.isSafeInteger(count) || count < 0)) {
    // yargs made the word a number (NaN for "abc"): quote what was typed instead.
    const typed = argv[argv.indexOf('scale') + 1];
    const got = typed === undefined || typed.startsWith('--') ? 'none' : JSON.stringify(typed);
    die(`ctl scale needs the new number of workers, a whole number ≥ 0 (got ${got})`, 2);
  }
  const request: ControlRequest = { command, ...(command === 'scale' && { count: count as number }), ...(command === 'stop' && { graceful: args['graceful'] === true }) };
  let reply;
  try {
    reply = await sendControl(path, request);
  } catch (error) {
    die(isSuperviseError(error) ? error.message : String(error), 1);
  }
  if (!reply.ok) die(reply.error, 1);
  const pid = reply.pid !== undefined ? ` (new master pid=${reply.pid})` : '';
  writeOut(`${request.command}${request.count !== undefined ? ` ${request.count}` : ''}: done${pid}\n`);
}
