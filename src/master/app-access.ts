/**
 * Before the first spawn under --user/--group: can the workers' account reach and read the files
 * a worker must load (the app, the worker runtime)? Without this check, a worker that may not
 * enter a directory on the way fails with node's "Cannot find module", though the file exists.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import { nameOfUid, type Account } from './account.js';

/** What the check needs of a file's status. */
export interface ModeOwner {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** True when `account` may not do `want` (4: read, 1: search a directory) on a file of this status. */
function denied(stat: ModeOwner, account: Pick<Account, 'uid' | 'gid'>, want: 4 | 1): boolean {
  // The classic owner/group/other rule, which is what the kernel applies without ACLs. The workers
  // run with no supplementary groups (the spawn drops them), so only the account's own gid counts.
  const shift = stat.uid === account.uid ? 6 : stat.gid === account.gid ? 3 : 0;
  return ((stat.mode >> shift) & want) === 0;
}

/** Every directory from the root down to the one holding `path` (absolute), in order. */
function directoriesOf(path: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    dirs.unshift(dir);
    if (dirname(dir) === dir) return dirs;
  }
}

/**
 * The first place on the way to `path` that `account` may not pass: a directory it may not search
 * or the file it may not read, with that place's status; undefined when it can read the file.
 * Both the path as given and its real path (after symlinks) are walked, as the kernel walks both.
 * `stat` is injectable so that the rule is unit-tested without root.
 */
export function firstDenied(
  path: string,
  account: Pick<Account, 'uid' | 'gid'>,
  stat: (path: string) => ModeOwner = statSync,
  realpath: (path: string) => string = realpathSync,
): { readonly where: string; readonly stat: ModeOwner } | undefined {
  if (account.uid === 0) return undefined; // root passes every permission check
  const absolute = resolve(path);
  let real = absolute;
  try {
    real = realpath(absolute);
  } catch {
    // unreadable even for the master: the spawn will say what it is
  }
  for (const file of real === absolute ? [absolute] : [absolute, real]) {
    for (const dir of directoriesOf(file)) {
      const st = stat(dir);
      if (denied(st, account, 1)) return { where: dir, stat: st };
    }
  }
  const st = stat(real);
  if (denied(st, account, 4)) return { where: real, stat: st };
  return undefined;
}

/**
 * Throws SuperviseError E_OPTION, in one line naming the place, when `account` cannot read one of
 * `files`: `user nobody cannot read /tmp/x/app.js: permission denied on /tmp/x (mode 0700, owner root)`.
 */
export function assertReadableBy(account: Account | undefined, files: readonly string[]): void {
  if (account === undefined) return;
  for (const file of files) {
    const found = firstDenied(file, account);
    if (found === undefined) continue;
    const who = account.name ?? `uid ${account.uid}`;
    const mode = (found.stat.mode & 0o7777).toString(8).padStart(4, '0');
    const owner = nameOfUid(found.stat.uid) ?? String(found.stat.uid);
    throw new SuperviseError(ErrorCode.OPTION, `user ${who} cannot read ${file}: permission denied on ${found.where} (mode ${mode}, owner ${owner})`);
  }
}

