// Child process of the crash test: opens the store in argv[2] and applies workload calls forever,
// continuing from where the store stands, printing each call's seq once it is acknowledged. The
// test kills it with SIGKILL at a random moment.
import { openDurableStore } from '../../../src/state/durable-store.js';
import { SeqIds, workloadCall } from './workload.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: crash-child DIR');
const ids = new SeqIds();
const store = await openDurableStore(dir, { snapshotEvery: Number(process.argv[3] ?? 7), service: { idGenerator: ids.next } });
process.stdout.write(`open ${store.seq}\n`);
for (;;) {
  const i = store.seq + 1;
  ids.begin(i);
  const { action, params } = workloadCall(i);
  await store.apply(action, params);
  // stdout on a pipe is synchronous on Linux: once this returns, the parent can see the ack.
  process.stdout.write(`ack ${i}\n`);
}
