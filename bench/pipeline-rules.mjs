// The pipeline's cost for the frames the rules decide (issue 18 item 4): the bench workload (1,000
// rules, bench/lib/workload.mjs) is judged once frame by frame; the frames it judged other than
// `tracked` (new flows allowed by a rule and inserted, untracked flows judged by the rules at every
// frame, denied frames) are then judged again in staged batches (stageBatch → judgeStaged, as the
// live loops), each pass on a fresh Dataplane (the new flows must be new again), at their own
// times. Prints the CPU ns per frame of all of them and of each kind alone (`rule`,
// `rule-untracked`, `denied`), and how many verdicts differ from the first judging (0 expected:
// none of these frames depends on a frame left out). bench/pipeline-established.mjs is its peer
// for the `tracked` frames.
//   npm run build && node bench/pipeline-rules.mjs [--flows N] [--frames N] [--passes N] [--only KIND]
import { JUDGE_BATCH } from '../dist/dataplane/dataplane.js';
import { Reason, FIRST_DROP_REASON } from '../dist/dataplane/verdict.js';
import { pipelineSetup } from './lib/pipeline-setup.mjs';
import { median } from './lib/stats.mjs';

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt < 0 ? null : process.argv[onlyAt + 1];
const KINDS = { all: () => true, rule: (r) => r === Reason.RULE, 'rule-untracked': (r) => r === Reason.RULE_UNTRACKED, denied: (r) => r >= FIRST_DROP_REASON };
if (only !== null && !(only in KINDS)) throw new Error(`--only: one of ${Object.keys(KINDS).join(', ')}, got ${only}`);

const { w, concurrent, passes, fresh } = pipelineSetup();
const first = new Uint8Array(w.count);
{
  const dp = fresh();
  for (let i = 0; i < w.count; i++) first[i] = dp.judge(w.linkType, w.data, w.offsets[i], w.lengths[i], w.timesMs[i]);
}

/** The frames of one kind: stageBatch's meta, their times and first verdicts. */
function pick(kind) {
  const keep = KINDS[kind];
  const picked = [];
  for (let i = 0; i < w.count; i++) if (first[i] !== Reason.TRACKED && keep(first[i])) picked.push(i);
  const meta = new Uint32Array(picked.length * 2);
  const times = new Float64Array(picked.length);
  const want = new Uint8Array(picked.length);
  picked.forEach((i, k) => {
    meta[2 * k] = w.offsets[i];
    meta[2 * k + 1] = w.lengths[i];
    times[k] = w.timesMs[i];
    want[k] = first[i];
  });
  return { kind, n: picked.length, meta, times, want, ns: [], sys: [], differ: 0 };
}

/** One pass over a kind's frames on a fresh Dataplane: CPU ns per frame. */
function pass(set) {
  const dp = fresh();
  const { n, meta, times, want } = set;
  let differ = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i += JUDGE_BATCH) {
    const k = Math.min(JUDGE_BATCH, n - i);
    dp.stageBatch(w.linkType, w.data, meta, i, k, 2, 0, 1);
    for (let j = 0; j < k; j++) {
      dp.clock[0] = times[i + j];
      if (dp.judgeStaged(j) !== want[i + j]) differ++;
    }
  }
  const c = process.cpuUsage(c0);
  set.differ = Math.max(set.differ, differ);
  set.sys.push((c.system * 1000) / n);
  return ((c.user + c.system) * 1000) / n;
}

const sets = (only ? [only] : Object.keys(KINDS)).map(pick);
for (const s of sets) pass(s); // warm-up
for (let p = 0; p < passes; p++) for (const s of sets) s.ns.push(pass(s));
const counts = {};
for (let i = 0; i < w.count; i++) counts[first[i]] = (counts[first[i]] ?? 0) + 1;
console.log(
  JSON.stringify(
    {
      workload: { rules: 1000, concurrentFlows: concurrent, frames: w.count, passes, reasons: counts },
      kinds: Object.fromEntries(
        sets.map((s) => [s.kind, { frames: s.n, share: Number((s.n / w.count).toFixed(3)), stagedCpuNsPerFrame: s.ns.map((x) => Number(x.toFixed(1))), median: Number(median(s.ns).toFixed(1)), systemNs: Number(median(s.sys).toFixed(1)), differ: s.differ }]),
      ),
    },
    null,
    2,
  ),
);
