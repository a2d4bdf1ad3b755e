// Two builds of the pipeline side by side in one process, for A/B comparisons on a noisy machine:
//   node bench/pipeline-ab.mjs TREE_A TREE_B [ROUNDS=8] [MODE=staged]
// TREE_A and TREE_B are checkouts with a built dist/ (and native-bindings/ built or symlinked, for
// the huge-page records). MODE: `staged` (stage + prefetchStaged + judgeStaged), `batch`
// (stageBatch + judgeStaged, as the live loops), `each` (judgeNow frame by frame), or `A,B` to give
// each build its own. The bench workload (bench/lib/workload.mjs: 1,000 rules, 100k concurrent
// flows, 1M frames) is built once; each build gets its own copy of the loop (no type feedback
// shared), and fresh Dataplanes of the two (huge-page records, 2^21 slots, as bench/pipeline.mjs)
// alternate pass by pass, A first in even rounds and B first in odd ones. Prints each pass's
// process CPU ns/frame, the medians and the median of the rounds' B/A ratios.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeFrames, makeModel, stateDocument } from './lib/workload.mjs';
import { median } from './lib/stats.mjs';

const [treeA, treeB] = [resolve(process.argv[2] ?? '.'), resolve(process.argv[3] ?? '.')];
const rounds = Number(process.argv[4] ?? 8);
const [modeA, modeB = modeA] = (process.argv[5] ?? 'staged').split(',');

async function load(tree) {
  const url = (p) => pathToFileURL(`${tree}/dist/${p}`).href;
  const { hugePageMemory } = await import(url('capture/huge-pages.js'));
  const { Dataplane, JUDGE_BATCH } = await import(url('dataplane/dataplane.js'));
  const { FIRST_DROP_REASON } = await import(url('dataplane/verdict.js'));
  const { SecurityGroupService } = await import(url('control/service.js'));
  return { hugePageMemory, Dataplane, JUDGE_BATCH, FIRST_DROP_REASON, SecurityGroupService };
}

const model = makeModel({ rules: 1000 });
const w = makeFrames(model, { frames: 1_000_000, concurrent: 100_000 });

const LOOP = `return function run(dp, n) {
  const { data, offsets, lengths, meta, timesMs, linkType } = w;
  let allowed = 0;
  const c0 = process.cpuUsage();
  if (mode === 'each') {
    for (let i = 0; i < n; i++) { dp.clock[0] = timesMs[i]; if (dp.judgeNow(linkType, data, offsets[i], lengths[i], lengths[i]) < F) allowed++; }
  } else {
    for (let i = 0; i < n; i += B) {
      const k = Math.min(B, n - i);
      if (mode === 'batch') dp.stageBatch(linkType, data, meta, i, k, 2, 0, 1);
      else { for (let j = 0; j < k; j++) dp.stage(j, linkType, data, offsets[i + j], lengths[i + j], lengths[i + j]); dp.prefetchStaged(k); }
      for (let j = 0; j < k; j++) { dp.clock[0] = timesMs[i + j]; if (dp.judgeStaged(j) < F) allowed++; }
    }
  }
  const c = process.cpuUsage(c0);
  return { ns: ((c.user + c.system) * 1000) / n, allowed };
}`;

function make(m, mode) {
  const svc = new m.SecurityGroupService();
  svc.importSnapshot(stateDocument(model));
  const fresh = () => new m.Dataplane(svc, { conntrackCapacity: 1 << 20, recordMemory: m.hugePageMemory, conntrackInitialSlots: 1 << 21 });
  const run = new Function('w', 'B', 'F', 'mode', LOOP)(w, m.JUDGE_BATCH, m.FIRST_DROP_REASON, mode);
  return { fresh, run, ns: [] };
}

const a = make(await load(treeA), modeA);
const b = make(await load(treeB), modeB);
a.run(a.fresh(), 100_000); // warm-up
b.run(b.fresh(), 100_000);
const allowed = new Set();
for (let r = 0; r < rounds; r++) {
  for (const x of r % 2 ? [b, a] : [a, b]) {
    const res = x.run(x.fresh(), w.count);
    x.ns.push(res.ns);
    allowed.add(res.allowed);
  }
}
const show = (x) => x.ns.map((n) => n.toFixed(0)).join(' ');
console.log(`A ${treeA} (${modeA}): ${show(a)} | median ${median(a.ns).toFixed(1)}`);
console.log(`B ${treeB} (${modeB}): ${show(b)} | median ${median(b.ns).toFixed(1)}`);
console.log(`B/A: medians ${(median(b.ns) / median(a.ns)).toFixed(3)}, median of the rounds' ratios ${median(b.ns.map((n, i) => n / a.ns[i])).toFixed(3)}; allowed ${[...allowed].join(', ')}`);
