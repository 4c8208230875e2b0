/**
 * --user / --group: the uid, gid and home the workers run with, looked up as the system does
 * (getent, so NSS sources such as LDAP count), with /etc/passwd and /etc/group as the fallback.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';

/** Who the workers run as. */
export interface Account {
  readonly uid: number;
  readonly gid: number;
  /** The user's name and home, for the workers' USER, LOGNAME and HOME. */
  readonly name: string | undefined;
  readonly home: string | undefined;
}

/** One colon-separated entry of the passwd or group database, or undefined when there is none. */
function lookUp(database: 'passwd' | 'group', key: string | number): string[] | undefined {
  try {
    const line = execFileSync('getent', [database, String(key)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return line.split('\n')[0]?.split(':');
  } catch (error) {
    // getent exits 2 for "no such entry"; anything else (not installed) falls back to the files.
    if ((error as { status?: number }).status === 2) return undefined;
  }
  const lines = readFileSync(`/etc/${database}`, 'utf8').split('\n');
  const fields = lines.map((line) => line.split(':')).find((f) => f[0] === String(key) || f[2] === String(key));
  return fields;
}

/**
 * Resolves `user` and `group` (names or ids) for the workers. Throws SuperviseError E_OPTION when
 * this process is not root, or naming the user or group that does not exist.
 */
export function resolveAccount(user: string | number | undefined, group: string | number | undefined): Account | undefined {
  if (user === undefined && group === undefined) return undefined;
  const flag = user !== undefined ? '--user' : '--group';
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new SuperviseError(ErrorCode.OPTION, `${flag} needs the master to run as root (it runs as uid ${uid ?? 'unknown'})`);
  }
  let account: Account = { uid: 0, gid: process.getgid?.() ?? 0, name: undefined, home: undefined };
  if (user !== undefined) {
    const entry = lookUp('passwd', user);
    if (entry === undefined || entry.length < 6) throw new SuperviseError(ErrorCode.OPTION, `invalid --user: no such user ${JSON.stringify(String(user))}`);
    account = { uid: Number(entry[2]), gid: Number(entry[3]), name: entry[0], home: entry[5] };
  }
  if (group !== undefined) {
    const entry = lookUp('group', group);
    if (entry === undefined || entry.length < 3) throw new SuperviseError(ErrorCode.OPTION, `invalid --group: no such group ${JSON.stringify(String(group))}`);
    account = { ...account, gid: Number(entry[2]) };
  }
  return account;
}

/** The name of the user with this uid, or undefined when the passwd database has none. */
export function nameOfUid(uid: number): string | undefined {
  try {
    return lookUp('passwd', uid)?.[0];
  } catch {
    return undefined;
  }
}
