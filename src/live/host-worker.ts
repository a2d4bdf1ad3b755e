// A worker thread of `sgfw run --mode host --workers N` (the entry module; started by
// host-workers.ts): it binds one NFQUEUE queue of the balanced range and judges that queue's
// packets with its own Dataplane over a mirror of the model. The kernel's queue-balance hash puts
// both directions of an address pair on one queue, so a flow's packets reach one worker and its
// connection-tracking table. Model changes come from the main thread; each is acked once in force.
// Per-packet outputs (verdict lines, flow observations, sampled drop lines) go to the main thread
// in batches (worker-output.ts); a scrape asks for this worker's metric families.
import { parentPort, workerData } from 'node:worker_threads';
import { hugePageMemory } from '../capture/huge-pages.js';
import { NfqueueReader } from '../capture/nfqueue.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { ModelMirror } from '../dataplane/model-mirror.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { HostEnforcer } from './host-enforcer.js';
import { hostMetricFamilies } from './host-metrics.js';
import type { FromHostWorker, HostWorkerInit, ToHostWorker } from './host-worker-protocol.js';
import { recordLastFlow } from './verdict-duties.js';
import { WorkerOutputBuffer } from './worker-output.js';

const port = parentPort!;
const init = workerData as HostWorkerInit;
const send = (m: FromHostWorker): void => port.postMessage(m);

try {
  const mirror = new ModelMirror(init.image);
  const dataplane = new Dataplane(mirror, { conntrackCapacity: init.conntrackCapacity, recordMemory: hugePageMemory });
  const { verdicts, flows, dropRate } = init.outputs;
  const output = new WorkerOutputBuffer((batch) => send({ kind: 'output', batch }));
  const sampler = new DropSampler(dropRate);
  const enforcer = new HostEnforcer(
    dataplane,
    verdicts ? output : null,
    undefined,
    dropRate > 0 ? { sampler, logger: output } : null,
    flows ? { record: (accepted) => recordLastFlow(dataplane, output, accepted) } : null,
  );
  const ticker = dropRate > 0 ? setInterval(() => sampler.tick(), 1000) : null;
  const inForce = (): void => void Atomics.store(init.versions, init.index, dataplane.modelVersion);
  inForce();
  const reader = new NfqueueReader({ queueNum: init.queueNum, maxLen: init.maxLen, failOpen: init.failOpen }, enforcer.onBatch);
  port.on('message', (m: ToHostWorker) => {
    // Messages are handled between batches: a change is in force from the next batch on.
    if (m.kind === 'delta') {
      mirror.apply(m.delta);
      dataplane.applyModel(m.delta.change);
      inForce();
      send({ kind: 'ack', generation: m.generation });
    } else if (m.kind === 'image') {
      mirror.reset(m.image);
      dataplane.applyModel();
      inForce();
      send({ kind: 'ack', generation: m.generation });
    } else if (m.kind === 'stats') {
      send({
        kind: 'stats',
        packets: enforcer.packets,
        allowed: enforcer.allowed,
        dropped: enforcer.dropped,
        failedBatches: enforcer.failedBatches,
        lastError: enforcer.lastError?.message ?? null,
        conntrackEntries: dataplane.conntrack.size,
        modelVersion: dataplane.modelVersion,
        queue: reader.stats(),
      });
    } else if (m.kind === 'metrics') {
      const families = hostMetricFamilies({ dataplane, enforcer, queue: () => reader.stats(), dropLogsSuppressed: () => sampler.suppressedTotal });
      send({ kind: 'metrics', families, judged: enforcer.packets, reasonCounts: Array.from(dataplane.reasonCounts) });
    } else {
      reader.close();
      if (ticker) clearInterval(ticker);
      // what the last batches produced, before the main thread closes its files
      output.flush();
      send({ kind: 'closed' });
      port.close();
    }
  });
  reader.start();
  send({ kind: 'ready' });
} catch (e) {
  send({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  port.close();
}
