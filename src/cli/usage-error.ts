/**
 * Rewrites yargs' usage errors as one line in our words, with a did-you-mean for a misspelt flag.
 */
import { nearest } from '../shared/did-you-mean.js';

/** Words people type where `supervise` has a command, and the command they mean. */
const COMMANDS = ['status', 'ctl'] as const;

/** An app file by its look: a script's extension, or a path. */
function looksLikeFile(token: string): boolean {
  return /\.(c|m)?(j|t)sx?$/.test(token) || token.includes('/');
}

/**
 * One line for an argument yargs did not know. `name` is as yargs reports it (dashes stripped);
 * `argv` tells what was typed: a bare word (`app.js`, `stauts`), a one-letter flag (`-w`), or a
 * long flag (`--wokers`).
 */
function explainUnknown(name: string, flags: readonly string[], argv: readonly string[]): string {
  const typed = argv.find((token) => token === name || token.replace(/^-+/, '').split('=')[0] === name) ?? `--${name}`;
  if (!typed.startsWith('-')) {
    if (looksLikeFile(typed)) return `unexpected argument ${JSON.stringify(typed)} (did you mean --app ${typed}?)`;
    const command = nearest(typed, COMMANDS);
    if (command !== undefined) return `unknown command ${JSON.stringify(typed)} (did you mean ${command}?)`;
    return `unexpected argument ${JSON.stringify(typed)}: every option is a --flag (see supervise --help)`;
  }
  if (/^-[^-]/.test(typed) && name.length === 1) {
    const candidates = flags.filter((flag) => flag.startsWith(name));
    const hint = candidates.length === 0 ? '' : ` (did you mean ${candidates.map((c) => `--${c}`).join(', ').replace(/, ([^,]+)$/, ' or $1')}?)`;
    return `unknown option -${name}: supervise has no one-letter options but -h and -v${hint}`;
  }
  const near = nearest(name, flags);
  return `unknown option --${name}${near !== undefined ? ` (did you mean --${near}?)` : ''}`;
}

/**
 * Turns yargs' "Unknown argument(s): x, y" into "unknown option --x (did you mean --workers?)" and
 * "Not enough arguments following: app" into "missing value for --app"; any other message comes
 * back unchanged but made one line. With `argv` (what was typed), a bare word reads as such
 * (`unexpected argument "app.js" (did you mean --app app.js?)`), and so does a one-letter flag.
 */
export function explainUsageError(message: string, flags: readonly string[], argv: readonly string[] = []): string {
  const missing = /^Not enough arguments following: (.+)$/.exec(message.trim());
  if (missing !== null) return `missing value for --${missing[1]}`;
  const match = /^Unknown arguments?: (.+)$/.exec(message.trim());
  if (match === null) return message.trim().replace(/\s*\n\s*/g, '; ');
  const unknown = match[1]!.split(', ').map((arg) => arg.replace(/^-+/, ''));
  return unknown.map((arg) => explainUnknown(arg, flags, argv)).join('; ');
}

/** The environment variable naming `flag` (max-tasks → SUPERVISE_MAX_TASKS). */
function envName(flag: string): string {
  return `SUPERVISE_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * One line for the first SUPERVISE_* variable in `env` that names no flag, with a did-you-mean,
 * or undefined. yargs would call it an unknown option --x, which no one typed: name the variable.
 */
export function unknownEnvOption(env: NodeJS.ProcessEnv, flags: readonly string[]): string | undefined {
  const known = new Set(flags.map(envName));
  const stray = Object.keys(env).find((key) => key.startsWith('SUPERVISE_') && !known.has(key));
  if (stray === undefined) return undefined;
  const near = nearest(stray.slice('SUPERVISE_'.length).toLowerCase().replace(/_/g, '-'), flags);
  return `unknown environment variable ${stray}${near !== undefined ? ` (did you mean ${envName(near)}?)` : ''}: every SUPERVISE_* variable is read as an option`;
}

/**
 * The first flag in `argv` (before a bare `--`) whose name has capitals and is neither one of
 * `flags` nor its camelCase spelling, or undefined. yargs lowercases an all-capital name, which
 * made `--MAX-TASKS abc` an unnoticed alias of --max-tasks that set nothing; such a flag must be
 * refused as unknown instead.
 */
export function miscasedFlag(argv: readonly string[], flags: readonly string[]): string | undefined {
  const known = new Set(flags.flatMap((flag) => [flag, flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())]));
  const end = argv.indexOf('--');
  for (const token of end < 0 ? argv : argv.slice(0, end)) {
    const name = /^--([^=]+)/.exec(token)?.[1];
    if (name !== undefined && /[A-Z]/.test(name) && !known.has(name)) return name;
  }
  return undefined;
}
