/**
 * supervise: a preforking worker pool for Node.js. The public surface: the Supervisor, its option
 * and event types, the app contract's types, and the error catalogue.
 */
export { Supervisor } from './supervisor.js';
export type {
  SlotState,
  StopOptions,
  SupervisorEvents,
  SupervisorState,
  WorkerFailure,
  WorkerInfo,
} from './supervisor.js';
export type { LogFormat, ResolvedOptions, SupervisorOptions } from './options.js';
export type { WorkerExit, WorkerState } from './worker-handle.js';
export type { App, WorkerContext } from './app-loader.cjs';
export type { FailurePhase } from './protocol.cjs';
export type { LastExit, PoolStatus, WorkerStatus } from './pool-status.js';
export type { HistogramSnapshot } from './histogram.cjs';
export { ErrorCode, SuperviseError, isSuperviseError } from './errors.cjs';
// For embedders serving metrics from their own HTTP server: formatMetrics(await sv.status()).
export { METRICS_CONTENT_TYPE, formatMetrics } from './metrics.js';
export type { ErrorCodeValue } from './errors.cjs';
