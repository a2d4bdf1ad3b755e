// `sgfw run --mode host --workers N` (N > 1; the default is the cores available): the packets
// through N NFQUEUE queues (--queue-balance from --queue on), each read and judged by a worker
// thread (live/host-workers.ts); this thread keeps the model (state files and SIGHUP, the API, a
// fleet agent or an EC2 account), and a change answers (the API) once it is in force on every
// worker. Per-packet outputs (--verdicts, --flow-log, drop lines) come from the workers in batches
// and are written here as one output (live/worker-output.ts); --metrics asks every worker at scrape
// time and serves the sums under the names one thread uses (live/worker-metrics.ts).
//
// Inline mode through the kernel bridge (`--mode inline --capture nfqueue`, any N) runs the very
// same workers and lifecycle: the kernel forwards between --inside and --outside through a bridge
// sgfw sets up (live/kernel-bridge.ts) and queues each IP packet crossing it; the workers count it
// by side too, and the stop puts the bridge, sysctls and rules back instead of removing host
// mode's rules.
import type { BridgePorts, HostWorkerStats } from '../live/host-worker-protocol.js';
import { HostWorkers } from '../live/host-workers.js';
import { checkPorts, restoreKernelBridge, setUpKernelBridge } from '../live/kernel-bridge.js';
import { installQueueRules, removeQueueRules } from '../live/queue-rules.js';
import type { MetricsServer } from '../observe/metrics-server.js';
import { ExitCode } from './exit-codes.js';
import type { HostFlags } from './run-host.js';
import type { InlineFlags } from './run-inline.js';
import { dropPrivileges, startFailed, stopSignals } from './run-lifecycle.js';
import { managedInterfaces, metricsNote, modelSourceFields, startRun } from './run-start.js';
import type { RunOptions } from './run-options.js';
import { exitOnWorkerFailure, WorkersRun } from './run-workers.js';

/** The kernel bridge's ports for inline mode; none: host mode. */
type Bridge = BridgePorts | null;

export async function runHostWorkers(o: RunOptions, h: HostFlags, workers: number): Promise<number> {
  return runQueueWorkers(o, h, workers, null);
}

/**
 * `--mode inline --capture nfqueue`: the interfaces checked first (a bad one fails the start in one
 * line before anything else happens), then host mode's workers through the kernel bridge.
 */
export async function runInlineQueue(o: RunOptions, f: Pick<InlineFlags, 'inside' | 'outside'>, h: HostFlags, workers: number): Promise<number> {
  let insideIndex: number;
  try {
    // A packet's side is its bridge port in: the inside interface's index, known before the bridge.
    ({ insideIndex } = await checkPorts(f));
  } catch (e) {
    return startFailed(e, o);
  }
  return runQueueWorkers(o, h, workers, { devices: [f.inside, f.outside], insideIndex });
}

async function runQueueWorkers(o: RunOptions, h: HostFlags, workers: number, bridge: Bridge): Promise<number> {
  const { log } = o;
  const { queueNum, maxLen, failOpen } = h;
  const mode = bridge ? 'inline' : 'host';
  const started = await startRun(o, 'enforcing');
  if (typeof started === 'number') return started;
  const { systemd, live } = started;
  const { dataplane } = live;
  const outputs = WorkersRun.open(o, live);
  let running: HostWorkers;
  let metrics: MetricsServer | null;
  try {
    ({ pool: running, metrics } = await outputs.start(
      () =>
        HostWorkers.spawn(live.view, {
          queueBase: queueNum, workers, maxLen, failOpen, outputs: outputs.spec,
          ...(outputs.realtime !== undefined ? { realtime: outputs.realtime } : {}), ...(bridge ? { bridge } : {}),
        }),
      mode,
      // The queues are bound first; the rules (and the bridge's ports) come after.
      bridge
        ? () => setUpKernelBridge({ inside: bridge.devices[0], outside: bridge.devices[1], queueNum, queues: workers, failOpen })
        : () => installQueueRules({ queueNum, queues: workers, failOpen }),
    ));
  } catch (e) {
    return startFailed(e, o);
  }
  // A queue nobody reads: exit as a crash does, leaving the rules (and the bridge), so the host or
  // the link fails closed (or open with --fail-open) until sgfw runs again, which clears them first.
  running.onFailure = exitOnWorkerFailure(o, bridge ? 'stopping with the bridge and its rules left in' : 'stopping with the rules left in');
  dropPrivileges(o);
  const interfaces = managedInterfaces(live);
  const queues = `${queueNum}:${queueNum + workers - 1}`;
  const where = bridge ? { capture: 'nfqueue', inside: bridge.devices[0], outside: bridge.devices[1] } : {};
  log.info(
    {
      event: 'start', mode, ...where, queue: queueNum, queues, workers, failOpen, interfaces, modelVersion: dataplane.modelVersion,
      metrics: metrics?.address ?? null, ...modelSourceFields(live),
    },
    `${mode} mode enforcing`,
  );
  outputs.startTicker();
  const signals = stopSignals(() => outputs.hangup(), systemd);
  const what = bridge
    ? `inline mode between ${bridge.devices[0]} (inside) and ${bridge.devices[1]} (outside) (capture: nfqueue, the kernel bridge with NFQUEUE ${queues}, ${workers} workers)`
    : `host mode on NFQUEUE ${queues} (${workers} workers)`;
  log.info(
    { event: 'ready', mode, workers },
    `${what}, ${interfaces.length} managed interfaces, fail ${failOpen ? 'open' : 'closed'}${metricsNote(metrics)}${live.readyNote}; SIGINT/SIGTERM to stop${live.hangupHint}`,
  );
  systemd.ready(`${bridge ? `inline between ${bridge.devices.join(' and ')} through the kernel bridge, NFQUEUE` : 'host mode on NFQUEUE'} ${queues}, ${workers} workers, ${interfaces.length} managed interfaces, model version ${dataplane.modelVersion}`);
  const signal = await signals.stopped;
  running.onFailure = null;
  // Rules first (inline: the bridge first, so nothing crosses any more): packets stop being queued before the workers go away.
  const restoreError = bridge ? await restoreKernelBridge({ inside: bridge.devices[0], outside: bridge.devices[1] }).then(() => null, (e: Error) => e.message) : (await removeQueueRules(), null);
  if (restoreError !== null) log.error({ event: 'restore-failed' }, restoreError);
  const s = await running.stats();
  outputs.detach();
  // Each worker sends its last outputs before it says it closed: the files below get them all.
  await running.close();
  await live.close();
  await outputs.close();
  const common = {
    event: 'stop', signal, workers, perWorker: s.perWorker, queue: s.queue, related: s.related, failedBatches: s.failedBatches, lastError: s.lastError,
    reloads: live.reloads?.reloads ?? 0, reloadFailures: live.reloads?.failures ?? 0, workerPauses: s.pauses,
  };
  const tail = (s.queue.enobufs ? ` overruns ${s.queue.enobufs}` : '') + (s.failedBatches ? ` failed batches ${s.failedBatches} (${s.lastError})` : '');
  if (bridge) {
    const { fields, text } = inlineStop(s);
    log.info({ ...common, capture: 'nfqueue', ...fields, restoreError }, `${signal}: bridge removed; ${text} (${workers} workers: ${s.perWorker.join(' / ')})${tail}`);
  } else {
    log.info({ ...common, packets: s.packets, allowed: s.allowed, dropped: s.dropped }, `${signal}: rules removed; packets ${s.packets} allowed ${s.allowed} dropped ${s.dropped} (${workers} workers)${tail}`);
  }
  signals.release();
  return restoreError === null ? ExitCode.ok : ExitCode.failed;
}

/** Inline mode's stop record and line, in the afpacket bridge's words (frames, forwarded, dropped). */
function inlineStop(s: HostWorkerStats): { fields: Record<string, number>; text: string } {
  const sides = s.sides;
  const sum = (a: readonly number[] | undefined): number => (a ? a[0]! + a[1]! : 0);
  const fields = {
    frames: s.packets, forwarded: sum(sides?.forwarded), dropped: sum(sides?.dropped), neighbourDiscovery: sum(sides?.neighbourDiscovery),
    offloaded: sum(sides?.offloaded), failures: sides?.failures ?? 0,
  };
  return { fields, text: `frames ${fields.frames} forwarded ${fields.forwarded} dropped ${fields.dropped}` };
}
