// A worker thread of `sgfw run --mode host --workers N` (the entry module; started by
// host-workers.ts): it binds one NFQUEUE queue of the balanced range and judges that queue's
// packets with its own Dataplane over a mirror of the model. The kernel's queue-balance hash puts
// both directions of an address pair on one queue, so a flow's packets reach one worker and its
// connection-tracking table. Model changes come from the main thread; each is acked once in force.
import { parentPort, workerData } from 'node:worker_threads';
import { hugePageMemory } from '../capture/huge-pages.js';
import { NfqueueReader } from '../capture/nfqueue.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { ModelMirror } from '../dataplane/model-mirror.js';
import { ThreadPauses } from '../observe/thread-pauses.js';
import { HostEnforcer } from './host-enforcer.js';
import type { FromHostWorker, HostWorkerInit, ToHostWorker } from './host-worker-protocol.js';

const port = parentPort!;
const init = workerData as HostWorkerInit;
const send = (m: FromHostWorker): void => port.postMessage(m);

try {
  const mirror = new ModelMirror(init.image);
  const dataplane = new Dataplane(mirror, { conntrackCapacity: init.conntrackCapacity, recordMemory: hugePageMemory });
  const enforcer = new HostEnforcer(dataplane);
  const inForce = (): void => void Atomics.store(init.versions, init.index, dataplane.modelVersion);
  inForce();
  const pauses = new ThreadPauses();
  const reader = new NfqueueReader({ queueNum: init.queueNum, maxLen: init.maxLen, failOpen: init.failOpen }, enforcer.onBatch);
  port.on('message', (m: ToHostWorker) => {
    // Messages are handled between batches: a change is in force from the next batch on.
    if (m.kind === 'delta') {
      pauses.control(() => {
        mirror.apply(m.delta);
        dataplane.applyModel(m.delta.change);
      });
      inForce();
      send({ kind: 'ack', generation: m.generation });
    } else if (m.kind === 'image') {
      pauses.control(() => {
        mirror.reset(m.image);
        dataplane.applyModel();
      });
      inForce();
      send({ kind: 'ack', generation: m.generation });
    } else if (m.kind === 'stats') {
      send({
        kind: 'stats',
        packets: enforcer.packets,
        allowed: enforcer.allowed,
        dropped: enforcer.dropped,
        failedBatches: enforcer.failedBatches,
        conntrackEntries: dataplane.conntrack.size,
        modelVersion: dataplane.modelVersion,
        queue: reader.stats(),
        pauses: pauses.read(),
      });
    } else {
      reader.close();
      pauses.close();
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
