/**
 * Did-you-mean suggestions for a misspelt name (a flag, an option key, a command), shared by the
 * CLI and the library so that both suggest the same way.
 */

/** Edit distance between two short strings (Levenshtein, two rows). */
export function distance(a: string, b: string): number {
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
 * The name in `names` closest to `given`, if one is close enough to be a likely misspelling (at
 * most 2 edits, or a third of its length for long names); undefined otherwise.
 */
export function nearest(given: string, names: readonly string[]): string | undefined {
  const best = names.map((name) => ({ name, d: distance(given, name) })).sort((x, y) => x.d - y.d)[0];
  return best !== undefined && best.d <= Math.max(2, Math.floor(given.length / 3)) ? best.name : undefined;
}
