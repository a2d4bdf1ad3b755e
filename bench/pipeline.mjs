// Issue 6 item 2: decode + conntrack + classify + verdict over a generated in-memory capture
// (1,000 rules with group references, 200 interfaces, ~100k concurrent flows). Frames/s and
// ns/frame of Dataplane.judge (median of passes, a fresh Dataplane each), decode alone over the
// same frames, and the reference evaluator on a prefix of the frames, with the Dataplane timed on
// that same prefix in the same round for the ratio (and their verdicts compared).
import { hugePageMemory } from '../dist/capture/huge-pages.js';
import { Dataplane, JUDGE_BATCH } from '../dist/dataplane/dataplane.js';
import { ReferenceEvaluator } from '../dist/dataplane/reference-evaluator.js';
import { FIRST_DROP_REASON, isAllowed, REASON_NAMES } from '../dist/dataplane/verdict.js';
import { SecurityGroupService } from '../dist/control/service.js';
import { decodeFrame } from '../dist/packet/decode.js';
import { PacketView } from '../dist/packet/packet-view.js';
import { makeFrames, makeModel, stateDocument } from './lib/workload.mjs';
import { judgeEach, judgeStaged } from './lib/judge-loops.mjs';
import { median } from './lib/stats.mjs';

const judgeAll = (dp, w, count) => judgeEach(dp, w, count, FIRST_DROP_REASON);

function decodeAll(view, w) {
  const { data, offsets, lengths, linkType, count } = w;
  let ok = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) if (decodeFrame(linkType, data, offsets[i], lengths[i], view, lengths[i]) === 0) ok++;
  return { ns: Number(process.hrtime.bigint() - t0), ok };
}

/** @returns {{ rows: object[], workload: object }} */
export function runPipeline({ quick = false, smoke = false, rules = 1000 } = {}) {
  const frames = smoke ? 5_000 : quick ? 100_000 : 1_000_000;
  const concurrent = smoke ? 500 : quick ? 10_000 : 100_000;
  const passes = smoke ? 1 : quick ? 3 : 5;
  const refFrames = smoke ? 200 : quick ? 2_000 : 10_000;
  const model = makeModel({ rules });
  const svc = new SecurityGroupService();
  svc.importSnapshot(stateDocument(model));
  const g0 = performance.now();
  const w = makeFrames(model, { frames, concurrent });
  const generateMs = performance.now() - g0;
  // The table starts with all the slots its capacity needs, as a long-running firewall's has
  // grown to (and as every build before the table grew had it); `growing` starts it at 2 MiB.
  const fresh = () => new Dataplane(svc, { conntrackCapacity: 1 << 20, recordMemory: hugePageMemory, conntrackInitialSlots: 1 << 21 });
  const growing = () => new Dataplane(svc, { conntrackCapacity: 1 << 20, recordMemory: hugePageMemory });

  // warm-up: JIT the judge loop on a prefix
  judgeAll(fresh(), w, Math.min(w.count, 100_000)); // (smoke: the whole capture)
  const view = new PacketView();
  decodeAll(view, w);

  judgeStaged(fresh(), w, Math.min(w.count, 100_000), FIRST_DROP_REASON, JUDGE_BATCH);
  const judgeNs = [];
  const judgeCpuNs = [];
  const growingCpuNs = [];
  const stagedCpuNs = [];
  let stagedAllowed = 0;
  const decodeNs = [];
  const refNs = [];
  const refSubsetNs = [];
  const ratios = [];
  let allowed = 0;
  let disagreements = 0;
  let lastDp;
  for (let p = 0; p < passes; p++) {
    const dp = fresh();
    const r = judgeAll(dp, w, w.count);
    judgeNs.push(r.ns / w.count);
    judgeCpuNs.push(r.cpuNs / w.count);
    allowed = r.allowed;
    lastDp = dp;
    growingCpuNs.push(judgeAll(growing(), w, w.count).cpuNs / w.count);
    const staged = judgeStaged(fresh(), w, w.count, FIRST_DROP_REASON, JUDGE_BATCH);
    stagedCpuNs.push(staged.cpuNs / w.count);
    stagedAllowed = staged.allowed;
    decodeNs.push(decodeAll(view, w).ns / w.count);
    // the reference and the Dataplane on the same prefix, back to back, for the ratio
    const ref = new ReferenceEvaluator(svc);
    const sub = fresh();
    const { data, offsets, lengths, timesMs, linkType } = w;
    const refReasons = new Uint8Array(refFrames);
    const subReasons = new Uint8Array(refFrames);
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < refFrames; i++) refReasons[i] = ref.judge(linkType, data, offsets[i], lengths[i], timesMs[i]);
    const refTotal = Number(process.hrtime.bigint() - t0);
    t0 = process.hrtime.bigint();
    for (let i = 0; i < refFrames; i++) subReasons[i] = sub.judge(linkType, data, offsets[i], lengths[i], timesMs[i]);
    const subTotal = Number(process.hrtime.bigint() - t0);
    disagreements = 0;
    for (let i = 0; i < refFrames; i++) if (isAllowed(refReasons[i]) !== isAllowed(subReasons[i])) disagreements++;
    refNs.push(refTotal / refFrames);
    refSubsetNs.push(subTotal / refFrames);
    ratios.push(refTotal / subTotal);
  }
  const ns = median(judgeNs);
  const reasons = {};
  lastDp.reasonCounts.forEach((n, i) => n && (reasons[REASON_NAMES[i]] = n));
  return {
    workload: { rules, interfaces: model.ifaces.length, groups: model.G, frames: w.count, megabytes: w.bytes / 1e6, flows: w.flows, concurrentFlows: concurrent, kinds: w.kinds, generateMs, passes, allowedFraction: allowed / w.count, reasons, trackedFlowsAtEnd: lastDp.conntrack.size },
    rows: [
      { stage: 'decode only', nsPerFrame: median(decodeNs), framesPerSec: 1e9 / median(decodeNs), frames: w.count, note: `${((median(decodeNs) / ns) * 100).toFixed(0)}% of judge` },
      { stage: 'Dataplane.judge (full pipeline)', nsPerFrame: ns, framesPerSec: 1e9 / ns, frames: w.count, note: `target ≥ 5,000,000 frames/s: ${1e9 / ns >= 5e6 ? 'met' : `missed (${((5e6 * ns) / 1e9).toFixed(1)}× short)`}` },
      { stage: 'Dataplane.judge, CPU time only', nsPerFrame: median(judgeCpuNs), framesPerSec: 1e9 / median(judgeCpuNs), frames: w.count, note: 'process CPU time of the same passes (excludes time descheduled)' },
      {
        stage: 'Dataplane.judge, CPU time, the table growing from 2 MiB',
        nsPerFrame: median(growingCpuNs),
        framesPerSec: 1e9 / median(growingCpuNs),
        frames: w.count,
        note: `each pass also grows a fresh table to what its flows need (page faults, migration): ×${(median(growingCpuNs) / median(judgeCpuNs)).toFixed(2)} the time`,
      },
      {
        stage: `staged batches of ${JUDGE_BATCH} (stageBatch → judgeStaged), CPU time`,
        nsPerFrame: median(stagedCpuNs),
        framesPerSec: 1e9 / median(stagedCpuNs),
        frames: w.count,
        note: `as the AF_PACKET and NFQUEUE loops judge; ×${(median(judgeCpuNs) / median(stagedCpuNs)).toFixed(2)} vs frame by frame; ${stagedAllowed === allowed ? 'same' : 'DIFFERENT'} allowed count; target ≥ 5,000,000 frames/s: ${1e9 / median(stagedCpuNs) >= 5e6 ? 'met' : `missed (${((5e6 * median(stagedCpuNs)) / 1e9).toFixed(1)}× short)`}`,
      },
      { stage: `Dataplane.judge, first ${refFrames} frames`, nsPerFrame: median(refSubsetNs), framesPerSec: 1e9 / median(refSubsetNs), frames: refFrames, note: 'a fresh Dataplane: the first frames are mostly new flows' },
      { stage: `ReferenceEvaluator, same ${refFrames} frames`, nsPerFrame: median(refNs), framesPerSec: 1e9 / median(refNs), frames: refFrames, note: `Dataplane ${median(ratios).toFixed(0)}× faster; ${disagreements} verdicts differ` },
    ],
    ratioToReference: median(ratios),
    disagreements,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = runPipeline({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(out, null, 2));
}
