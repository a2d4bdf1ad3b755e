// Classifier lookups at 10, 100, 1,000 and 10,000 rules: the compiled trie against the reference
// linear scan, in the same run (median of 5 runs each). Rules mimic expanded security groups: a
// few CIDR rules, world rules on 80/443, ICMP, and mostly group references expanded to the members'
// /32 and /128 private addresses inside one VPC. Packets: half IPv4 and half IPv6; TCP, UDP, ICMP
// and GRE; half aimed at member addresses, the rest elsewhere in the VPC or on the internet.
// The "sets" columns compile the same rules the way the dataplane does since the group → address
// indirection: each group reference is one rule naming an address set, its members held in a
// shared AddressSets consulted after the trie (same packets, same answers).
// Run: npx tsc -p tsconfig.build.json && node bench/classifier.mjs [--json]
import { compileClassifier } from '../dist/classify/index.js';
import { ReferenceClassifier } from '../dist/classify/reference-classifier.js';
import { median } from './lib/stats.mjs';
import { rng } from './lib/workload.mjs';
import { asAddressSets, makePackets, makeRules, newRunner } from './lib/classifier-workload.mjs';

const SIZES = [10, 100, 1_000, 10_000];
const RUNS = 7;
const COMPILED_LOOKUPS = 1_000_000;
const REFERENCE_BUDGET = 20_000_000; // rule checks per reference run

/** The loop alone, calling a classifier that judges nothing: the harness's own cost per lookup. */
class NullClassifier {
  matchV4() {
    return 0;
  }
  matchV6() {
    return 0;
  }
}

// Every measurement gets its own runner, warmed up once; the rounds interleave all sizes and both
// implementations so that the noise of a shared machine falls on all of them alike, and every
// ratio is taken within one round before its median is reported.
const cases = [];
for (const n of SIZES) {
  const rand = rng(0x5eed + n);
  const data = makeRules(n, rand);
  const packets = makePackets(data, rand);
  const builds = [];
  const setBuilds = [];
  let compiled;
  let withSets;
  const expanded = data.rules.map(({ member, ...plain }) => plain);
  const indirect = asAddressSets(data.rules);
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    compiled = compileClassifier(expanded);
    builds.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const t1 = process.hrtime.bigint();
    withSets = compileClassifier(indirect.rules, { addressSets: indirect.sets });
    setBuilds.push(Number(process.hrtime.bigint() - t1) / 1e6);
  }
  const refCount = Math.max(2_000, Math.min(COMPILED_LOOKUPS, Math.floor(REFERENCE_BUDGET / n)));
  const make = (c, count, only) => {
    const run = newRunner();
    run(c, packets, Math.min(count, 50_000), only);
    return { run: () => run(c, packets, count, only), ns: [] };
  };
  cases.push({
    n,
    buildMs: median(builds),
    setBuildMs: median(setBuilds),
    mixed: make(compiled, COMPILED_LOOKUPS, 0),
    sets: make(withSets, COMPILED_LOOKUPS, 0),
    v4: make(compiled, COMPILED_LOOKUPS, 4),
    v6: make(compiled, COMPILED_LOOKUPS, 6),
    reference: make(new ReferenceClassifier(expanded), refCount, 0),
    harness: make(new NullClassifier(), COMPILED_LOOKUPS, 0),
    hits: 0,
    setHits: 0,
    ratios: [],
    growth: [],
    setRatios: [],
    setGrowth: [],
  });
}
for (let r = 0; r < RUNS; r++) {
  for (const c of cases) {
    for (const key of ['mixed', 'sets', 'v4', 'v6', 'reference', 'harness']) {
      const out = c[key].run();
      c[key].ns.push(out.ns);
      if (key === 'mixed') c.hits = out.hits / COMPILED_LOOKUPS;
      if (key === 'sets') c.setHits = out.hits / COMPILED_LOOKUPS;
    }
    c.ratios.push(c.reference.ns[r] / c.mixed.ns[r]);
    c.growth.push(c.mixed.ns[r] / cases[0].mixed.ns[r]);
    c.setRatios.push(c.reference.ns[r] / c.sets.ns[r]);
    c.setGrowth.push(c.sets.ns[r] / cases[0].sets.ns[r]);
  }
}
const rows = cases.map((c) => ({
  rules: c.n,
  buildMs: c.buildMs,
  compiledNs: median(c.mixed.ns),
  v4Ns: median(c.v4.ns),
  v6Ns: median(c.v6.ns),
  harnessNs: median(c.harness.ns),
  lookupsPerSec: 1e9 / median(c.mixed.ns),
  referenceNs: median(c.reference.ns),
  ratio: median(c.ratios),
  growthFrom10: median(c.growth),
  hitRate: c.hits,
  setBuildMs: c.setBuildMs,
  setNs: median(c.sets.ns),
  setRatio: median(c.setRatios),
  setGrowthFrom10: median(c.setGrowth),
  setHitRate: c.setHits,
}));

const fmt = (x, d = 1) => x.toFixed(d).padStart(10);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(`classifier lookups (median of ${RUNS} interleaved rounds; node ${process.version}; mixed = 50% IPv4 / 50% IPv6)`);
  console.log('     rules  build ms  mixed ns   IPv4 ns   IPv6 ns harness ns  M lookups/s  reference ns  ref/compiled×  vs 10 rules  hit rate');
  for (const r of rows) {
    console.log(
      `${String(r.rules).padStart(10)}${fmt(r.buildMs)}${fmt(r.compiledNs)}${fmt(r.v4Ns)}${fmt(r.v6Ns)}${fmt(r.harnessNs).padStart(11)}` +
        `${fmt(r.lookupsPerSec / 1e6, 2).padStart(13)}${fmt(r.referenceNs, 0).padStart(14)}${fmt(r.ratio, 0).padStart(15)}` +
        `${fmt(r.growthFrom10, 2).padStart(12)}${fmt(r.hitRate * 100, 0)}%`,
    );
  }
  console.log('group references as address sets (the dataplane\'s form):');
  console.log('     rules  build ms  mixed ns  ref/compiled×  vs 10 rules  hit rate');
  for (const r of rows) {
    console.log(
      `${String(r.rules).padStart(10)}${fmt(r.setBuildMs)}${fmt(r.setNs)}${fmt(r.setRatio, 0).padStart(15)}` +
        `${fmt(r.setGrowthFrom10, 2).padStart(13)}${fmt(r.setHitRate * 100, 0)}%`,
    );
  }
  const last = rows[rows.length - 1];
  const at1000 = rows.find((r) => r.rules === 1_000);
  console.log(`growth 10 → 10,000 rules: ${last.growthFrom10.toFixed(2)}× per lookup, ${last.setGrowthFrom10.toFixed(2)}× with sets (target ≤ 2×)`);
  if (at1000) console.log(`at 1,000 rules: ${at1000.ratio.toFixed(0)}× the reference, ${at1000.setRatio.toFixed(0)}× with sets (target ≥ 50×)`);
}
