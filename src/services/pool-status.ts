/**
 * The shape of `Supervisor.status()`: what `supervise status`, the dashboard and the metrics show.
 */
import type { HistogramSnapshot } from '../shared/histogram.cjs';
import type { SupervisorState, WorkerInfo } from '../master/supervisor-types.js';
import type { TaskRateReading } from './task-rate.js';

/**
 * Why a process ended. Asked for by the master: `reload` (handed its id over in a rolling
 * reload), `restart` (a one-id restart), `stop` (the pool's stop), `retire` (scaled away),
 * `recycle` (--max-tasks, --max-rss), `killed` (a user's kill: SIGKILL). Not asked for: `timeout`
 * (killed past --timeout or --boot-timeout), `crash` (a reported failure, a signal, a non-zero
 * code), `exit` (code 0 though nobody asked).
 */
export type ExitCause = 'reload' | 'restart' | 'stop' | 'retire' | 'recycle' | 'killed' | 'timeout' | 'crash' | 'exit';

/** How the previous process of an id ended. */
export interface LastExit {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly at: Date;
  readonly cause: ExitCause;
  /** True when the master asked for the exit and it went as asked (reload, restart, stop, retire, recycle). */
  readonly clean: boolean;
  /** The failure the worker reported, or why the master killed it, if either. */
  readonly detail?: string;
}

/** One id of the pool, with its counters and its process's resource use. */
export interface WorkerStatus extends WorkerInfo {
  /** Milliseconds since the current process was spawned. */
  readonly uptimeMs: number | undefined;
  /** Tasks this id has finished, over all its processes (as last reported; a worker in a long synchronous task cannot answer). */
  readonly tasks: number;
  /** A task is running now (in at least one of its slots). */
  readonly busy: boolean;
  /** How many of the process's `concurrency` task loops run a task now (0 or 1 without --concurrency). */
  readonly busySlots: number;
  /** The worker holds between tasks because the pool is paused. */
  readonly paused: boolean;
  readonly lastExit: LastExit | undefined;
  /** A program's last `STATUS=` line (run with `-- <program>`), if it wrote one. */
  readonly status?: string;
  /**
   * Resident memory of the process, bytes (Linux /proc; undefined elsewhere). It counts in full the
   * pages the process shares (the node binary's, above all): see pssBytes and ussBytes.
   */
  readonly rssBytes: number | undefined;
  /** Proportional set size, bytes: shared pages split between the processes sharing them (smaps_rollup; undefined where unreadable). */
  readonly pssBytes: number | undefined;
  /** Unique set size, bytes: memory only this process holds, what its exit frees (Private_Clean + Private_Dirty). */
  readonly ussBytes: number | undefined;
  /** CPU use, % of one core, since the previous status (or over the process's life on the first). */
  readonly cpuPercent: number | undefined;
  /**
   * Why the id's last process failed early (could not be spawned: which limit; failed to load;
   * exited before or right after ready), while the id has no ready process; undefined otherwise.
   */
  readonly lastError?: string | undefined;
}

/** A socket the pool serves (--listen, or adopted from systemd or an upgrade's old master). */
export interface PoolListener {
  /** `host:port` as bound (`*:port` on every interface), or the socket path. */
  readonly address: string;
  readonly kind: 'tcp' | 'unix';
  /** Its fd in every worker (`server.listen({ fd })`). */
  readonly fd: number;
}

/** A snapshot of the whole pool. */
export interface PoolStatus {
  /** The master's pid. */
  readonly pid: number;
  readonly state: SupervisorState;
  /** How many workers the pool keeps (its target). */
  readonly size: number;
  /** Task loops per worker process (--concurrency). */
  readonly concurrency: number;
  /** How many ids are held by a ready, running worker now: below `size` while ids wait to be (re)spawned. */
  readonly live?: number;
  /** Paused: workers hold between tasks until resumed. */
  readonly paused: boolean;
  /** When `start()` was called. */
  readonly startedAt: Date | undefined;
  /** Warm spares loaded and waiting for an id. */
  readonly spares: number;
  /** Respawns of every id, added up. */
  readonly restarts: number;
  /** Tasks finished by every process the pool has run, as last reported. */
  readonly tasks: number;
  /** Tasks per second over the last minute (sliding window of the totals sampled at each status()). */
  readonly taskRate: TaskRateReading;
  readonly workers: readonly WorkerStatus[];
  /** With --listen: the sockets every worker accepts on, in order (absent without any). */
  readonly listeners?: readonly PoolListener[];
  /** The master's own resource use. */
  readonly master: {
    readonly rssBytes: number | undefined;
    readonly pssBytes: number | undefined;
    readonly ussBytes: number | undefined;
    readonly cpuPercent: number | undefined;
  };
  /**
   * Memory of the master and every live worker and spare, added up, bytes (undefined where
   * smaps_rollup is unreadable). The PSS sum is what the pool costs the machine; the RSS sum
   * overstates it by the shared pages counted once per process.
   */
  readonly memory: { readonly rssBytes: number | undefined; readonly pssBytes: number | undefined; readonly ussBytes: number | undefined };
  /** Durations of finished tasks, seconds, over every process the pool has run. */
  readonly taskSeconds: HistogramSnapshot;
  /** From a worker's exit to its replacement ready, seconds (respawns only, not reload hand-overs). */
  readonly respawnSeconds: HistogramSnapshot;
}
