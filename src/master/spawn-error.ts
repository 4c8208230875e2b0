/**
 * A spawn the OS refused, in words: which resource ran out and, where the master can read it, the
 * limit it hit and what raises it. `child_process.spawn` reports these as an 'error' on the child
 * (EMFILE, EAGAIN, ENOMEM…), with no pid and often no 'exit': without this the log said only
 * "exited code=null before it was ready".
 */
import { readFileSync } from 'node:fs';

/** /proc/self/limits, if readable. */
function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The limits as read when the master loaded this module: once its files run out, the master may
 * not be able to open /proc/self/limits to say which limit it hit (seen on Node 24).
 */
const limitsAtStart = readLimits();

/** The soft limit named `name` ("Max open files") from /proc/self/limits now, else as it was at start. */
function softLimit(name: string): string | undefined {
  const line = (readLimits() ?? limitsAtStart)?.split('\n').find((l) => l.startsWith(name));
  return line?.slice(name.length).trim().split(/\s+/)[0];
}

/** The pids.max of this process's cgroup (v2, or v1's pids controller), if one is set. */
function cgroupPidsMax(): string | undefined {
  try {
    const cgroups = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
    for (const line of cgroups) {
      const [, controllers, path] = line.split(':');
      if (path === undefined) continue;
      const dir = controllers === '' ? `/sys/fs/cgroup${path}` : controllers?.split(',').includes('pids') ? `/sys/fs/cgroup/pids${path}` : undefined;
      if (dir === undefined) continue;
      try {
        const max = readFileSync(`${dir}/pids.max`, 'utf8').trim();
        if (max !== 'max') return max;
      } catch {
        // no pids controller there
      }
    }
  } catch {
    // not Linux
  }
  return undefined;
}

/**
 * What a failed spawn means, in one phrase naming the resource and the limit where it can be read,
 * e.g. "too many open files: the master may open 60; raise LimitNOFILE= or ulimit -n".
 */
export function describeSpawnError(error: Error, command: string = process.execPath): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EMFILE': {
      const limit = softLimit('Max open files');
      return `too many open files (EMFILE): the master may open ${limit ?? 'only so many'}; raise LimitNOFILE= or ulimit -n`;
    }
    case 'ENFILE':
      return 'too many open files in the whole system (ENFILE): raise fs.file-max, or run fewer processes';
    case 'EAGAIN': {
      const cgroup = cgroupPidsMax();
      const limit = softLimit('Max processes');
      const where = cgroup !== undefined ? `this cgroup may hold ${cgroup} tasks (pids.max; raise TasksMax=)` : `this user may run ${limit ?? 'only so many'} processes (raise LimitNPROC= or ulimit -u)`;
      return `cannot create another process (EAGAIN): ${where}`;
    }
    case 'ENOMEM':
      return 'out of memory (ENOMEM): the system cannot give a new process its memory';
    case 'EACCES':
      return `permission denied (EACCES) running ${command}`;
    case 'ENOENT':
      return `not found (ENOENT): ${command} (or the working directory) does not exist`;
    default:
      return `${error.message}${code !== undefined && !error.message.includes(code) ? ` (${code})` : ''}`;
  }
}
