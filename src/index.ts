/**
 * supervise: a preforking worker pool for Node.js. The public surface: the Supervisor, its option
 * and event types, the app contract's types, and the error catalogue.
 */
export { Supervisor } from './master/supervisor.js';
export type {
  SlotState,
  StopOptions,
  SupervisorEvents,
  SupervisorState,
  WorkerFailure,
  WorkerInfo,
} from './master/supervisor.js';
export type { LogFormat, PoolOptions, ResolvedOptions, SupervisorOptions } from './shared/options.js';
export type { WorkerExit, WorkerState } from './master/worker-handle.js';
export type { App, WorkerContext } from './shared/app-loader.cjs';
export type { ListenerInfo } from './master/listeners.js';
export type { ListenAddress } from './shared/listen-address.js';
export type { FailurePhase } from './shared/protocol.cjs';
export type { LastExit, PoolStatus, WorkerStatus } from './services/pool-status.js';
export type { HistogramSnapshot } from './shared/histogram.cjs';
export { ErrorCode, SuperviseError, isSuperviseError } from './shared/errors.cjs';
// For embedders serving metrics from their own HTTP server: formatMetrics(await sv.status()).
export { METRICS_CONTENT_TYPE, formatMetrics } from './services/metrics.js';
export type { ErrorCodeValue } from './shared/errors.cjs';
