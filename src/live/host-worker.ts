// A worker thread of `sgfw run --mode host --workers N` (the entry module; started by
// host-workers.ts through the live worker pool): it binds one NFQUEUE queue of the balanced range
// and judges that queue's packets with its own Dataplane over a mirror of the model (live-worker.ts
// keeps it in step). The kernel's queue-balance hash puts both directions of an address pair on
// one queue, so a flow's packets reach one worker and its connection-tracking table.
import { NfqueueReader } from '../capture/nfqueue.js';
import { HostEnforcer } from './host-enforcer.js';
import type { HostWorkerInit, HostWorkerStats } from './host-worker-protocol.js';
import { serveLiveWorker } from './live-worker.js';

serveLiveWorker<HostWorkerInit, HostWorkerStats>((dataplane, init) => {
  const enforcer = new HostEnforcer(dataplane);
  const reader = new NfqueueReader({ queueNum: init.queueNum, maxLen: init.maxLen, failOpen: init.failOpen }, enforcer.onBatch);
  reader.start();
  return {
    stats: () => ({
      packets: enforcer.packets,
      allowed: enforcer.allowed,
      dropped: enforcer.dropped,
      failedBatches: enforcer.failedBatches,
      conntrackEntries: dataplane.conntrack.size,
      modelVersion: dataplane.modelVersion,
      queue: reader.stats(),
    }),
    close: () => reader.close(),
  };
});
