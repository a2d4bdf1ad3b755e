// `sgfw run --mode inline --workers N` (N > 1): N worker threads, each an inline bridge on its own
// AF_PACKET sockets, one PACKET_FANOUT group per interface, so the kernel spreads the flows over
// them, both directions of a flow to one worker (live/inline-workers.ts). This thread keeps the
// model (state files and SIGHUP, the API, an EC2 source), and an API call answers once its change is
// in force on every worker. Per-frame outputs (--verdicts, --flow-log, drop lines) come from the
// workers in batches and --metrics from a scrape of each, reported as one thread would
// (run-workers.ts).
import { ringVnetHeaders } from '../capture/afpacket.js';
import { spawnInlineWorkers, sumInlineStats, type InlineWorkers } from '../live/inline-workers.js';
import type { MetricsServer } from '../observe/metrics-server.js';
import { ExitCode } from './exit-codes.js';
import type { InlineFlags } from './run-inline.js';
import { dropPrivileges, startFailed, stopSignals } from './run-lifecycle.js';
import { managedInterfaces, metricsNote, modelSourceFields, startRun } from './run-start.js';
import type { RunOptions } from './run-options.js';
import { exitOnWorkerFailure, WorkersRun } from './run-workers.js';

export async function runInlineWorkers(o: RunOptions, f: InlineFlags, workers: number): Promise<number> {
  const { log } = o;
  const started = await startRun(o, 'enforcing');
  if (typeof started === 'number') return started;
  const { systemd, live } = started;
  const { dataplane } = live;
  const outputs = WorkersRun.open(o, live);
  let running: InlineWorkers;
  let metrics: MetricsServer | null;
  try {
    ({ pool: running, metrics } = await outputs.start(() => spawnInlineWorkers(live.view, [f.inside, f.outside], workers, outputs.spec, outputs.realtime), 'inline'));
  } catch (e) {
    return startFailed(e, o);
  }
  // A share of the flows nobody bridges: exit as a crash does (the link is cut, failing closed).
  running.onFailure = exitOnWorkerFailure(o, 'stopping');
  dropPrivileges(o);
  const interfaces = managedInterfaces(live);
  log.info(
    {
      event: 'start', mode: 'inline', capture: 'afpacket', offloads: ringVnetHeaders(), inside: f.inside, outside: f.outside, workers, interfaces, modelVersion: dataplane.modelVersion,
      metrics: metrics?.address ?? null, ...modelSourceFields(live),
    },
    'inline mode enforcing',
  );
  outputs.startTicker();
  const signals = stopSignals(() => outputs.hangup(), systemd);
  log.info(
    { event: 'ready', mode: 'inline', workers },
    `inline mode between ${f.inside} (inside) and ${f.outside} (outside) (capture: afpacket, ${workers} workers in a fanout group per interface), ` +
      `${interfaces.length} managed interfaces${metricsNote(metrics)}${live.readyNote}; SIGINT/SIGTERM to stop${live.hangupHint}`,
  );
  systemd.ready(`inline between ${f.inside} and ${f.outside}, ${workers} workers, ${interfaces.length} managed interfaces, model version ${dataplane.modelVersion}`);
  const signal = await signals.stopped;
  running.onFailure = null;
  const each = await running.stats();
  const s = sumInlineStats(each);
  outputs.detach();
  // Each worker sends its last outputs before it says it closed: the files below get them all.
  await running.close();
  await live.close();
  await outputs.close();
  const sum = (a: readonly number[]): number => a[0]! + a[1]!;
  const captureDrops = s.captures.reduce((n, c) => n + c.drops, 0);
  log.info(
    {
      event: 'stop',
      signal,
      workers,
      perWorker: each.map((w) => w.frames),
      frames: s.frames,
      forwarded: sum(s.forwarded),
      dropped: sum(s.dropped),
      neighbourDiscovery: sum(s.neighbourDiscovery),
      truncated: sum(s.truncated),
      offloaded: sum(s.offloaded),
      offloadedSegments: sum(s.offloadedSegments),
      injectErrors: sum(s.injectErrors),
      failures: s.failures,
      captureDrops,
      lastError: s.lastError,
      reloads: live.reloads?.reloads ?? 0,
      reloadFailures: live.reloads?.failures ?? 0,
      workerPauses: s.pauses,
    },
    `${signal}: stopped; frames ${s.frames} forwarded ${sum(s.forwarded)} dropped ${sum(s.dropped)} (${workers} workers: ${each.map((w) => w.frames).join(' / ')})` +
      (captureDrops ? ` capture drops ${captureDrops}` : '') +
      (sum(s.injectErrors) ? ` inject errors ${sum(s.injectErrors)} (${s.lastError})` : ''),
  );
  signals.release();
  return ExitCode.ok;
}
