/**
 * RSS, PSS, USS and CPU use of a process, read from Linux's /proc (undefined elsewhere), with CPU %
 * taken, as top shows it, over the time since the previous reading of the same process.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times: 100 on every Linux build Node supports. */
const TICKS_PER_SECOND = 100;

/** One reading of a process. */
export interface ProcessStats {
  /** Resident set size, bytes. */
  readonly rssBytes: number;
  /** User plus system CPU time since the process started, seconds. */
  readonly cpuSeconds: number;
}

/** Reads `pid`'s RSS and CPU time, or undefined when the process is gone or /proc is absent. */
export function readProcessStats(pid: number): ProcessStats | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return { rssBytes: rssKiB * 1024, cpuSeconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/**
 * What a process costs in memory, from /proc/<pid>/smaps_rollup. RSS counts every page mapped in,
 * the node binary's and shared libraries' included, in every process that maps them: N idle workers
 * do not use N × RSS. PSS charges each shared page 1/k to each of the k processes sharing it (the
 * PSS of a pool adds up to what it really uses); USS is what the process alone holds (what its exit
 * frees).
 */
export interface ProcessMemory {
  /** Resident set size, bytes (shared pages counted in full). */
  readonly rssBytes: number;
  /** Proportional set size, bytes. */
  readonly pssBytes: number;
  /** Unique set size (Private_Clean + Private_Dirty), bytes. */
  readonly ussBytes: number;
}

/**
 * Reads `pid`'s RSS, PSS and USS from smaps_rollup, or undefined when the process is gone, not
 * ours to read, or the kernel lacks the file (before Linux 4.14). It walks every mapping of the
 * process in the kernel (a fraction of a millisecond for a Node process): read it when asked, not
 * on a timer.
 */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  const rss = kib('Rss');
  const pss = kib('Pss');
  const uss = kib('Private_Clean') + kib('Private_Dirty');
  if (!Number.isFinite(rss) || !Number.isFinite(pss) || !Number.isFinite(uss)) return undefined;
  return { rssBytes: rss * 1024, pssBytes: pss * 1024, ussBytes: uss * 1024 };
}

/** Turns CPU time readings into a percentage of one core per process. */
export class CpuMeter {
  readonly #last = new Map<number, { cpuSeconds: number; at: number }>();

  /**
   * CPU % of `pid` since its previous reading (at least 0.2 s ago), else over its life since
   * `startedAt` (epoch ms), as ps shows it. Forgets processes not seen in this call's `alive`.
   */
  percent(pid: number, stats: ProcessStats, startedAt: number, now = Date.now()): number {
    const last = this.#last.get(pid);
    let percent: number;
    if (last !== undefined && now - last.at >= 200) {
      percent = ((stats.cpuSeconds - last.cpuSeconds) * 100000) / (now - last.at);
    } else {
      percent = now > startedAt ? (stats.cpuSeconds * 100000) / (now - startedAt) : 0;
    }
    if (last === undefined || now - last.at >= 200) this.#last.set(pid, { cpuSeconds: stats.cpuSeconds, at: now });
    return Math.max(0, Math.round(percent * 10) / 10);
  }

  /** Drops readings of processes other than `alive`. */
  retain(alive: ReadonlySet<number>): void {
    for (const pid of this.#last.keys()) if (!alive.has(pid)) this.#last.delete(pid);
  }
}
