// `sgfw run --mode monitor` on one thread: the monitor (src/live/monitor.ts) judging against the
// run's model (run-model.ts, as host and inline modes): the --state files, re-read on SIGHUP (the
// new rules judge the next frame, tracked flows keep their state; a bad file keeps the rules in
// force), or with --listen the durable store's service behind the EC2 API in this process.
import { CaptureError } from '../capture/capture-error.js';
import type { CaptureMethod } from '../capture/capture-method.js';
import { formatMonitorSummary, logMonitorReady, logMonitorStop, startMonitor, type Monitor } from '../live/monitor.js';
import { ExitCode } from './exit-codes.js';
import { startMonitorMetrics, type MonitorMetricsServer } from './monitor-metrics-server.js';
import { logOneThread, startFailed, stopSignals } from './run-lifecycle.js';
import { startRun } from './run-start.js';
import type { RunOptions } from './run-options.js';

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
  const { io, log } = o;
  const started = await startRun(o, 'judging');
  if (typeof started === 'number') return started;
  const { systemd, live } = started;
  let monitor: Monitor;
  try {
    monitor = startMonitor({
      interface: m.device,
      capture: m.capture,
      dataplane: live.dataplane,
      view: live.view,
      accountId: live.api?.service.accountId,
      verdictsFile: o.verdictsFile,
      ...o.flowLog,
      log,
    });
  } catch (e) {
    await live.close();
    if (!(e instanceof CaptureError)) throw e;
    log.fatal({ event: 'start-failed', mode: 'monitor' }, e.message);
    return ExitCode.usage;
  }
  metrics?.attach(monitor, live.reloads);
  // Handlers go in before the ready line: a signal sent on seeing it must find them. SIGHUP as in
  // host and inline modes: the flow log reopened (logrotate), then the state files re-read (or with
  // --listen the API's keys and certificate).
  const signals = stopSignals(() => {
    monitor.reopenLogs();
    return live.hangup();
  }, systemd);
  logOneThread(o, m.oneThreadBecause);
  logMonitorReady(log, m.device, monitor.linkType, monitor.capture, live.readyNote, live.hangupHint);
  systemd.ready(`monitoring ${m.device}${live.readyNote}`);
  await signals.stopped;
  const summary = monitor.stop();
  await live.close();
  logMonitorStop(log, summary, live.reloads);
  io.stdout.write(formatMonitorSummary(summary));
  signals.release();
  return ExitCode.ok;
}
