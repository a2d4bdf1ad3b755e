// A prototype, measured (issue 18 item 4): the established path as one WebAssembly function
// (bench/lib/established.wat: decode of the 5-tuple, key, hash, probe and update over the
// conntrack records, which live in the instance's memory), every frame it cannot finish judged by
// today's JS path. In one process, passes interleaved, against the JS staged path (stageBatch →
// judgeStaged, as the live loops), on Dataplanes with the same hash seed:
//   - established frames alone (as bench/pipeline-established.mjs: the frames the bench workload's
//     first pass judged `tracked`, judged again at its last time), and
//   - the mixed bench workload (bench/pipeline.mjs: 1,000 rules, 100k flows, 1M frames), fresh
//     Dataplanes each pass;
// the first pass of each also checks that both paths leave the same verdicts, counters, records
// (every word, expiry times included), table size, expiry bounds and per-source counts.
// The wasm side per batch of 16: JS copies each frame's first 80 bytes (the headers) and its time
// into the instance's memory, `stage` keys the 16 and reads their records ahead, `judgeRun`
// judges them in order until one it cannot finish, which JS stages and judges (and so on).
// Its records are advised for huge pages (adviseHugePages) as the JS side's are mapped on them.
// Not wired into the Dataplane: it reaches into the table's fields, as a prototype may.
//   npm run build && node bench/pipeline-wasm.mjs [--flows N] [--frames N] [--passes N] [--mix-passes N]
//     [--no-wasm-inlining] [--rekey] [--only copy|stage]
// A frame wasm keyed but left is decoded by JS and takes wasm's key (`--rekey`: JS stages it
// from scratch, keying it again). --no-wasm-inlining: without V8's wasm inliner (Node 20 has it behind a flag, set here at run
// time; a C source compiled by clang -O2 would inline ahead of time instead). --only: stop each
// wasm batch after the copy, or after `stage`, to see where the time goes (verdicts then unchecked).
// The WAT is assembled at start by the npm package `wabt` (a devDependency); nothing generated
// is kept.
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import wabtInit from 'wabt';
import { adviseHugePages, hugePageMemory } from '../dist/capture/huge-pages.js';
import { Dataplane, JUDGE_BATCH } from '../dist/dataplane/dataplane.js';
import { REASON_NAMES, Reason } from '../dist/dataplane/verdict.js';
import { SecurityGroupService } from '../dist/control/service.js';
import { CONNTRACK_DEFAULTS } from '../dist/model/conntrack-spec.js';
import { decodeFrame } from '../dist/packet/decode.js';
import { makeFrames, makeModel, stateDocument } from './lib/workload.mjs';
import { median } from './lib/stats.mjs';

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  return process.argv[i + 1];
}
function count(name, fallback) {
  const n = Number(flag(name, fallback));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: a whole number above 0, got ${flag(name, fallback)}`);
  return n;
}
const concurrent = count('--flows', 100_000);
const frames = count('--frames', 1_000_000);
const passes = count('--passes', 7);
const mixPasses = count('--mix-passes', 3);
const inlining = !process.argv.includes('--no-wasm-inlining');
const rekey = process.argv.includes('--rekey');
const only = flag('--only', null);
if (only !== null && only !== 'copy' && only !== 'stage') throw new Error(`--only: copy or stage, got ${only}`);
const STOP = only === 'copy' ? 1 : only === 'stage' ? 2 : 0;

if (inlining) v8.setFlagsFromString('--experimental-wasm-inlining');
const wabt = await wabtInit();
const wat = wabt.parseWat('established.wat', readFileSync(new URL('./lib/established.wat', import.meta.url), 'utf8'));
wat.resolveNames();
wat.validate();
const wasmModule = new WebAssembly.Module(wat.toBinary({}).buffer);
let advised = 0;
/** the frames the wasm path left to JS, by the reason JS gave (counted on checked passes) */
const left = new Float64Array(16);

/** record slots: all a 2^20-flow table needs, as bench/pipeline.mjs's tables start */
const SLOTS = 1 << 21;
const RECORD_BYTES = SLOTS * 64;
// The control area after the records (its layout: bench/lib/established.wat).
const CTRL_BYTES = 3 * 65536;
const UNANSWERED = 4096;
const TIMEOUTS = 20480;
const IF_ALLOWED = 118784;
/** header bytes copied per frame: Ethernet, a VLAN tag, IPv6, TCP to its flags */
const SPAN = 80;

const model = makeModel({ rules: 1000 });
const svc = new SecurityGroupService();
svc.importSnapshot(stateDocument(model));
const w = makeFrames(model, { frames, concurrent });

/** A Dataplane with a fixed hash seed; `wasm`: its records in a WebAssembly memory with the control area after them. */
function dataplane(wasm) {
  const random = Math.random;
  Math.random = () => 0.123456789;
  let memory = null;
  const alloc = wasm
    ? (bytes) => {
        if (bytes !== RECORD_BYTES) return null;
        memory = new WebAssembly.Memory({ initial: (RECORD_BYTES + CTRL_BYTES) / 65536, maximum: (RECORD_BYTES + CTRL_BYTES) / 65536 });
        // advised before the table touches its pages, so they fault in as huge pages
        advised = adviseHugePages(memory.buffer);
        return { buffer: memory.buffer, kind: 'wasm' };
      }
    : hugePageMemory;
  const dp = new Dataplane(svc, { conntrackCapacity: 1 << 20, recordMemory: alloc, conntrackInitialSlots: SLOTS });
  Math.random = random;
  if (!wasm) return { dp };
  const inst = new WebAssembly.Instance(wasmModule, { env: { memory } });
  const ct = dp.conntrack;
  // The table's per-source unassured counts live in the control area: both paths keep them.
  ct.unanswered = new Int32Array(memory.buffer, RECORD_BYTES + UNANSWERED, 4096);
  inst.exports.configure(RECORD_BYTES, ct.slotMask, ct.homeMask, ct.seed, ct.generation);
  return { dp, inst, memory, i32: new Int32Array(memory.buffer), f64: new Float64Array(memory.buffer) };
}

/** The JS side's interface timeouts into the control area (the prototype's stand-in for setTimeouts writing there). */
function syncTimeouts(x) {
  const t = x.dp.conntrack.ifTimeouts;
  x.f64.set(t, (RECORD_BYTES + TIMEOUTS) / 8);
  x.inst.exports.setGeneration(x.dp.conntrack.generation);
}

/** Every interface at the model's default timeouts (the bench model sets none), before any track. */
function defaultTimeouts(x) {
  const base = (RECORD_BYTES + TIMEOUTS) / 8;
  for (let i = 0; i < 4096; i++) {
    x.f64[base + 3 * i] = CONNTRACK_DEFAULTS.tcpEstablished * 1000;
    x.f64[base + 3 * i + 1] = CONNTRACK_DEFAULTS.udp * 1000;
    x.f64[base + 3 * i + 2] = CONNTRACK_DEFAULTS.udpStream * 1000;
  }
  x.inst.exports.setGeneration(x.dp.conntrack.generation);
}

const dv = new DataView(w.data.buffer, w.data.byteOffset, w.data.byteLength);
const dataEnd = w.data.byteLength;

/** One pass of the wasm path (judgeRun) with the JS staged path for the frames it leaves; CPU ns/frame. */
function makeWasmPass(x) {
  const { dp, inst, i32, f64 } = x;
  const ct = dp.conntrack;
  const { stage, judgeRun } = inst.exports;
  const headerBase = RECORD_BYTES >> 2;
  const slotBase = (RECORD_BYTES + 2048) >> 2;
  const timeBase = (RECORD_BYTES + 3200) >> 3;
  const outBase = (RECORD_BYTES + 3072) >> 2;
  const minAt = (RECORD_BYTES + 3072 + 8) >> 3;
  const ifAllowed = (RECORD_BYTES + IF_ALLOWED) >> 3;
  /** the table's kept keys (ScratchKey's rows, 12 words each, as lookupFlowKeptNow takes them) */
  const kept = ct.kept;
  function fold() {
    const e = f64[minAt];
    if (e < ct.earliest) ct.earliest = e;
    if (e < ct.passMin) ct.passMin = e;
    f64[minAt] = Infinity;
  }
  return function pass(meta, times, n, reasons) {
    const { data, linkType } = w;
    left.fill(0);
    f64[minAt] = Infinity;
    i32[outBase + 4] = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i += JUDGE_BATCH) {
      const k = Math.min(JUDGE_BATCH, n - i);
      for (let j = 0; j < k; j++) {
        const off = meta[2 * (i + j)];
        const len = meta[2 * (i + j) + 1];
        const s = slotBase + (j << 4);
        i32[s] = len;
        i32[s + 1] = len;
        f64[timeBase + j] = times === null ? w.timesMs[i + j] : times;
        const h = headerBase + (j << 5);
        const words = ((len < SPAN ? len : SPAN) + 3) >> 2;
        // Ethernet only, and whole within the buffer (JS's decode clamps the rest): else JS judges it.
        if (linkType === 1 && off + len <= dataEnd && off + words * 4 <= dataEnd) {
          for (let q = 0; q < words; q++) i32[h + q] = dv.getInt32(off + q * 4, true);
        } else {
          i32[s] = -1;
        }
      }
      if (STOP === 1) continue;
      stage(k);
      if (STOP === 2) continue;
      let j = 0;
      for (;;) {
        const stop = judgeRun(j, k);
        if (reasons !== null) for (let q = j; q < stop; q++) reasons[i + q] = Reason.TRACKED;
        if (stop >= k) break;
        fold();
        const m = 2 * (i + stop);
        const keyed = slotBase + (stop << 4);
        if (rekey || i32[keyed + 2] < 0) {
          dp.stage(stop, linkType, data, meta[m], meta[m + 1], meta[m + 1]);
        } else {
          // wasm keyed it: JS decodes it (for the rules) and takes wasm's key and home as its own
          const r = stop * 12;
          for (let q = 0; q < 8; q++) kept[r + q] = i32[keyed + 8 + q];
          kept[r + 8] = i32[keyed + 3];
          kept[r + 9] = i32[keyed + 4];
          kept[r + 10] = i32[keyed + 5];
          kept[r + 11] = i32[keyed + 6];
          dp.stagedFrames[stop] = data;
          dp.stagedHomes[stop] = i32[keyed + 2];
          decodeFrame(linkType, data, meta[m], meta[m + 1], dp.stagedViews[stop], meta[m + 1]);
        }
        dp.clock[0] = f64[timeBase + stop];
        const r = dp.judgeStaged(stop);
        if (reasons !== null) {
          reasons[i + stop] = r;
          left[r]++;
        }
        j = stop + 1;
      }
      fold();
    }
    const c = process.cpuUsage(c0);
    // The wasm path's counters into the dataplane's (off the clock: a reader would add them).
    const fast = i32[outBase + 4];
    dp.reasonCounts[Reason.TRACKED] += fast;
    for (let q = 0; q < dp.interfaceCounts.length / 2; q++) {
      dp.interfaceCounts[2 * q] += f64[ifAllowed + q];
      f64[ifAllowed + q] = 0;
    }
    return { ns: ((c.user + c.system) * 1000) / n, fast: fast / n };
  };
}

function makeJsPass(x) {
  const { dp } = x;
  return function pass(meta, times, n, reasons) {
    const { data, linkType } = w;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i += JUDGE_BATCH) {
      const k = Math.min(JUDGE_BATCH, n - i);
      dp.stageBatch(linkType, data, meta, i, k, 2, 0, 1);
      for (let j = 0; j < k; j++) {
        dp.clock[0] = times === null ? w.timesMs[i + j] : times;
        const r = dp.judgeStaged(j);
        if (reasons !== null) reasons[i + j] = r;
      }
    }
    const c = process.cpuUsage(c0);
    return { ns: ((c.user + c.system) * 1000) / n, fast: 0 };
  };
}

/** Do the two Dataplanes hold the same records, counters and table bounds? */
function sameState(a, b) {
  const ca = a.dp.conntrack;
  const cb = b.dp.conntrack;
  const ua = new Uint32Array(ca.u.buffer, 0, SLOTS * 16);
  const ub = new Uint32Array(cb.u.buffer, 0, SLOTS * 16);
  let diff = 0;
  for (let k = 0; k < ua.length; k++) if (ua[k] !== ub[k]) diff++;
  const counters = a.dp.reasonCounts.every((v, k) => v === b.dp.reasonCounts[k]) && a.dp.interfaceCounts.every((v, k) => v === b.dp.interfaceCounts[k]);
  return {
    recordWordsDiffering: diff,
    countersSame: counters,
    sizeSame: ca.size === cb.size,
    earliestSame: ca.earliest === cb.earliest,
    passMinSame: ca.passMin === cb.passMin,
    unansweredSame: ca.unanswered.every((v, k) => v === cb.unanswered[k]),
  };
}

// --- established frames alone -----------------------------------------------------------------
const all = new Uint32Array(w.meta);
const A = dataplane(true);
const B = dataplane(false);
const picked = [];
for (let i = 0; i < w.count; i++) {
  A.dp.judge(w.linkType, w.data, w.offsets[i], w.lengths[i], w.timesMs[i]);
  if (B.dp.judge(w.linkType, w.data, w.offsets[i], w.lengths[i], w.timesMs[i]) === Reason.TRACKED) picked.push(i);
}
syncTimeouts(A);
const meta = new Uint32Array(picked.length * 2);
picked.forEach((i, k) => {
  meta[2 * k] = w.offsets[i];
  meta[2 * k + 1] = w.lengths[i];
});
const atMs = w.timesMs[w.count - 1];
const wasmPass = makeWasmPass(A);
const jsPass = makeJsPass(B);
const ra = new Uint8Array(picked.length);
const rb = new Uint8Array(picked.length);
const est = { wasm: [], js: [], fast: 0 };
for (let p = 0; p <= passes; p++) {
  const order = p % 2 ? ['js', 'wasm'] : ['wasm', 'js'];
  for (const which of order) {
    const r = which === 'wasm' ? wasmPass(meta, atMs, picked.length, p === 0 ? ra : null) : jsPass(meta, atMs, picked.length, p === 0 ? rb : null);
    if (p > 0) est[which].push(r.ns);
    if (which === 'wasm') est.fast = r.fast;
  }
  if (p === 0) {
    let d = 0;
    for (let k = 0; k < ra.length; k++) if (ra[k] !== rb[k]) d++;
    est.firstPassVerdictsDiffering = d;
    est.firstPassState = sameState(A, B);
  }
}

// --- the mixed workload, fresh Dataplanes each pass -------------------------------------------
const mixed = { wasm: [], js: [], fast: 0 };
for (let p = 0; p <= mixPasses; p++) {
  const a = dataplane(true);
  const b = dataplane(false);
  defaultTimeouts(a);
  const wp = makeWasmPass(a);
  const jp = makeJsPass(b);
  const check = p === 0;
  const xa = check ? new Uint8Array(w.count) : null;
  const xb = check ? new Uint8Array(w.count) : null;
  const order = p % 2 ? ['js', 'wasm'] : ['wasm', 'js'];
  for (const which of order) {
    const r = which === 'wasm' ? wp(all, null, w.count, xa) : jp(all, null, w.count, xb);
    if (p > 0) mixed[which].push(r.ns);
    if (which === 'wasm') mixed.fast = r.fast;
  }
  if (check) {
    let d = 0;
    for (let k = 0; k < w.count; k++) if (xa[k] !== xb[k]) d++;
    mixed.firstPassVerdictsDiffering = d;
    mixed.firstPassState = sameState(a, b);
    mixed.leftToJs = Object.fromEntries([...left].map((v, k) => [REASON_NAMES[k], v]).filter(([, v]) => v > 0));
  }
}

const ratio = (x) => Number((median(x.wasm) / median(x.js)).toFixed(3));
console.log(
  JSON.stringify(
    {
      workload: { rules: 1000, concurrentFlows: concurrent, frames: w.count, establishedFrames: picked.length, passes, mixPasses, wasmInlining: inlining, rekey, only, wasmRecordBytesOnHugePages: advised, jsRecords: A.dp.conntrack.memoryKind === 'wasm' ? B.dp.conntrack.memoryKind : '?' },
      established: { wasmCpuNsPerFrame: est.wasm.map((n) => +n.toFixed(1)), jsCpuNsPerFrame: est.js.map((n) => +n.toFixed(1)), wasmMedian: +median(est.wasm).toFixed(1), jsMedian: +median(est.js).toFixed(1), ratio: ratio(est), finishedInWasm: est.fast, verdictsDiffering: est.firstPassVerdictsDiffering, state: est.firstPassState },
      mixed: { wasmCpuNsPerFrame: mixed.wasm.map((n) => +n.toFixed(1)), jsCpuNsPerFrame: mixed.js.map((n) => +n.toFixed(1)), wasmMedian: +median(mixed.wasm).toFixed(1), jsMedian: +median(mixed.js).toFixed(1), ratio: ratio(mixed), finishedInWasm: mixed.fast, verdictsDiffering: mixed.firstPassVerdictsDiffering, state: mixed.firstPassState, leftToJs: mixed.leftToJs },
    },
    null,
    2,
  ),
);
