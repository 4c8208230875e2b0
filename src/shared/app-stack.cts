/**
 * The app's stack as a worker (or, with --preload, the CLI) reports it: the app's own error (not our wrapper), the runtime's
 * frames trimmed, and for a syntax error the `file:line`, the offending line and its caret, as
 * node prints them. A worker loads it only when something failed, so it costs a healthy start nothing.
 */
import { dirname, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isSuperviseError } from './errors.cjs';
import { findSyntaxError } from './syntax-check.cjs';

/** The package's own build (dist/, this file's parent folder): its frames say nothing about the app. */
const RUNTIME_DIR = dirname(__dirname) + sep;

/** True for a stack frame line of the runtime itself. */
function runtimeFrame(line: string): boolean {
  return /^\s+at /.test(line) && (line.includes(RUNTIME_DIR) || line.includes(pathToFileURL(RUNTIME_DIR).href));
}

/**
 * `stack` without the runtime's own frames, and without the node-internal frames trailing after
 * the last of the app's (the module loader's, the task loop's): what is left is the app's story.
 */
export function trimStack(stack: string): string {
  const lines = stack.split('\n').filter((line) => !runtimeFrame(line));
  while (lines.length > 1 && /^\s+at (.*\()?(node:|<anonymous>\)$)/.test(lines.at(-1) ?? '')) lines.pop();
  return lines.join('\n').trimEnd();
}

/** The first line of a stack that tells where a syntax error is (`/app.js:3`), if it has one. */
function hasLocation(stack: string): boolean {
  return /^(file:\/\/)?\/.*:\d+\s*$/m.test(stack.split('\n', 1)[0] ?? '');
}

/**
 * The stack to report for `error`, a failure of the app at `appPath` while `loading` or later:
 * the app's own error (a load failure's cause), trimmed; undefined for a thrown non-Error.
 */
export function appStack(error: unknown, appPath: string, loading: boolean): string | undefined {
  if (isSuperviseError(error) && error.cause === undefined) return undefined; // ours (missing exports): no app frame to show
  const own = isSuperviseError(error) ? error.cause : error;
  if (!(own instanceof Error) || typeof own.stack !== 'string') return undefined;
  if (loading && own.name === 'SyntaxError' && !hasLocation(own.stack)) {
    const checked = findSyntaxError(appPath);
    if (checked !== undefined) return checked;
  }
  const trimmed = trimStack(own.stack);
  // Nothing of the app's left (an error the runtime made, e.g. a load that never settles): the message says it all.
  return /^\s+at /m.test(trimmed) ? trimmed : undefined;
}
