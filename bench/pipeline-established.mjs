// The pipeline's cost for established flows alone (issue 18 item 4): the bench workload (1,000
// rules) is judged once frame by frame; the frames it judged `tracked` are then judged again in
// staged batches (stageBatch → judgeStaged, as the live loops), at the capture's last time, pass
// after pass on the same Dataplane. Every frame of a pass is an established flow's, so the figure
// is the floor a mixed workload's frames stand on (bench/pipeline.mjs judges the mix: new,
// untracked and denied flows too). `--flows N` sets the concurrent flows (default 100,000, as
// bench/pipeline.mjs; 2,000 keeps the records in cache and leaves the computation alone):
//   npm run build && node bench/pipeline-established.mjs [--flows N] [--frames N] [--passes N]
import { JUDGE_BATCH } from '../dist/dataplane/dataplane.js';
import { Reason } from '../dist/dataplane/verdict.js';
import { pipelineSetup } from './lib/pipeline-setup.mjs';
import { median } from './lib/stats.mjs';

const { w, concurrent, passes, fresh } = pipelineSetup();
const dp = fresh();
const picked = [];
for (let i = 0; i < w.count; i++) {
  if (dp.judge(w.linkType, w.data, w.offsets[i], w.lengths[i], w.timesMs[i]) === Reason.TRACKED) picked.push(i);
}
const atMs = w.timesMs[w.count - 1];
const meta = new Uint32Array(picked.length * 2);
picked.forEach((i, k) => {
  meta[2 * k] = w.offsets[i];
  meta[2 * k + 1] = w.lengths[i];
});

/** One pass over the picked frames: CPU ns per frame, and the fraction still judged tracked. */
function pass() {
  const n = picked.length;
  let tracked = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i += JUDGE_BATCH) {
    const k = Math.min(JUDGE_BATCH, n - i);
    dp.stageBatch(w.linkType, w.data, meta, i, k, 2, 0, 1);
    for (let j = 0; j < k; j++) {
      dp.clock[0] = atMs;
      if (dp.judgeStaged(j) === Reason.TRACKED) tracked++;
    }
  }
  const c = process.cpuUsage(c0);
  return { ns: ((c.user + c.system) * 1000) / n, tracked: tracked / n };
}

pass(); // warm-up
const runs = Array.from({ length: passes }, pass);
const ns = median(runs.map((r) => r.ns));
console.log(
  JSON.stringify(
    {
      workload: { rules: 1000, concurrentFlows: concurrent, frames: w.count, establishedFrames: picked.length, passes },
      stagedCpuNsPerFrame: runs.map((r) => Number(r.ns.toFixed(1))),
      median: Number(ns.toFixed(1)),
      framesPerSec: Math.round(1e9 / ns),
      trackedFraction: Math.min(...runs.map((r) => r.tracked)),
    },
    null,
    2,
  ),
);
