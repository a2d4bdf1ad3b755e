// The judging loop alone, for profiling and for A/B comparisons of builds in one process:
// the workload and the Dataplanes are built outside the timed (and profiled) region.
//   node bench/judge-loop.mjs [--frames N] [--passes N] [--flows N] [--capacity N] [--single] [--grow [--at-once]] [--profile FILE] [DIST_DIR ...]
// The conntrack table starts grown to its capacity's slots (a long-running firewall's table, as
// every build before the table grew had it); `--grow` starts it small, so each pass also pays
// for growing it (page faults, migration); `--at-once` grows it as a replay does (every entry moved
// at each resize, `conntrackResizeAtOnce`; a build without that option grows it entry by entry).
// Builds whose Dataplane stages batches (`stageBatch`/`judgeStaged`) judge in groups of
// JUDGE_BATCH, as the live loops do; `--single` makes every build judge frame by frame (judgeNow).
// With several DIST_DIRs (each a `tsc --outDir` build), passes alternate between them on the same
// frames, so a noisy machine shifts them all alike; the table prints each build's median and its
// ratio to the first. `--profile FILE` writes a CPU profile (.cpuprofile, for Chrome DevTools or
// node --cpu-prof) of the passes only, without the workload's construction, and prints the
// functions and lines with the most self time.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeFrames, makeModel, stateDocument } from './lib/workload.mjs';
import { judgeEach, judgeStaged } from './lib/judge-loops.mjs';
import { median } from './lib/stats.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const singleAt = args.indexOf('--single');
const single = singleAt >= 0;
if (single) args.splice(singleAt, 1);
const growAt = args.indexOf('--grow');
const grow = growAt >= 0;
if (grow) args.splice(growAt, 1);
const atOnceAt = args.indexOf('--at-once');
const atOnce = atOnceAt >= 0;
if (atOnce) args.splice(atOnceAt, 1);
const profileAt = args.indexOf('--profile');
const profileFile = profileAt < 0 ? null : args.splice(profileAt, 2)[1];
const frames = opt('--frames', 1_000_000);
const passes = opt('--passes', 5);
const concurrent = opt('--flows', 100_000);
const capacity = opt('--capacity', 1 << 20);
const dists = args.length ? args.map((d) => resolve(d)) : [resolve(new URL('../dist', import.meta.url).pathname)];

const builds = [];
for (const d of dists) {
  const url = (p) => pathToFileURL(`${d}/${p}`).href;
  const { Dataplane } = await import(url('dataplane/dataplane.js'));
  const { SecurityGroupService } = await import(url('control/service.js'));
  const { FIRST_DROP_REASON } = await import(url('dataplane/verdict.js'));
  const { JUDGE_BATCH } = await import(url('dataplane/dataplane.js'));
  const batch = !single && JUDGE_BATCH ? JUDGE_BATCH : 0;
  builds.push({ dir: d, Dataplane, SecurityGroupService, firstDrop: FIRST_DROP_REASON, batch, ns: [] });
}
const model = makeModel({ rules: 1000 });
const w = makeFrames(model, { frames, concurrent });

function judgeAll(dp, count, firstDrop, batch) {
  const r = batch ? judgeStaged(dp, w, count, firstDrop, batch) : judgeEach(dp, w, count, firstDrop);
  // CPU time of this process, not wall time: on a shared machine a descheduled pass would
  // otherwise count the other tenants' work.
  return { ns: r.cpuNs, allowed: r.allowed };
}

for (const b of builds) {
  const svc = new b.SecurityGroupService();
  svc.importSnapshot(stateDocument(model));
  // (older builds ignore conntrackInitialSlots: their table is all there from the start)
  const slots = 2 ** Math.ceil(Math.log2((capacity * 4) / 3));
  b.fresh = () => new b.Dataplane(svc, { conntrackCapacity: capacity, ...(grow ? { conntrackResizeAtOnce: atOnce } : { conntrackInitialSlots: slots }) });
  judgeAll(b.fresh(), Math.min(w.count, 200_000), b.firstDrop, b.batch); // warm-up
}
let session = null;
if (profileFile) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}
for (let p = 0; p < passes; p++) {
  for (const b of builds) {
    const dp = b.fresh();
    const r = judgeAll(dp, w.count, b.firstDrop, b.batch);
    b.ns.push(r.ns / w.count);
    b.allowed = r.allowed;
    b.tracked = dp.conntrack.size;
  }
}
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileFile, JSON.stringify(profile));
  session.disconnect();
  summarize(profile, 20);
}
const base = median(builds[0].ns);
for (const b of builds) {
  const m = median(b.ns);
  console.log(
    `${b.dir}${b.batch ? ` (batches of ${b.batch})` : ''}: ${m.toFixed(1)} CPU ns/frame, ${(1e9 / m / 1e6).toFixed(2)} M frames/s, ×${(base / m).toFixed(2)} vs first, allowed ${b.allowed}, flows tracked ${b.tracked}, passes ${b.ns.map((x) => x.toFixed(0)).join(' ')}`,
  );
}

/** Self time by function and by line, as shares of all samples. */
function summarize(profile, top) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map();
  const byLine = new Map();
  for (const [id, count] of hits) {
    const { callFrame, positionTicks = [] } = nodes.get(id);
    const name = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.split('/').slice(-2).join('/')}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + count);
    for (const t of positionTicks) byLine.set(`${name}:${t.line}`, (byLine.get(`${name}:${t.line}`) ?? 0) + t.ticks);
  }
  const total = profile.samples.length;
  for (const [title, m] of [['self time by function', byFunction], ['self time by line', byLine]]) {
    console.log(`${title} (${total} samples):`);
    for (const [k, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
}
