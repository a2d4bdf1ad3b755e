// `sgfw run --mode monitor`: without --listen exactly runMonitor (src/live/monitor.ts); with it, the
// same monitor judging against the durable store's service, the EC2 API beside it in this process.
import { CaptureError } from '../capture/capture-error.js';
import type { CaptureMethod } from '../capture/capture-method.js';
import { formatMonitorSummary, logMonitorReady, logMonitorStop, runMonitor, startMonitor, type Monitor } from '../live/monitor.js';
import type { AttachedApi } from '../api/serve-store.js';
import { attachApi, reloadApiFiles } from './api-attach.js';
import { ExitCode } from './exit-codes.js';
import { startMonitorMetrics, type MonitorMetricsServer } from './monitor-metrics-server.js';
import { logOneThread, startFailed } from './run-lifecycle.js';
import { apiNote, type RunOptions } from './run-options.js';
import { serviceNotify } from './service-notify.js';

export interface MonitorFlags {
  device: string;
  /** undefined: afpacket when its addon is built, else pcap */
  capture?: CaptureMethod;
  /** why one thread judges although more cores are there (libpcap), logged before the ready line */
  oneThreadBecause?: string | null;
}

export async function runMonitorMode(o: RunOptions, m: MonitorFlags): Promise<number> {
  let metrics: MonitorMetricsServer | null = null;
  try {
    metrics = o.metricsAt ? await startMonitorMetrics(o.metricsAt) : null;
  } catch (e) {
    return startFailed(e, o);
  }
  try {
    return await monitorWith(o, m, metrics);
  } finally {
    await metrics?.close();
  }
}

async function monitorWith(o: RunOptions, m: MonitorFlags, metrics: MonitorMetricsServer | null): Promise<number> {
  const { io } = o;
  if (!o.api) {
    return runMonitor({ interface: m.device, capture: m.capture, stateFiles: o.stateFiles, verdictsFile: o.verdictsFile, ...o.flowLog, io, log: o.log,
      onStarted: (s) => {
        metrics?.attach(s);
        logOneThread(o, m.oneThreadBecause);
      },
    });
  }
  const systemd = serviceNotify((line) => o.log.warn({ event: 'systemd-notify' }, line));
  const { listen } = o.api;
  let api: AttachedApi;
  try {
    api = await attachApi({ stateDir: o.api.stateDir, listen, stateFiles: o.stateFiles, logger: o.log });
  } catch (e) {
    return startFailed(e, o);
  }
  let monitor: Monitor;
  try {
    monitor = await startMonitor({
      interface: m.device,
      capture: m.capture,
      model: api.service,
      accountId: api.service.accountId,
      verdictsFile: o.verdictsFile,
      ...o.flowLog,
      io,
      log: o.log,
    });
  } catch (e) {
    await api.close();
    if (!(e instanceof CaptureError)) throw e;
    o.log.fatal({ event: 'start-failed', mode: 'monitor' }, e.message);
    return ExitCode.usage;
  }
  metrics?.attach(monitor);
  // Handlers go in before the ready line: a signal sent on seeing it must find them.
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const done = (): void => {
    systemd.stopping('stopping');
    finish();
  };
  const hup = (): void => {
    monitor.reopenLogs();
    o.log.info({ event: 'sighup', reload: 'logs' }, 'SIGHUP: flow log reopened');
    // No rules to reload: with --listen the state directory is the source of truth.
    reloadApiFiles(api, o.log, listen.tls);
  };
  process.on('SIGINT', done);
  process.on('SIGTERM', done);
  process.on('SIGHUP', hup);
  logOneThread(o, m.oneThreadBecause);
  logMonitorReady(o.log, m.device, monitor.linkType, monitor.capture, apiNote(api.address));
  systemd.ready(`monitoring ${m.device}${apiNote(api.address)}`);
  await finished;
  const summary = monitor.stop();
  logMonitorStop(o.log, summary);
  io.stdout.write(formatMonitorSummary(summary));
  await api.close();
  process.off('SIGINT', done);
  process.off('SIGTERM', done);
  process.off('SIGHUP', hup);
  systemd.close();
  return ExitCode.ok;
}
