/**
 * Checks of the command line yargs cannot word well, and the normalising of what it parsed: a
 * `--node-arg` whose flag came as a separate word, a flag given twice, numbers given as words.
 */

/**
 * One line when `--node-arg` is followed by a separate word that starts with a dash
 * (`--node-arg --max-old-space-size=64`): that word would be read as an option of supervise, so
 * node's flag must be attached with "=". Undefined when argv has no such mistake.
 */
export function nodeArgMisuse(argv: readonly string[]): string | undefined {
  const end = argv.indexOf('--');
  const before = end < 0 ? argv : argv.slice(0, end);
  const at = before.findIndex((token, i) => token === '--node-arg' && before[i + 1]?.startsWith('-') === true);
  if (at < 0) return undefined;
  const flag = before[at + 1]!;
  return `--node-arg takes node's flag after "=": --node-arg=${flag} (a separate ${JSON.stringify(flag)} is read as an option of supervise)`;
}

/**
 * The parsed arguments with each flag given more than once (`--workers 2 --workers 3`) reduced to
 * its last value, as most command-line tools do; flags in `repeatable` keep every value.
 */
export function lastOfRepeated<T extends Record<string, unknown>>(args: T, repeatable: readonly string[]): T {
  const out: Record<string, unknown> = { ...args };
  for (const [key, value] of Object.entries(out)) {
    if (key !== '_' && Array.isArray(value) && !repeatable.includes(key)) out[key] = value.at(-1);
  }
  return out as T;
}

/**
 * A number for a numeric word, else the value as given: yargs leaves a word it does not read as a
 * number (`" 4"`, `abc`) a string, and the options' check then quotes it (`"abc" is not a
 * positive integer`) while the library refuses strings from JS callers.
 */
export function numeric(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
}
