#!/usr/bin/env node
/**
 * The `supervise` bin. Answers `--version` and a plain `status` itself, in CommonJS, and hands
 * everything else to the command in main.js (ESM, yargs, the master). Node's ESM loader alone
 * costs ~10 % of a Node start, which `status` could not afford (within 1.3× `node -e 0`).
 */
import { readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { forgetPoolEnv } from './inherited-env.cjs';

/** Prints the version as yargs would (main.js does the same when run itself). */
function printVersion(): void {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  try {
    writeSync(1, `${version}\n`);
  } catch {
    process.stdout.write(`${version}\n`); // fd 1 a non-blocking pipe that is full (EAGAIN)
  }
}

/** Only a bug in supervise itself gets here: show everything, as main.js does. */
function internalError(error: unknown): void {
  process.stderr.write(`supervise: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(70);
}

/** `status` as the bin answers it: the module (and node:net with it) required only for `status`. */
function quickStatus(argv: readonly string[]): Promise<void> | undefined {
  if (argv[0] !== 'status') return undefined;
  const { quickStatusArgs, runStatus } = require('./status-command.cjs') as typeof import('./status-command.cjs');
  const args = quickStatusArgs(argv);
  return args === undefined ? undefined : runStatus(args);
}

forgetPoolEnv();
const argv = process.argv.slice(2);
// main.js refuses a stray SUPERVISE_* variable even beside --version: with any set, let it decide.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v') && !Object.keys(process.env).some((key) => key.startsWith('SUPERVISE_'))) printVersion();
else (quickStatus(argv) ?? import('./main.js')).catch(internalError);
