/**
 * `--config <file>`: the options of a pool in a file, as PM2's ecosystem file or Unicorn's config:
 * JSON, or a .js/.mjs/.cjs module exporting an object. Read here, handed to yargs' .config(), so
 * flags win over SUPERVISE_* variables, which win over the file.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nearest } from '../shared/did-you-mean.js';
import { formatHostPort, type HttpAddress } from '../shared/http-address.js';
import type { Logger } from '../shared/log.js';
import { DEFAULTS, type ResolvedOptions } from '../shared/options.js';
import { LIVE_LIMIT_FLAGS, type LimitChanges } from '../master/live-limits.js';

/** A config file that cannot be used: a usage mistake (exit 2), one line naming the file. */
export class ConfigFileError extends Error {}

/** The config file `argv` (before a bare `--`) or SUPERVISE_CONFIG names, absolute ('' for an empty --config); else undefined. */
export function configPath(argv: readonly string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): string | undefined {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  let given: string | undefined = env['SUPERVISE_CONFIG'] === '' ? undefined : env['SUPERVISE_CONFIG'];
  for (const [i, token] of args.entries()) {
    if (token === '--config') given = args[i + 1] ?? '';
    else if (token.startsWith('--config=')) given = token.slice('--config='.length);
  }
  // An empty --config is kept as '' for readConfigFile to refuse.
  return given === undefined ? undefined : given === '' ? '' : resolve(cwd, given);
}

/** camelCase (bootTimeout) to the flag's kebab-case (boot-timeout); a kebab key stays as it is. */
function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** How many times a module config was read: a reread imports a fresh copy. */
let reads = 0;

/**
 * Reads `path` and returns its options keyed by flag name (`boot-timeout`; the file may also spell
 * them `bootTimeout`). `.js`, `.mjs` and `.cjs` are imported (the default export, or
 * module.exports, must be a plain object); anything else is parsed as JSON. Each call reads the
 * file anew. Throws ConfigFileError for a file that is missing, not JSON, not an object, or holds a
 * key that names no option (with a did-you-mean among `flags`); an error thrown by the module's own
 * code propagates unchanged, with its stack.
 */
export async function readConfigFile(path: string, flags: readonly string[]): Promise<Record<string, unknown>> {
  const shown = JSON.stringify(path);
  if (path === '') throw new ConfigFileError('missing value for --config: give the options file (JSON, .js, .mjs or .cjs)');
  let value: unknown;
  if (['.js', '.mjs', '.cjs'].includes(extname(path))) {
    try {
      readFileSync(path);
    } catch (error) {
      throw new ConfigFileError(`cannot read --config ${shown}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    // A CommonJS file sits in require's cache, an ES module in the loader's by URL: bypass both.
    delete createRequire(import.meta.url).cache[path];
    const loaded = (await import(`${pathToFileURL(path).href}?read=${++reads}`)) as { default?: unknown };
    value = loaded.default ?? loaded;
  } else {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigFileError(`cannot read --config ${shown}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ConfigFileError(`--config ${shown} is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigFileError(`--config ${shown} must hold an object of options ({"workers": 4, …}), not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  const options: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(value)) {
    const flag = flagName(key);
    if (!flags.includes(flag) || flag === 'config') {
      const near = nearest(flag, flags);
      throw new ConfigFileError(`${path}: unknown option ${JSON.stringify(key)}${near !== undefined ? ` (did you mean "${near}"?)` : ''}`);
    }
    options[flag] = option;
  }
  return options;
}

/** The options as --print-config shows them: every one (null when unset), no stream, the token hidden, addresses as host:port. */
export function printableOptions(options: ResolvedOptions): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'logStream' || key === 'handleSignals' || key === 'env') continue;
    if (key === 'dashboardToken') shown[key] = value === undefined ? undefined : '(set, not shown)';
    else if ((key === 'dashboard' || key === 'metrics') && value !== undefined) shown[key] = formatHostPort((value as HttpAddress).host, (value as HttpAddress).port);
    else shown[key] = value;
    shown[key] ??= null;
  }
  return shown;
}

/** What a HUP may change in a running pool: a Supervisor. */
export interface ReconfigurablePool {
  readonly size: number;
  readonly options: ResolvedOptions;
  scale(n: number): Promise<void>;
  /** See Supervisor.applyLimits: returns what changed and what needs a restart; throws E_OPTION for a bad value. */
  applyLimits(changes: LimitChanges): { applied: string[]; restart: string[] };
}

/** The flags a HUP applies as timeouts (see applyLimits), to their option keys. */
const LIMIT_KEYS = new Map(Object.entries(LIVE_LIMIT_FLAGS).map(([key, flag]) => [flag as string, key as keyof LimitChanges]));

/** True when `flag` was given in `argv` (before `--`) or as its SUPERVISE_* variable: the file cannot override it. */
function givenElsewhere(flag: string, argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  return args.some((t) => t === `--${flag}` || t.startsWith(`--${flag}=`)) || env[`SUPERVISE_${flag.toUpperCase().replace(/-/g, '_')}`] !== undefined;
}

/**
 * On every SIGHUP (beside the rolling reload the HUP also starts), rereads `path` and compares it
 * with `last`, the file as read before. Applies what can change at run time, the pool size (by
 * scale) and the timeouts (--timeout, --grace, --boot-timeout, --stop-wait: the next tasks and
 * stops), unless a flag or variable set them; logs one line saying what it applied and naming the
 * changed options that need a restart. A file that has become unusable is logged and changes
 * nothing. Returns a function that stops watching.
 */
export function watchConfigFile(path: string, last: Record<string, unknown>, flags: readonly string[], pool: ReconfigurablePool, argv: readonly string[], env: NodeJS.ProcessEnv, log: Logger): () => void {
  const reread = async (): Promise<void> => {
    let file: Record<string, unknown>;
    try {
      file = await readConfigFile(path, flags);
    } catch (error) {
      log.error('config', `config ${path} not reread: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`);
      return;
    }
    const applied: string[] = [];
    const restart: string[] = [];
    const limits: Record<string, unknown> = {};
    for (const flag of new Set([...Object.keys(last), ...Object.keys(file)])) {
      if (JSON.stringify(last[flag]) === JSON.stringify(file[flag]) || givenElsewhere(flag, argv, env)) continue;
      const limit = LIMIT_KEYS.get(flag);
      if (limit !== undefined) {
        limits[limit] = file[flag];
        continue;
      }
      if (flag !== 'workers') {
        restart.push(flag);
        continue;
      }
      const n = file[flag] === undefined ? DEFAULTS.workers : Number(file[flag]);
      if (!Number.isSafeInteger(n) || n < 0) {
        log.error('config', `config ${path}: workers ${JSON.stringify(file[flag])} not applied: not a whole number >= 0`);
      } else if (n !== pool.size) {
        applied.push(`workers ${pool.size} → ${n}`);
        pool.scale(n).catch((error: unknown) => log.error('config', `config ${path}: scaling to ${n} failed: ${(error as Error).message}`));
      }
    }
    if (Object.keys(limits).length > 0) {
      try {
        const outcome = pool.applyLimits(limits as LimitChanges);
        applied.push(...outcome.applied);
        restart.push(...outcome.restart);
      } catch (error) {
        log.error('config', `config ${path}: ${error instanceof Error ? error.message : String(error)}; no timeout applied`);
      }
    }
    last = file;
    const parts = [applied.length > 0 ? `applied ${applied.join(', ')}` : 'nothing to apply'];
    if (restart.length > 0) parts.push(`changed but needs a restart: ${restart.join(', ')}`);
    log.info('config', `config ${path} reread: ${parts.join('; ')}`, { file: path, applied: applied.join(', '), restart: restart.join(', ') });
  };
  const onHup = (): void => void reread();
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}
