// A worker thread of `sgfw run --mode inline --workers N` (the entry module; started by
// inline-workers.ts through the live worker pool): an inline bridge of its own (its Dataplane over
// a mirror of the model, kept in step by live-worker.ts) on its own AF_PACKET socket per interface,
// each in the interface's PACKET_FANOUT group. The group's cBPF program (in the afpacket addon)
// hashes the address pair the same both ways, an ICMP error by the datagram it quotes, and every
// worker joins both groups at the same place (the pool starts them one at a time), so both
// directions of a flow, and a router's errors about it, reach one worker and its
// connection-tracking table. What a worker receives on one side it sends out of the other from its
// own socket there. Per-packet outputs (verdict lines, flow observations, sampled drop lines) go to
// the main thread in batches (worker-output.ts); a scrape asks for this worker's metric families.
import { AfPacketSocket, ringVnetHeaders } from '../capture/afpacket.js';
import { CaptureError } from '../capture/capture-error.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { LinkType } from '../packet/link-types.js';
import { InlineBridge, Side } from './inline-bridge.js';
import type { InlineWorkerInit, InlineWorkerStarted, InlineWorkerStats } from './inline-worker-protocol.js';
import { inlineMetricFamilies } from './inline-metrics.js';
import { serveLiveWorker } from './live-worker.js';
import { recordLastFlow } from './verdict-duties.js';
import { WorkerOutputBuffer } from './worker-output.js';

/** Expired flows are reclaimed a slice at a time between batches, as on one thread (run-inline.ts). */
const SWEEP_EVERY_MS = 1000;
const SWEEP_SLICE = 1 << 14;

serveLiveWorker<InlineWorkerInit, InlineWorkerStats>((dataplane, init, after, send) => {
  const groups = (after as InlineWorkerStarted | undefined)?.fanout;
  const { verdicts, flows, dropRate } = init.outputs;
  const output = new WorkerOutputBuffer(send);
  const sampler = new DropSampler(dropRate);
  // Offloaded frames arrive whole and go out whole (inline-bridge.ts), as on one thread.
  const vnetHeaders = ringVnetHeaders();
  const bridge = new InlineBridge(dataplane, LinkType.ETHERNET, {
    vnetHeaders,
    verdicts: verdicts ? output : null,
    drops: dropRate > 0 ? { sampler, logger: output } : null,
    flows: flows ? { record: (accepted) => recordLastFlow(dataplane, output, accepted) } : null,
  });
  const sockets: AfPacketSocket[] = [];
  try {
    for (const side of [Side.INSIDE, Side.OUTSIDE]) {
      const onBatch = side === Side.INSIDE ? bridge.onInsideBatch : bridge.onOutsideBatch;
      const device = init.devices[side]!;
      const s = new AfPacketSocket(device, (b) => onBatch(b.data, b.meta, b.count), { fanout: groups ? groups[side]! : 'new', vnetHeader: vnetHeaders });
      sockets.push(s);
      if (s.linkType !== LinkType.ETHERNET) throw new CaptureError(device, `inline mode bridges Ethernet; this interface has link type ${s.linkType}`);
    }
  } catch (e) {
    for (const s of sockets) s.close();
    throw e;
  }
  const [inside, outside] = sockets as [AfPacketSocket, AfPacketSocket];
  bridge.attach(inside, outside);
  const sweeper = setInterval(() => dataplane.conntrack.sweep(performance.now(), SWEEP_SLICE), SWEEP_EVERY_MS);
  const ticker = dropRate > 0 ? setInterval(() => sampler.tick(), 1000) : null;
  const started: InlineWorkerStarted = { fanout: [inside.fanoutGroup!, outside.fanoutGroup!] };
  return {
    started,
    stats: () => ({
      frames: bridge.frames,
      received: [...bridge.received],
      forwarded: [...bridge.forwarded],
      dropped: [...bridge.dropped],
      truncated: [...bridge.truncated],
      offloaded: [...bridge.offloaded],
      offloadedSegments: [...bridge.offloadedSegments],
      neighbourDiscovery: [...bridge.neighbourDiscovery],
      injectErrors: [...bridge.injectErrors],
      failures: bridge.failures,
      lastError: bridge.lastError?.message ?? null,
      conntrackEntries: dataplane.conntrack.size,
      modelVersion: dataplane.modelVersion,
      captures: [inside.stats(), outside.stats()],
    }),
    metrics: () => ({
      families: inlineMetricFamilies({
        dataplane, bridge, verdicts: bridge.counters, devices: init.devices, dropLogsSuppressed: () => sampler.suppressedTotal, captureStats: (side) => sockets[side]!.stats(),
      }),
      judged: bridge.frames,
      reasonCounts: Array.from(dataplane.reasonCounts),
    }),
    close: () => {
      clearInterval(sweeper);
      if (ticker) clearInterval(ticker);
      // Forgotten first: a frame still delivered goes nowhere; the kernel's counters were read by stats().
      bridge.detach();
      inside.close();
      outside.close();
      // what the last batches produced, before the main thread closes its files
      output.flush();
    },
  };
});
