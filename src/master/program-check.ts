/** Finds the program of `supervise -- <program>` as execvp would, in the master, before anything starts. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import type { ResolvedOptions } from '../shared/options.js';
import type { ProgramConfig } from '../shared/protocol.cjs';

/** True when `path` is a regular file (following links) that this process may execute. */
function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when something exists at `path`. */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path `program` runs from: a name holding a `/` is taken relative to `cwd`; a bare
 * name is searched in `pathVar` (the workers' PATH) like execvp, an empty entry meaning `cwd`.
 * Throws SuperviseError E_OPTION, one line naming the program, when it is missing, not a file, or
 * not executable (with --user, X_OK is checked as the master's user).
 */
export function findProgram(program: string, cwd: string, pathVar: string | undefined): string {
  const quoted = JSON.stringify(program);
  if (program.includes('/')) {
    const path = isAbsolute(program) ? program : resolve(cwd, program);
    if (isExecutableFile(path)) return path;
    if (!exists(path)) throw new SuperviseError(ErrorCode.OPTION, `program ${quoted} not found (looked for ${path})`);
    if (!statSync(path).isFile()) throw new SuperviseError(ErrorCode.OPTION, `program ${quoted} is not a file`);
    throw new SuperviseError(ErrorCode.OPTION, `program ${quoted} is not executable (chmod +x ${program}, or run it through its interpreter: -- sh ${program})`);
  }
  let notExecutable: string | undefined;
  for (const dir of (pathVar ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const path = resolve(cwd, join(dir === '' ? '.' : dir, program));
    if (isExecutableFile(path)) return path;
    if (notExecutable === undefined && exists(path) && statSync(path).isFile()) notExecutable = path;
  }
  if (notExecutable !== undefined) throw new SuperviseError(ErrorCode.OPTION, `program ${quoted} is not executable (${notExecutable})`);
  throw new SuperviseError(ErrorCode.OPTION, `program ${quoted} not found on PATH`);
}

/** The first executable `setpriv` on `pathVar`, to give programs a parent-death signal; undefined when absent. */
export function findSetpriv(pathVar: string | undefined): string | undefined {
  try {
    return findProgram('setpriv', '/', pathVar);
  } catch {
    return undefined;
  }
}

/**
 * For a pool running a program: `options` with the program's absolute path (throws as findProgram
 * does, before anything starts) and the runtime settings its workers get; for an app, unchanged.
 */
export function checkProgram(options: ResolvedOptions): { options: ResolvedOptions; program: ProgramConfig | undefined } {
  if (options.command === undefined) return { options, program: undefined };
  const pathVar = options.env['PATH'] ?? process.env['PATH'];
  const [program = '', ...args] = options.command;
  const path = findProgram(program, options.cwd, pathVar);
  const command = [path, ...args];
  const setpriv = findSetpriv(pathVar);
  return {
    options: { ...options, app: path, command },
    program: {
      command,
      stopSignal: options.stopSignal,
      stopWaitMs: options.stopWait * 1000,
      exitCodes: options.exitCodes,
      workers: options.workers,
      ...(setpriv !== undefined && { setpriv }),
      ...(options.pauseSignal !== undefined && options.resumeSignal !== undefined && { pauseSignal: options.pauseSignal, resumeSignal: options.resumeSignal }),
    },
  };
}
