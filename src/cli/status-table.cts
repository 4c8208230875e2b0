/**
 * `supervise status` for people: a header line about the master, a line of the pool's memory, (with
 * --listen) a line of the sockets served, then one aligned row per worker (with --concurrency, its busy slots).
 */
import type { PoolStatus, WorkerStatus } from '../services/pool-status.js';

/** A duration as `ps` shows elapsed time, short: 45s, 12m03s, 5h02m, 3d04h. */
export function formatUptime(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const s = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/** Bytes as MiB with one decimal. */
function mib(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 1048576).toFixed(1)}M`;
}

/** How the id's previous process ended, and why: "reload code=0", "crash SIGSEGV", "killed SIGKILL". */
function lastExit(worker: WorkerStatus): string {
  const exit = worker.lastExit;
  if (exit === undefined) return '-';
  return `${exit.cause} ${exit.signal !== null ? exit.signal : `code=${exit.code}`}`;
}

/** What the worker is doing, in one word. */
function state(worker: WorkerStatus): string {
  if (worker.state !== 'running') return worker.state;
  if (worker.paused) return 'paused';
  return worker.busy ? 'busy' : 'running';
}

/** The pool size as `live/size` while ids lack a running worker, else just the size. */
function workers(status: PoolStatus): string {
  const live = status.live ?? status.size; // a master of an older version sends no `live`
  return live < status.size ? `${live}/${status.size} live` : String(status.size);
}

/** The whole table, ending with a newline. */
export function formatStatus(status: PoolStatus, now = Date.now()): string {
  const uptime = status.startedAt !== undefined ? formatUptime(now - new Date(status.startedAt).getTime()) : '-';
  const { master, memory } = status;
  const slots = status.concurrency > 1;
  const header =
    `master pid=${status.pid} ${status.state}${status.paused ? ' (paused)' : ''} workers=${workers(status)}${slots ? `x${status.concurrency}` : ''} spares=${status.spares} ` +
    `up ${uptime} tasks=${status.tasks} restarts=${status.restarts} pss=${mib(master.pssBytes)} uss=${mib(master.ussBytes)} rss=${mib(master.rssBytes)} cpu=${master.cpuPercent ?? '-'}%`;
  // PSS adds up; RSS does not (every process counts the shared pages in full): say which is which.
  const pool = `pool memory (master + workers + spares): pss=${mib(memory.pssBytes)} uss=${mib(memory.ussBytes)} rss=${mib(memory.rssBytes)} (rss counts shared pages once per process)`;
  // A program's STATUS= text, last and unpadded, only when one of them wrote any.
  const withStatus = status.workers.some((w) => w.status !== undefined);
  const titles = ['ID', 'PID', 'STATE', ...(slots ? ['BUSY'] : []), 'UPTIME', 'TASKS', 'RESTARTS', 'LAST EXIT', 'PSS', 'USS', 'RSS', 'CPU%', ...(withStatus ? ['STATUS'] : [])];
  const rows: string[][] = [titles];
  for (const w of status.workers) {
    rows.push([
      String(w.id),
      w.pid !== undefined ? String(w.pid) : '-',
      state(w),
      ...(slots ? [`${w.busySlots}/${status.concurrency}`] : []),
      formatUptime(w.uptimeMs),
      String(w.tasks),
      String(w.restarts),
      lastExit(w),
      mib(w.pssBytes),
      mib(w.ussBytes),
      mib(w.rssBytes),
      w.cpuPercent !== undefined ? w.cpuPercent.toFixed(1) : '-',
      ...(withStatus ? [w.status ?? ''] : []),
    ]);
  }
  const leftAligned = new Set([titles.indexOf('STATE'), titles.indexOf('LAST EXIT'), titles.indexOf('STATUS')]);
  const widths = titles.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => (leftAligned.has(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd());
  // Why an id has no process: what its last one failed with (the spawn's limit, the app's error).
  const reasons = status.workers.flatMap((w) => (w.lastError !== undefined ? [`worker[${w.id}] ${w.state}: ${w.lastError}`] : []));
  const listening = status.listeners !== undefined && status.listeners.length > 0 ? [`listening: ${status.listeners.map((l) => `${l.address} (${l.kind}, fd ${l.fd})`).join(', ')}`] : [];
  return [header, pool, ...listening, ...lines, ...reasons].join('\n') + '\n';
}
