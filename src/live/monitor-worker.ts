// A worker thread of `sgfw run --mode monitor --workers N` (the entry module; started by
// monitor-workers.ts through the live worker pool): a monitor of its own (its Dataplane over a
// mirror of the model, kept in step by live-worker.ts) on its own AF_PACKET socket, both
// directions, in the interface's PACKET_FANOUT group. The group's cBPF program (in the afpacket
// addon) hashes the address pair the same both ways, an ICMP error by the datagram it quotes, and
// runs on outgoing frames as on incoming ones, so both directions of a flow, and a router's errors
// about it, reach one worker and its connection-tracking table. Nothing is dropped or sent: the
// verdict lines and flow observations go to the main thread in batches (worker-output.ts); a
// scrape asks for this worker's metric families.
import { AfPacketSocket } from '../capture/afpacket.js';
import { summarizeVerdicts } from '../dataplane/verdict-summary.js';
import { serveLiveWorker } from './live-worker.js';
import { monitorMetricFamilies } from './monitor-metrics.js';
import { MonitorJudge } from './monitor-judge.js';
import type { MonitorWorkerInit, MonitorWorkerStarted, MonitorWorkerStats } from './monitor-worker-protocol.js';
import { recordLastFlow, VerdictDuties } from './verdict-duties.js';
import { WorkerOutputBuffer } from './worker-output.js';

/** Expired flows are reclaimed a slice at a time between batches, as on one thread (monitor.ts). */
const SWEEP_EVERY_MS = 1000;
const SWEEP_SLICE = 1 << 14;

serveLiveWorker<MonitorWorkerInit, MonitorWorkerStats>((dataplane, init, after, send, view) => {
  const group = (after as MonitorWorkerStarted | undefined)?.fanout;
  const output = new WorkerOutputBuffer(send);
  const duties = new VerdictDuties(dataplane, {
    verdicts: init.outputs.verdicts ? output : null,
    flows: init.outputs.flows ? { record: (accepted) => recordLastFlow(dataplane, output, accepted) } : null,
  });
  const judge = new MonitorJudge(dataplane, duties);
  // Both directions, as one thread's monitor captures (a monitor never sends: nothing of its own comes back round).
  const socket = new AfPacketSocket(init.device, judge.onBatch, { outgoing: true, fanout: group ?? 'new' });
  judge.linkType = socket.linkType;
  const sweeper = setInterval(() => dataplane.conntrack.sweep(performance.now(), SWEEP_SLICE), SWEEP_EVERY_MS);
  const started: MonitorWorkerStarted = { fanout: socket.fanoutGroup!, linkType: socket.linkType };
  return {
    started,
    stats: () => ({
      ...summarizeVerdicts(dataplane, view),
      frames: judge.frames,
      truncated: judge.truncated,
      conntrackEntries: dataplane.conntrack.size,
      modelVersion: dataplane.modelVersion,
      capture: socket.stats(),
    }),
    metrics: () => ({ families: monitorMetricFamilies(dataplane, judge), judged: judge.frames, reasonCounts: Array.from(dataplane.reasonCounts) }),
    close: () => {
      clearInterval(sweeper);
      // the kernel's counters stand as they were at the close (stats() reads them after)
      socket.close();
      // what the last batches produced, before the main thread closes its files
      output.flush();
    },
  };
});
