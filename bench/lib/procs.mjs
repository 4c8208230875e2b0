/**
 * Processes through /proc: liveness, CPU time, RSS, descendants; and the register of every process
 * the harness started or saw, so each is killed by pid at the end (checked by start time, so a
 * recycled pid is never hit).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Fields of /proc/<pid>/stat after the command name, or undefined when there is no such process. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while `pid` runs (a zombie counts as gone: it runs no code). */
export function isAlive(pid) {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Start time of `pid` in clock ticks since boot (identifies a process across pid reuse). */
export function startTime(pid) {
  return statFields(pid)?.[19];
}

/** CPU time (user + system, all threads) of `pid` in clock ticks, 100 per second on Linux. */
export function cpuTicks(pid) {
  const f = statFields(pid);
  return f === undefined ? undefined : Number(f[11]) + Number(f[12]);
}

/** Resident set size of `pid` in MiB. */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (children, grandchildren, …) found in /proc now. */
export function descendants(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(statFields(name)?.[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const found = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found.filter(isAlive);
}

/** pid → start time of every process the harness started or saw. */
const tracked = new Map();

/** Remembers `pid` (if alive) for `killTracked`. */
export function track(pid) {
  if (tracked.has(pid)) return;
  const start = startTime(pid);
  if (start !== undefined) tracked.set(pid, start);
}

/** Sends `signal` to `pid` if it is still the process that was tracked (or untracked and alive); false when gone. */
export function signal(pid, sig) {
  const start = tracked.get(pid);
  if (start !== undefined && startTime(pid) !== start) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs every tracked process still alive; returns how many were. */
export function killTracked() {
  let killed = 0;
  for (const pid of tracked.keys()) if (isAlive(pid) && signal(pid, 'SIGKILL')) killed++;
  tracked.clear();
  return killed;
}

/** Waits until none of `pids` is alive, polling every `stepMs`; resolves with the hrtime it saw that, or undefined at the deadline. */
export async function waitGone(pids, ms, stepMs = 1) {
  const deadline = performance.now() + ms;
  let left = pids.filter(isAlive);
  while (left.length > 0) {
    if (performance.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, stepMs));
    left = left.filter(isAlive);
  }
  return process.hrtime.bigint();
}
