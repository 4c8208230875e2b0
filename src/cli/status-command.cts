/**
 * `supervise status [--json]`: its quick parse (without yargs), the request to the master, and the
 * table or JSON written to fd 1. CommonJS, like the bin that calls it: the common command must not
 * pay for Node's ESM loader, yargs or process.stdout's stream modules.
 */
import { writeSync } from 'node:fs';
import { defaultControlPath, sendControl } from './control-client.cjs';
import { isSuperviseError } from '../shared/errors.cjs';
import { formatStatus } from './status-table.cjs';

/** How long `status` waits for an answer: a live master answers within a quarter second. */
const STATUS_TIMEOUT_MS = 5000;

/** The arguments of `status`, in the shape yargs gives them (`_`, `$0`, the flags by name). */
export interface StatusArgs {
  readonly _: readonly (string | number)[];
  readonly $0: string;
  readonly json?: boolean | undefined;
  readonly control?: string | undefined;
  readonly 'pid-file'?: string | undefined;
}

/**
 * `status [--json] [--control <path>] [--pid-file <path>]`, the common case, parsed without yargs
 * (whose loading is most of the command's start-up); undefined for anything else (help, ctl, a
 * mistake, SUPERVISE_* variables other than those two), which yargs parses, and explains.
 */
export function quickStatusArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): StatusArgs | undefined {
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
  return { _: ['status'], $0: 'supervise', json, ...values };
}

/**
 * Asks the master named by `args` for its status and prints it: the table, or JSON with --json.
 * Exits 1 with one line when no master answers there or it refuses.
 */
export async function runStatus(args: StatusArgs): Promise<void> {
  const path = args.control ?? defaultControlPath(args['pid-file']);
  let reply;
  try {
    reply = await sendControl(path, { command: 'status' }, STATUS_TIMEOUT_MS);
  } catch (error) {
    return fail(isSuperviseError(error) ? error.message : String(error));
  }
  if (!reply.ok) return fail(reply.error);
  if (reply.status !== undefined) writeOut(args.json === true ? JSON.stringify(reply.status, null, 2) + '\n' : formatStatus(reply.status));
  // Done: not waiting for the master to close its end, whose handling would also create
  // process.stderr (net's destroy looks at it), a stream and a round trip for nothing.
  process.exit();
}

/** Prints `supervise: <message>` and exits 1: straight to fd 2, as writeOut does to fd 1. */
function fail(message: string): never {
  const line = `supervise: ${message}\n`;
  try {
    writeSync(2, line);
  } catch {
    process.stderr.write(line);
  }
  process.exit(1);
}

/**
 * Writes `text` to stdout straight to fd 1: process.stdout alone loads a dozen modules (net,
 * streams), a good part of what `status` costs. A non-blocking fd that fills (EAGAIN) gets the rest
 * through process.stdout, which waits for it.
 */
export function writeOut(text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch {
    process.stdout.write(bytes.subarray(done));
  }
}
