/** The master's side services: the control socket, the dashboard and the metrics endpoint, opened and closed together. */
import { serveControl, type ControlServer, type ControlTarget } from './control-server.js';
import { serveDashboard, type DashboardTarget } from './dashboard.js';
import type { HttpService } from './http-service.js';
import type { Logger } from '../shared/log.js';
import { serveMetrics, type MetricsTarget } from './metrics-server.js';
import type { ResolvedOptions } from '../shared/options.js';

/** How long an upgrade's new master tries to bind the dashboard and metrics addresses the old master is freeing. */
const UPGRADE_HTTP_WAIT_MS = 10_000;

/** The services the options ask for; each is optional and absent until `open()`. */
export class PoolServices {
  #control: ControlServer | undefined;
  #dashboard: HttpService | undefined;
  #metrics: HttpService | undefined;
  /** In an upgrade's new master: the dashboard and metrics, opened once the old master let go of their ports. */
  #deferred: (() => Promise<void>) | undefined;
  #closed = false;

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
   * Opens what `options` asks for, all driving `pool`. Rejects with E_CONTROL or E_OPTION (an
   * address that cannot be bound); what opened before the failure stays open until `close()`. In an
   * upgrade's new master (`upgrade`), the control socket is staged aside when `upgrade.stageControl`
   * (see serveControl), and the dashboard and metrics wait for `takeOver()`: their ports are the old
   * master's until then.
   */
  async open(options: ResolvedOptions, pool: ControlTarget & MetricsTarget & DashboardTarget, log: Logger, upgrade?: { readonly stageControl: boolean }): Promise<void> {
    const { control, dashboard, dashboardToken, metrics } = options;
    if (control !== undefined) this.#control = await serveControl(control, pool, log, upgrade?.stageControl === true);
    const openHttp = async (): Promise<void> => {
      if (dashboard !== undefined && this.#dashboard === undefined) this.#dashboard = await serveDashboard(dashboard, dashboardToken, pool, log);
      if (metrics !== undefined && this.#metrics === undefined) this.#metrics = await serveMetrics(metrics, dashboardToken, pool, log);
    };
    if (upgrade === undefined) return openHttp();
    if (dashboard !== undefined || metrics !== undefined) this.#deferred = () => this.#retry(openHttp, log);
  }

  /**
   * In an upgrade's new master, once ready: moves the staged control socket over the old master's,
   * and opens the dashboard and metrics as soon as the old master has closed them (retrying for
   * UPGRADE_HTTP_WAIT_MS; a failure then is logged and the pool runs without them). Never throws.
   */
  takeOver(log: Logger): void {
    try {
      this.#control?.commit();
    } catch (error) {
      log.error('control', `cannot take the control socket ${this.#control?.path} over: ${error instanceof Error ? error.message : String(error)}`);
    }
    void this.#deferred?.();
    this.#deferred = undefined;
  }

  /** In an upgrade's old master, once the new one is ready: frees the dashboard's and metrics' ports for it. */
  releaseHttp(): void {
    this.#dashboard?.close();
    this.#dashboard = undefined;
    this.#metrics?.close();
    this.#metrics = undefined;
  }

  async #retry(open: () => Promise<void>, log: Logger): Promise<void> {
    const deadline = Date.now() + UPGRADE_HTTP_WAIT_MS;
    for (;;) {
      try {
        return await open();
      } catch (error) {
        if (this.#closed) return;
        if (Date.now() > deadline) return log.error('upgrade', `${error instanceof Error ? error.message : String(error)}; this master runs without it`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** The control socket's path, once open. */
  get controlPath(): string | undefined {
    return this.#control?.path;
  }

  /** Closes every open service; synchronous, so it can run as the process exits. */
  close(): void {
    this.#closed = true;
    this.#control?.close();
    this.#control = undefined;
    this.#dashboard?.close();
    this.#dashboard = undefined;
    this.#metrics?.close();
    this.#metrics = undefined;
  }
}
