// `sgfw run --mode monitor --metrics HOST:PORT`: /metrics, /status, /healthz and /readyz as the
// enforcing modes serve them. The listener comes up before the capture opens (so a bad address
// fails the start), answers /readyz 503 until the monitor captures, then serves its counters and,
// as the enforcing modes do, the SIGHUP reloads of its state files (sgfw_reloads_total).
import { monitorMetricFamilies } from '../live/monitor-metrics.js';
import { mainThreadFamilies, observeRebuilds } from '../live/host-metrics.js';
import type { Monitor } from '../live/monitor.js';
import { runStatus } from '../live/run-status.js';
import { startMetricsServer, type MetricsServer } from '../observe/metrics-server.js';
import { SgfwMetrics } from '../observe/metrics.js';
import type { ListenAddress } from '../observe/metrics-server.js';
import { packageVersion } from './version.js';

export interface MonitorMetricsServer {
  readonly address: ListenAddress;
  /** the monitor is capturing: serve what it counts; `reloads`: the run's SIGHUP reload counts (null: it follows the API) */
  attach(monitor: Monitor, reloads: { readonly reloads: number; readonly failures: number } | null): void;
  close(): Promise<void>;
}

/** Throws MetricsServerError when it cannot listen. */
export async function startMonitorMetrics(at: ListenAddress, startedAt = Date.now()): Promise<MonitorMetricsServer> {
  let monitor: Monitor | null = null;
  let reloads: { readonly reloads: number; readonly failures: number } | undefined;
  const registry = new SgfwMetrics({ version: packageVersion() }).addFamilies(() =>
    monitor ? [...monitorMetricFamilies(monitor.dataplane, monitor.summary()), ...mainThreadFamilies({ reloads })] : [],
  );
  const server: MetricsServer = await startMetricsServer(at, () => registry.render(), {
    ready: () => monitor !== null,
    status: () => {
      if (monitor === null) throw new Error('monitor mode is starting: the capture is not open yet');
      return runStatus({ mode: 'monitor', dataplane: monitor.dataplane, view: monitor.view, startedAt });
    },
  });
  return {
    address: server.address,
    attach(m, counts) {
      monitor = m;
      reloads = counts ?? undefined;
      observeRebuilds(registry, m.dataplane);
    },
    close: () => server.close(),
  };
}
