/**
 * Resolves and imports the user's app and checks that it keeps the app contract. Runs in workers
 * always, and in the master only with `--preload`.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, SuperviseError, firstLine } from './errors.cjs';

/** What a task receives besides its id. */
export interface WorkerContext {
  /** The worker's stable id, 0..N-1. */
  readonly id: number;
  /**
   * Aborts when the worker is asked to stop quickly (TERM/INT, a quick `stop()`); pass it to fetch,
   * timers and streams so long tasks end early. The master's death does not abort it: the task is
   * then allowed to finish.
   */
  readonly signal: AbortSignal;
  /**
   * In workerStart only: which of the process's task loops runs this task, 0..c-1 with
   * `--concurrency c` (0 when c = 1). Absent in afterFork and beforeExit, which run once per process.
   */
  readonly slot?: number;

  /**
   * With --listen: the shared sockets, in the order given, each `{ fd, port?, host?, path? }`;
   * `server.listen({ fd })` serves one explicitly (a plain `server.listen(port)` finds its own).
   * The sockets are the process's: with `--concurrency c`, every slot's ctx has the same ones;
   * start one server per process (at load or in afterFork), not one per slot.
   */
  readonly listeners?: readonly { readonly fd: number; readonly port?: number; readonly host?: string; readonly path?: string }[];
}

/** The app contract: the functions an app module exports (directly or on its default export). */
export interface App {
  /**
   * One task. Called again and again in the worker, each call after the previous one settled.
   * Optional only with --listen (the app's servers are its work); required otherwise.
   */
  workerStart?(id: number, ctx: WorkerContext): unknown;
  /** In the master, before each spawn of `id`; called only when the app is preloaded. */
  beforeFork?(id: number): unknown;
  /** In the worker, once, before its first task. */
  afterFork?(id: number, ctx: WorkerContext): unknown;
  /**
   * In the worker, once, after its last task, when it leaves without an error: a stop (quick or
   * graceful), a reload's hand-over, retirement, recycling, or its master's death. Close what
   * afterFork opened here. It gets `--grace` seconds (at least one); `ctx.signal` is aborted on a
   * quick stop. Not run after a failure or a kill, nor in a spare that never took an id.
   */
  beforeExit?(id: number, ctx: WorkerContext): unknown;
}

/**
 * Returns the absolute path of the app file, relative paths taken from `cwd`.
 * Throws SuperviseError E_APP_NOT_FOUND when there is no such file.
 */
export function resolveAppPath(app: string, cwd: string): string {
  const path = isAbsolute(app) ? app : resolve(cwd, app);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new SuperviseError(ErrorCode.APP_NOT_FOUND, `app file not found: ${path}`);
  }
  if (!isFile) throw new SuperviseError(ErrorCode.APP_NOT_FOUND, `app is not a file: ${path}`);
  return path;
}

/** The names a module or object exports, for a message: `afterFork, start`, or `nothing`. */
function exportedNames(value: object): string {
  const names = Object.keys(value).filter((name) => name !== 'default' && name !== '__esModule');
  return names.length === 0 ? 'nothing' : names.join(', ');
}

/**
 * Why no workerStart was found, in the words that fit the module's shape: an ESM default export
 * (an object without it, or a function), or named exports without it.
 */
function missingWorkerStart(namespace: Record<string, unknown>, path: string): string {
  const fallback = 'export it by name, on module.exports, or on an ESM default export';
  const byDefault = namespace['default'];
  // A CommonJS module's namespace has module.exports as its default (and the module in
  // require.cache, where importing it put it): name what module.exports holds.
  const isCommonJs = require.cache[path] !== undefined;
  if (!isCommonJs && typeof byDefault === 'function') {
    return `app ${path} has a default export that is a function, not an object holding workerStart (export default { workerStart }, or export function workerStart)`;
  }
  if (!isCommonJs && typeof byDefault === 'object' && byDefault !== null) {
    return `app ${path} has a default export without workerStart (it holds ${exportedNames(byDefault)}; ${fallback})`;
  }
  const shown = (typeof byDefault === 'object' && byDefault !== null ? byDefault : namespace) as Record<string, unknown>;
  if (shown['workerStart'] !== undefined) return `app ${path} exports workerStart as a ${typeof shown['workerStart']}, not a function`;
  return `app ${path} does not export a workerStart function (it exports ${exportedNames(shown)}; ${fallback})`;
}

/** Picks the contract's functions from a module namespace: named (ESM or CommonJS) or on the default export. */
function pickExports(namespace: Record<string, unknown>, path: string, serving: boolean): App {
  const candidates = [namespace, namespace['default']].filter(
    (c): c is Record<string, unknown> => (typeof c === 'object' || typeof c === 'function') && c !== null,
  );
  let source = candidates.find((c) => typeof c['workerStart'] === 'function');
  // A server app may export only hooks (on either), or nothing at all.
  if (source === undefined && serving) source = candidates.find((c) => ['afterFork', 'beforeExit', 'beforeFork'].some((k) => c[k] !== undefined)) ?? {};
  if (source === undefined) throw new SuperviseError(ErrorCode.APP_EXPORTS, missingWorkerStart(namespace, path));
  for (const hook of ['beforeFork', 'afterFork', 'beforeExit'] as const) {
    if (source[hook] !== undefined && typeof source[hook] !== 'function') {
      throw new SuperviseError(ErrorCode.APP_EXPORTS, `app ${path} exports ${hook} as a ${typeof source[hook]}, not a function`);
    }
  }
  return source as unknown as App;
}

/**
 * True when Node would load `path` as CommonJS by its name alone: `.cjs`, or `.js` in a package
 * whose package.json does not say `"type": "module"`. Such an app is loaded with require(): an
 * import() would start the ESM loader in every worker, ~6% of a cold respawn, for nothing.
 */
function isCommonJs(path: string): boolean {
  if (path.endsWith('.cjs')) return true;
  if (!path.endsWith('.js')) return false;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(join(dir, 'package.json'), 'utf8');
    } catch {
      // no package.json here: look further up
    }
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type !== 'module';
      } catch {
        return false; // a broken package.json: let import() say what is wrong
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

/**
 * The app's exports by require(), or undefined when the file turned out to be ESM that require()
 * cannot load (ES syntax in a .js file with top-level await): then import() loads it.
 */
function requireUnlessEsm(path: string): Record<string, unknown> | undefined {
  try {
    return commonJsNamespace(require(path));
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') return undefined;
    throw error;
  }
}

/** What import() would give for CommonJS exports: the object itself (named exports), or them as `default`. */
function commonJsNamespace(exports: unknown): Record<string, unknown> {
  return (typeof exports === 'object' && exports !== null) || typeof exports === 'function' ? (exports as Record<string, unknown>) : { default: exports };
}

/** Explains the common "Unknown file extension" failure of loading TypeScript without a loader. */
function loadHint(error: unknown, path: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?tsx?$/.test(path)) {
    return ' (this Node cannot run TypeScript directly: compile the app, or pass a loader with --node-arg=--import=<loader>)';
  }
  return '';
}

/**
 * Imports the app at absolute `path` and validates its exports. A `reload` count above 0 imports
 * the file afresh (for a preloading master's HUP); modules the app imports stay cached.
 * Throws SuperviseError E_APP_LOAD (with the app's error as `cause`) when importing fails or
 * reading its exports throws (a getter, a Proxy),
 * E_APP_EXPORTS when workerStart is missing (allowed when `serving`: with --listen) or a hook is not a function.
 */
export async function loadApp(path: string, reload = 0, serving = false): Promise<App> {
  let namespace: Record<string, unknown>;
  const url = pathToFileURL(path);
  if (reload > 0) {
    delete require.cache[path];
    url.searchParams.set('supervise-reload', String(reload));
  }
  try {
    namespace = (isCommonJs(path) && requireUnlessEsm(path)) || ((await import(url.href)) as Record<string, unknown>);
  } catch (error) {
    throw new SuperviseError(ErrorCode.APP_LOAD, `app ${path} failed to load: ${firstLine(error)}${loadHint(error, path)}`, {
      cause: error,
    });
  }
  try {
    return pickExports(namespace, path, serving);
  } catch (error) {
    if (error instanceof SuperviseError) throw error;
    // A getter or Proxy on the exports threw: the app's own failure, not ours.
    throw new SuperviseError(ErrorCode.APP_LOAD, `app ${path} failed to load: reading its exports threw: ${firstLine(error)}`, { cause: error });
  }
}
