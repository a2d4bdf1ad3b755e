// A worker thread of `sgfw run --mode host --workers N` (the entry module; started by
// host-workers.ts through the live worker pool): it binds one NFQUEUE queue of the balanced range
// and judges that queue's packets with its own Dataplane over a mirror of the model (live-worker.ts
// keeps it in step). The kernel's queue-balance hash puts both directions of an address pair on
// one queue, so a flow's packets reach one worker and its connection-tracking table. Per-packet
// outputs (verdict lines, flow observations, sampled drop lines) go to the main thread in batches
// (worker-output.ts); a scrape asks for this worker's metric families. An ICMP error from a third
// address (a router) hashes anywhere: a worker that would drop it asks the others (related-relay.ts).
// With `init.bridge` (inline mode through the kernel bridge) it counts the packets by bridge side as
// well and reports inline mode's metric families.
import { NfqueueReader } from '../capture/nfqueue.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { LinkType } from '../packet/link-types.js';
import { BridgeSideCounts } from './bridge-sides.js';
import { type DeferredError, HostEnforcer } from './host-enforcer.js';
import { hostMetricFamilies } from './host-metrics.js';
import type { HostWorkerInit, HostWorkerStats } from './host-worker-protocol.js';
import { inlineMetricFamilies } from './inline-metrics.js';
import { serveLiveWorker } from './live-worker.js';
import { RelatedRelay } from './related-relay.js';
import { recordLastFlow } from './verdict-duties.js';
import { WorkerOutputBuffer } from './worker-output.js';

serveLiveWorker<HostWorkerInit, HostWorkerStats>((dataplane, init, _after, send) => {
  const { verdicts, flows, dropRate } = init.outputs;
  const output = new WorkerOutputBuffer(send);
  const sampler = new DropSampler(dropRate);
  const enforcer = new HostEnforcer(
    dataplane,
    verdicts ? output : null,
    undefined,
    dropRate > 0 ? { sampler, logger: output } : null,
    flows ? { record: (accepted) => recordLastFlow(dataplane, output, accepted) } : null,
  );
  const sides = init.bridge ? new BridgeSideCounts() : null;
  if (sides) enforcer.countSides(sides, init.bridge!.insideIndex);
  const ticker = dropRate > 0 ? setInterval(() => sampler.tick(), 1000) : null;
  const reader = new NfqueueReader({ queueNum: init.queueNum, maxLen: init.maxLen, failOpen: init.failOpen }, enforcer.onBatch);
  const relay =
    init.peers.length > 0
      ? new RelatedRelay<DeferredError>(
          init.peers,
          (frame, wireLength) => dataplane.tracksQuotedFlow(LinkType.RAW, frame, 0, frame.length, performance.now(), wireLength),
          enforcer.settle,
        )
      : null;
  if (relay) enforcer.askOthers(relay, (id, accept) => void reader.verdict(id, accept));
  reader.start();
  return {
    stats: () => ({
      packets: enforcer.packets,
      allowed: enforcer.allowed,
      dropped: enforcer.dropped,
      failedBatches: enforcer.failedBatches,
      lastError: enforcer.lastError?.message ?? null,
      conntrackEntries: dataplane.conntrack.size,
      modelVersion: dataplane.modelVersion,
      queue: reader.stats(),
      related: relay ? { ...relay.counters } : { deferred: 0, handedOver: 0, timeouts: 0, overflows: 0 },
      ...(sides
        ? {
          sides: {
            received: [...sides.received], forwarded: [...sides.forwarded], dropped: [...sides.dropped],
            neighbourDiscovery: [...sides.neighbourDiscovery], offloaded: [...sides.offloaded], failures: sides.failures,
          },
        }
        : {}),
    }),
    metrics: () => ({
      families: sides
        ? inlineMetricFamilies({
          dataplane, bridge: sides, verdicts: enforcer.duties, devices: init.bridge!.devices, queue: () => reader.stats(),
          ...(relay ? { related: () => relay.counters } : {}), dropLogsSuppressed: () => sampler.suppressedTotal,
        })
        : hostMetricFamilies({ dataplane, enforcer, queue: () => reader.stats(), ...(relay ? { related: () => relay.counters } : {}), dropLogsSuppressed: () => sampler.suppressedTotal }),
      judged: enforcer.packets,
      reasonCounts: Array.from(dataplane.reasonCounts),
    }),
    close: () => {
      relay?.close();
      reader.close();
      if (ticker) clearInterval(ticker);
      // what the last batches produced, before the main thread closes its files
      output.flush();
    },
  };
});
