/**
 * Rewrites yargs' usage errors as one line in our words, with a did-you-mean for a misspelt flag.
 */

/** Edit distance between two short strings (Levenshtein, two rows). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Turns yargs' "Unknown argument(s): x, y" into "unknown option --x (did you mean --workers?)" and
 * "Not enough arguments following: app" into "missing value for --app"; any other message comes
 * back unchanged but made one line.
 */
export function explainUsageError(message: string, flags: readonly string[]): string {
  const missing = /^Not enough arguments following: (.+)$/.exec(message.trim());
  if (missing !== null) return `missing value for --${missing[1]}`;
  const match = /^Unknown arguments?: (.+)$/.exec(message.trim());
  if (match === null) return message.trim().replace(/\s*\n\s*/g, '; ');
  const unknown = match[1]!.split(', ').map((arg) => arg.replace(/^-+/, ''));
  return unknown
    .map((arg) => {
      const near = nearest(arg, flags);
      return `unknown option --${arg}${near !== undefined ? ` (did you mean --${near}?)` : ''}`;
    })
    .join('; ');
}

/** The flag closest to `arg`, if one is close enough to be a likely misspelling; else undefined. */
export function nearest(arg: string, flags: readonly string[]): string | undefined {
  const best = flags.map((flag) => ({ flag, d: distance(arg, flag) })).sort((x, y) => x.d - y.d)[0];
  return best !== undefined && best.d <= Math.max(2, Math.floor(arg.length / 3)) ? best.flag : undefined;
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
