/**
 * The pool's mutable state, one object shared by the Supervisor and its parts: each part reads
 * what it needs here rather than through a getter per field. The Supervisor writes it; of the
 * parts only the id keeper writes `startFailure` (the first failure of a start wins).
 */
import { ErrorCode, SuperviseError } from '../shared/errors.cjs';
import type { ResolvedOptions } from '../shared/options.js';
import type { RuntimeConfig } from '../shared/protocol.cjs';
import type { EarlierTimeout } from './live-limits.js';
import type { SupervisorState } from './supervisor-types.js';

/** What a pool is now: its state, size, code generation and the limits in force. */
export class PoolState {
  state: SupervisorState = 'idle';
  /** The pool size asked for now (scaling changes it at once; the processes follow). */
  size: number;
  /** The code in force: a reload makes the next one current. */
  generation = 0;
  /** Replaced (never mutated) when a HUP applies new limits: see applyLimits. */
  options: ResolvedOptions;
  /** What every worker spawned from now is told (grace, heartbeat, program, concurrency). */
  runtime: RuntimeConfig;
  startedAt: Date | undefined;
  /** The error the start is failing with, if any. */
  startFailure: SuperviseError | undefined;
  /** After a HUP changed --timeout: what tasks begun before it were promised (see applyLimits). */
  earlierTimeout: EarlierTimeout | undefined;

  constructor(options: ResolvedOptions, runtime: RuntimeConfig) {
    this.options = options;
    this.runtime = runtime;
    this.size = options.workers;
  }

  /** --grace in ms. */
  get graceMs(): number {
    return this.options.grace * 1000;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** True while the pool starts or runs. */
  get active(): boolean {
    return this.state === 'running' || this.state === 'starting';
  }

  /** The E_STOPPED error for `operation` asked of (or abandoned by) a pool that is stopping or stopped. */
  stoppedError(operation: string): SuperviseError {
    return new SuperviseError(ErrorCode.STOPPED, `${operation}() abandoned: the supervisor is ${this.state}`);
  }
}
