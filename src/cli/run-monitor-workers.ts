// `sgfw run --mode monitor --workers N` (N > 1): N worker threads, each a monitor on its own
// AF_PACKET socket (both directions) in one PACKET_FANOUT group on the interface, so the kernel
// spreads the flows over them, both directions of a flow to one worker (live/monitor-workers.ts).
// This thread keeps the model (state files, or the API with --listen: a call answers once its
// change is in force on every worker). --verdicts and --flow-log come from the workers in batches
// and --metrics and /status from a scrape of each, reported as one thread would (run-workers.ts);
// the stop summary is the workers' counters added up, in the format one thread prints. SIGHUP does
// what it does for one thread, and for host and inline workers: reopens the flow log and re-reads the
// --state files (the new rules sent to every worker, each keeping its flows; a bad file keeps the
// rules in force), or with --listen re-reads the API's keys and certificate.
import { formatMonitorSummary, logMonitorReady, logMonitorStop } from '../live/monitor.js';
import { spawnMonitorWorkers, sumMonitorStats, type MonitorWorkers } from '../live/monitor-workers.js';
import type { MonitorWorkerStarted, MonitorWorkerStats } from '../live/monitor-worker-protocol.js';
import { ExitCode } from './exit-codes.js';
import { startFailed, stopSignals } from './run-lifecycle.js';
import { startRun } from './run-start.js';
import type { MonitorFlags } from './run-monitor.js';
import type { RunOptions } from './run-options.js';
import { exitOnWorkerFailure, WorkersRun } from './run-workers.js';

export async function runMonitorWorkers(o: RunOptions, m: MonitorFlags, workers: number): Promise<number> {
  const { log, io } = o;
  const started = await startRun(o, 'judging');
  if (typeof started === 'number') return started;
  const { systemd, live } = started;
  // Judging only, as one thread's monitor: no drop lines.
  const outputs = WorkersRun.open(o, live, true);
  let running: MonitorWorkers;
  try {
    ({ pool: running } = await outputs.start(() => spawnMonitorWorkers(live.view, m.device, workers, outputs.spec, outputs.realtime), 'monitor'));
  } catch (e) {
    return startFailed(e, o);
  }
  // A share of the flows nobody judges: exit as a crash does.
  running.onFailure = exitOnWorkerFailure(o, 'stopping');
  const signals = stopSignals(() => outputs.hangup(), systemd);
  // one interface: every worker's link type is the first's
  const { linkType } = running.starts[0] as MonitorWorkerStarted;
  logMonitorReady(log, m.device, linkType, 'afpacket', `, ${workers} workers in a fanout group${live.readyNote}`, live.hangupHint, workers);
  systemd.ready(`monitoring ${m.device}, ${workers} workers${live.readyNote}`);
  await signals.stopped;
  running.onFailure = null;
  outputs.detach();
  // Each worker sends its last outputs, then its counters as its capture closed: the summary counts every line written.
  const each = (await running.close()).filter((s): s is MonitorWorkerStats => s !== null);
  const summary = sumMonitorStats(m.device, each, live.view);
  await live.close();
  await outputs.close();
  logMonitorStop(log, summary, live.reloads, each.map((s) => s.frames));
  io.stdout.write(formatMonitorSummary(summary));
  signals.release();
  return ExitCode.ok;
}
