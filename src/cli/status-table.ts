/**
 * `supervise status` for people: a header line about the master, then one aligned row per worker.
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

/** How the id's previous process ended. */
function lastExit(worker: WorkerStatus): string {
  const exit = worker.lastExit;
  if (exit === undefined) return '-';
  return exit.signal !== null ? exit.signal : `code=${exit.code}`;
}

/** What the worker is doing, in one word. */
function state(worker: WorkerStatus): string {
  if (worker.state !== 'running') return worker.state;
  if (worker.paused) return 'paused';
  return worker.busy ? 'busy' : 'running';
}

/** The whole table, ending with a newline. */
export function formatStatus(status: PoolStatus, now = Date.now()): string {
  const uptime = status.startedAt !== undefined ? formatUptime(now - new Date(status.startedAt).getTime()) : '-';
  const header =
    `master pid=${status.pid} ${status.state}${status.paused ? ' (paused)' : ''} workers=${status.size} spares=${status.spares} ` +
    `up ${uptime} tasks=${status.tasks} restarts=${status.restarts} rss=${mib(status.master.rssBytes)} cpu=${status.master.cpuPercent ?? '-'}%`;
  // A program's STATUS= text, last and unpadded, only when one of them wrote any.
  const withStatus = status.workers.some((w) => w.status !== undefined);
  const rows: string[][] = [['ID', 'PID', 'STATE', 'UPTIME', 'TASKS', 'RESTARTS', 'LAST EXIT', 'RSS', 'CPU%', ...(withStatus ? ['STATUS'] : [])]];
  for (const w of status.workers) {
    rows.push([
      String(w.id),
      w.pid !== undefined ? String(w.pid) : '-',
      state(w),
      formatUptime(w.uptimeMs),
      String(w.tasks),
      String(w.restarts),
      lastExit(w),
      mib(w.rssBytes),
      w.cpuPercent !== undefined ? w.cpuPercent.toFixed(1) : '-',
      ...(withStatus ? [w.status ?? ''] : []),
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => (column === 2 || column === 6 || column === 9 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd());
  return [header, ...lines].join('\n') + '\n';
}
