// `sgfw run --mode inline --capture nfqueue`: inline mode through the kernel bridge. The kernel
// forwards the frames between --inside and --outside through a bridge sgfw sets up, and every
// IPv4/IPv6 packet crossing it is queued (br_netfilter → iptables/ip6tables → NFQUEUE, one queue
// per worker from --queue on) to host mode's queue workers (live/host-workers.ts), which judge it
// with the same Dataplane as the AF_PACKET bridge and answer accept or drop; the kernel copies
// headers only and queues GSO super-packets whole. live/kernel-bridge.ts sets the host up and puts
// it back on a clean stop (after a crash, at the next start). Fail closed: with no process reading
// a queue its packets are dropped (--fail-open: they pass). The rest is as `--capture afpacket` on
// workers (run-inline-workers.ts): the model on this thread, outputs and metrics as one thread's.
import { HostWorkers } from '../live/host-workers.js';
import { checkPorts, restoreKernelBridge, setUpKernelBridge } from '../live/kernel-bridge.js';
import type { MetricsServer } from '../observe/metrics-server.js';
import { ExitCode } from './exit-codes.js';
import type { HostFlags } from './run-host.js';
import type { InlineFlags } from './run-inline.js';
import { dropPrivileges, startFailed, stopSignals } from './run-lifecycle.js';
import { managedInterfaces, metricsNote, modelSourceFields, startRun } from './run-start.js';
import type { RunOptions } from './run-options.js';
import { exitOnWorkerFailure, WorkersRun } from './run-workers.js';

export async function runInlineQueue(o: RunOptions, f: Pick<InlineFlags, 'inside' | 'outside'>, q: HostFlags, workers: number): Promise<number> {
  const { log } = o;
  const { inside, outside } = f;
  const { queueNum, maxLen, failOpen } = q;
  const started = await startRun(o, 'enforcing');
  if (typeof started === 'number') return started;
  const { systemd, live } = started;
  const { dataplane } = live;
  const outputs = WorkersRun.open(o, live);
  let running: HostWorkers;
  let metrics: MetricsServer | null;
  try {
    // The side of a packet is its bridge port in: the inside interface's index, known before the bridge.
    const { insideIndex } = await checkPorts(f).catch(async (e: unknown) => {
      await outputs.close();
      await live.close();
      throw e;
    });
    ({ pool: running, metrics } = await outputs.start(
      () =>
        HostWorkers.spawn(live.view, {
          queueBase: queueNum, workers, maxLen, failOpen, outputs: outputs.spec, bridge: { devices: [inside, outside], insideIndex },
          ...(outputs.realtime !== undefined ? { realtime: outputs.realtime } : {}),
        }),
      'inline',
      // The queues are bound first: the rules, then the ports, come after (kernel-bridge.ts).
      () => setUpKernelBridge({ inside, outside, queueNum, queues: workers, failOpen }),
    ));
  } catch (e) {
    return startFailed(e, o);
  }
  // A queue nobody reads: exit as a crash does, leaving the bridge and its rules, so the link fails
  // closed (or open with --fail-open) until sgfw runs again and puts the host back first.
  running.onFailure = exitOnWorkerFailure(o, 'stopping with the bridge and its rules left in');
  dropPrivileges(o);
  const interfaces = managedInterfaces(live);
  const queues = `${queueNum}:${queueNum + workers - 1}`;
  log.info(
    {
      event: 'start', mode: 'inline', capture: 'nfqueue', inside, outside, queue: queueNum, queues, workers, failOpen, interfaces, modelVersion: dataplane.modelVersion,
      metrics: metrics?.address ?? null, ...modelSourceFields(live),
    },
    'inline mode enforcing',
  );
  outputs.startTicker();
  const signals = stopSignals(() => outputs.hangup(), systemd);
  log.info(
    { event: 'ready', mode: 'inline', workers },
    `inline mode between ${inside} (inside) and ${outside} (outside) (capture: nfqueue, the kernel bridge with NFQUEUE ${queues}, ${workers} workers), ` +
      `${interfaces.length} managed interfaces, fail ${failOpen ? 'open' : 'closed'}${metricsNote(metrics)}${live.readyNote}; SIGINT/SIGTERM to stop${live.hangupHint}`,
  );
  systemd.ready(`inline between ${inside} and ${outside} through the kernel bridge, ${workers} workers, ${interfaces.length} managed interfaces, model version ${dataplane.modelVersion}`);
  const signal = await signals.stopped;
  running.onFailure = null;
  // The bridge first: nothing crosses any more; then the rules and the rest, while the queues are still read.
  let restoreError: string | null = null;
  await restoreKernelBridge().catch((e: Error) => {
    restoreError = e.message;
    log.error({ event: 'restore-failed' }, e.message);
  });
  const s = await running.stats();
  outputs.detach();
  // Each worker sends its last outputs before it says it closed: the files below get them all.
  await running.close();
  await live.close();
  await outputs.close();
  const sides = s.sides ?? { received: [0, 0], forwarded: [0, 0], dropped: [0, 0], neighbourDiscovery: [0, 0], offloaded: [0, 0], failures: 0 };
  const sum = (a: readonly number[]): number => a[0]! + a[1]!;
  log.info(
    {
      event: 'stop', signal, capture: 'nfqueue', workers, perWorker: s.perWorker, frames: s.packets, forwarded: sum(sides.forwarded), dropped: sum(sides.dropped),
      neighbourDiscovery: sum(sides.neighbourDiscovery), offloaded: sum(sides.offloaded), failures: sides.failures, queue: s.queue, related: s.related,
      failedBatches: s.failedBatches, lastError: s.lastError, restoreError, reloads: live.reloads?.reloads ?? 0, reloadFailures: live.reloads?.failures ?? 0, workerPauses: s.pauses,
    },
    `${signal}: bridge removed; frames ${s.packets} forwarded ${sum(sides.forwarded)} dropped ${sum(sides.dropped)} (${workers} workers: ${s.perWorker.join(' / ')})` +
      (s.queue.enobufs ? ` overruns ${s.queue.enobufs}` : '') +
      (s.failedBatches ? ` failed batches ${s.failedBatches} (${s.lastError})` : ''),
  );
  signals.release();
  return restoreError === null ? ExitCode.ok : ExitCode.failed;
}
