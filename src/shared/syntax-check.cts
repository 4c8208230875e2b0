/**
 * Finds where an ESM syntax error is, for the load-failure report: node keeps an ES module's
 * `file:line` and caret in an internal field it prints only for an uncaught error, so the error
 * a worker catches says neither. We ask `node --check`, first of the app, then of the local
 * modules it imports statically; nothing of the app runs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How long one syntax check may take before we do without it. */
const CHECK_MS = 5000;
/** The whole search's budget: a failure report must not wait on a large tree. */
const SEARCH_MS = 8000;
/** At most this many files are checked: the user's own modules, not a dependency tree. */
const MAX_FILES = 60;
/** Extensions node --check reads as JavaScript. */
const SCRIPT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
/** Static `import … from '…'`, `export … from '…'` and bare `import '…'` specifiers. */
const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s*(?:[^'"`;]*?\sfrom\s*)?['"]([^'"\n]+)['"]/g;

/**
 * Node's own rendering of the syntax error in `path` (`path:line`, the line, a caret, the
 * message), or undefined when the file parses or the check cannot run.
 */
export function checkedSyntax(path: string): string | undefined {
  const result = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8', timeout: CHECK_MS, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status === 0 || typeof result.stderr !== 'string') return undefined;
  const lines = result.stderr.split('\n').filter((line) => !/^\s+at checkSyntax /.test(line) && !/^Node\.js v/.test(line));
  const text = lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return /SyntaxError/.test(text) ? text : undefined;
}

/** The local files `source` (of `file`) imports statically: relative, absolute and file: specifiers. */
export function localImports(source: string, file: string): string[] {
  const found: string[] = [];
  for (const [, specifier] of source.matchAll(SPECIFIER)) {
    if (specifier === undefined) continue;
    let path: string | undefined;
    if (specifier.startsWith('file:')) {
      try {
        path = fileURLToPath(specifier);
      } catch {
        continue;
      }
    } else if (specifier.startsWith('./') || specifier.startsWith('../')) path = resolve(dirname(file), specifier);
    else if (isAbsolute(specifier)) path = specifier;
    if (path !== undefined && !found.includes(path)) found.push(path);
  }
  return found;
}

/** True when `path` is a file node --check can read. */
function checkable(path: string): boolean {
  try {
    return SCRIPT_EXTENSIONS.has(extname(path)) && statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The syntax error of the app at `appPath` or of the first local module it imports (breadth
 * first) that does not parse, as node prints it; undefined when none is found in the budget.
 */
export function findSyntaxError(appPath: string): string | undefined {
  const deadline = Date.now() + SEARCH_MS;
  const queue = [appPath];
  const seen = new Set(queue);
  for (let checked = 0; queue.length > 0 && checked < MAX_FILES && Date.now() < deadline; checked++) {
    const file = queue.shift()!;
    const error = checkedSyntax(file);
    if (error !== undefined) return error;
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const next of localImports(source, file)) {
      if (!seen.has(next) && checkable(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return undefined;
}
