/**
 * A strict reader of the Prometheus text format 0.0.4 for tests: every line must be a HELP, a TYPE
 * or a sample of a family whose TYPE came first; histograms must have cumulative buckets ending in
 * +Inf equal to their _count. Throws naming the first line that breaks a rule.
 */
import assert from 'node:assert/strict';

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: its TYPE, HELP and samples in order. */
export interface Family {
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/** Parses a value as Prometheus does (Go float syntax, +Inf, -Inf, NaN). */
function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return Number.NaN;
  assert.match(text, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `bad value in: ${line}`);
  return Number(text);
}

/** Parses `{a="x",b="y"}`'s inside. */
function parseLabels(text: string | undefined, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined || text === '') return labels;
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    assert.ok(match, `bad labels in: ${line}`);
    const [, key, raw] = match;
    assert.ok(!(key! in labels), `label ${key} twice in: ${line}`);
    labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The family a sample name belongs to (histogram samples carry a suffix). */
function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  const direct = families.get(name);
  if (direct !== undefined) return direct;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const family = families.get(base);
  return family?.type === 'histogram' && base !== name ? family : undefined;
}

/** Parses and checks a whole exposition. */
export function parsePrometheus(text: string): Map<string, Family> {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment !== null) {
      const [, kind, name, rest] = comment;
      assert.match(name!, new RegExp(`^${NAME}$`), `bad name in: ${line}`);
      if (kind === 'HELP') {
        assert.ok(!helps.has(name!), `HELP twice for ${name}`);
        helps.set(name!, rest!);
      } else {
        assert.ok(!families.has(name!), `TYPE twice for ${name}`);
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!), `bad TYPE in: ${line}`);
        families.set(name!, { type: rest!, help: helps.get(name!) ?? '', samples: [] });
      }
      continue;
    }
    assert.ok(!line.startsWith('#') && line.trim() !== '', `unexpected line: ${JSON.stringify(line)}`);
    const match = SAMPLE.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const [, name, labelText, valueText] = match;
    const family = familyOf(families, name!);
    assert.ok(family, `sample before its TYPE: ${line}`);
    family.samples.push({ name: name!, labels: parseLabels(labelText, line), value: parseValue(valueText!, line) });
  }
  for (const [name, family] of families) {
    assert.ok(family.help !== '', `no HELP for ${name}`);
    if (family.type === 'counter') assert.ok(name.endsWith('_total'), `counter ${name} ends with _total`);
    if (family.type === 'histogram') checkHistogram(name, family);
  }
  return families;
}

/** Buckets cumulative, bounds increasing, last bucket +Inf equal to _count. */
function checkHistogram(name: string, family: Family): void {
  const buckets = family.samples.filter((s) => s.name === `${name}_bucket`);
  assert.ok(buckets.length > 1, `${name} has buckets`);
  for (let i = 1; i < buckets.length; i++) {
    const le = (j: number): number => parseValue(buckets[j]!.labels['le'] ?? '', `${name} le`);
    assert.ok(le(i) > le(i - 1), `${name} bounds increase`);
    assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${name} buckets are cumulative`);
  }
  assert.equal(buckets.at(-1)!.labels['le'], '+Inf');
  assert.equal(buckets.at(-1)!.value, value(family, `${name}_count`), `${name}: +Inf bucket = _count`);
  assert.ok(value(family, `${name}_sum`) !== undefined, `${name} has _sum`);
}

/** The value of the sample `name` with exactly `labels` in `family`, or undefined. */
export function value(family: Family | undefined, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return family?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value;
}

/** The value of a sample of the family `name` (or its histogram part `name` + suffix), by labels. */
export function metric(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = familyOf(families, name);
  return value(family, name, labels);
}
