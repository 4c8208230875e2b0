/** The master's side services: the control socket, the dashboard and the metrics endpoint, opened and closed together. */
import { serveControl, type ControlServer, type ControlTarget } from './control-server.js';
import { serveDashboard, type DashboardTarget } from './dashboard.js';
import type { HttpService } from './http-service.js';
import type { Logger } from '../shared/log.js';
import { serveMetrics, type MetricsTarget } from './metrics-server.js';
import type { ResolvedOptions } from '../shared/options.js';

/** The services the options ask for; each is optional and absent until `open()`. */
export class PoolServices {
  #control: ControlServer | undefined;
  #dashboard: HttpService | undefined;
  #metrics: HttpService | undefined;

  /** The dashboard's URL once open (its port resolved when 0 was asked for). */
  get dashboardUrl(): string | undefined {
    return this.#dashboard?.url;
  }

  /** The metrics URL once open (its port resolved when 0 was asked for). */
  get metricsUrl(): string | undefined {
    return this.#metrics?.url;
  }

  /** True when `options` asks for any service (without any, start() need not wait for one). */
  static wanted(options: ResolvedOptions): boolean {
    return options.control !== undefined || options.dashboard !== undefined || options.metrics !== undefined;
  }

  /**
   * Opens what `options` asks for, all driving `pool` (the control socket staged aside with
   * `stageControl`: an upgrade's new master, see serveControl). Rejects with E_CONTROL or E_OPTION (an
   * address that cannot be bound); what opened before the failure stays open until `close()`.
   */
  async open(options: ResolvedOptions, pool: ControlTarget & MetricsTarget & DashboardTarget, log: Logger, stageControl = false): Promise<void> {
    const { control, dashboard, dashboardToken, metrics } = options;
    if (control !== undefined) this.#control = await serveControl(control, pool, log, stageControl);
    if (dashboard !== undefined) this.#dashboard = await serveDashboard(dashboard, dashboardToken, pool, log);
    if (metrics !== undefined) this.#metrics = await serveMetrics(metrics, dashboardToken, pool, log);
  }

  /** The control socket's path, once open. */
  get controlPath(): string | undefined {
    return this.#control?.path;
  }

  /** Moves a staged control socket (an upgrade's new master) over the old master's; logs a failure, never throws. */
  commitControl(log: Logger): void {
    try {
      this.#control?.commit();
    } catch (error) {
      log.error('control', `cannot take the control socket ${this.#control?.path} over: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Closes every open service; synchronous, so it can run as the process exits. */
  close(): void {
    this.#control?.close();
    this.#control = undefined;
    this.#dashboard?.close();
    this.#dashboard = undefined;
    this.#metrics?.close();
    this.#metrics = undefined;
  }
}
