// Is the classifier's own copy of the trie walk worth having? Two builds of the classifier on the
// same rules and packets, in the same run: "inlined", matchV4/matchV6 walking the trie in their
// own body, and "shared", the same methods calling prefix-trie.ts's trieLeafV4/trieLeafV6 (the walk
// the address sets' prefix-list tries use). Both are made from dist/classify/classifier.js by
// replacing the two method bodies, whichever form the source has, so they differ in nothing else.
// Rules: the expanded form of bench/classifier.mjs (group references as /32 and /128 hosts), where
// the trie is deepest. Rounds rotate the order of the builds; the ratio is taken per round. A
// third build, "control", is a second copy of "inlined": its ratio to "inlined" is the noise floor.
// Run: npx tsc -p tsconfig.build.json && node bench/classifier-walk.mjs [--rules 1000] [--rounds 11] [--json]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, median } from './lib/stats.mjs';
import { rng } from './lib/workload.mjs';
import { makePackets, makeRules, newRunner } from './lib/classifier-workload.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RULES = arg('--rules', 1_000);
const ROUNDS = arg('--rounds', 11);
const LOOKUPS = 1_000_000;

const dist = fileURLToPath(new URL('../dist/classify/', import.meta.url));

// The variant's own names for the walk's pieces, so that they clash with nothing the built module
// imports or declares (it may or may not import these itself).
const PRELUDE = `
import { CHAIN as W_CHAIN, CHAIN_END as W_CHAIN_END, CHAIN_NEXT as W_CHAIN_NEXT, CHAIN_OTHERWISE as W_CHAIN_OTHERWISE,
  SPARSE as W_SPARSE, trieLeafV4 as W_trieLeafV4, trieLeafV6 as W_trieLeafV6 } from './prefix-trie.js';
function W_sparseNext(nodes, o, b) {
  const count = nodes[o];
  for (let j = o + 2, end = o + 2 + count; j < end; j++) if (nodes[j] === b) return nodes[j + count];
  return nodes[o + 1];
}
function W_v6Byte(level, w0, w1, w2, w3) {
  const w = level < 8 ? (level < 4 ? w0 : w1) : level < 12 ? w2 : w3;
  return (w >>> (24 - ((level & 3) << 3))) & 255;
}
`;

const HEAD_V4 = `matchV4(protocol, portOrType, icmpCode, addr) {
        const t = this.v4;
        const e = intervalEntry(t, protocol, portOrType, icmpCode);
        if (e < ENTRY_ROW) return e;
        const row = e - ENTRY_ROW;`;
const TAIL_V4 = `
        return t.rowHasSets[row] === 0 ? 0 : setsMeetRowV4(this.sets, t, row, addr);
    }`;
const HEAD_V6 = `matchV6(protocol, portOrType, icmpCode, w0, w1, w2, w3) {
        const t = this.v6;
        const e = intervalEntry(t, protocol, portOrType, icmpCode);
        if (e < ENTRY_ROW) return e;
        const row = e - ENTRY_ROW;`;
const TAIL_V6 = `
        return t.rowHasSets[row] === 0 ? 0 : setsMeetRowV6(this.sets, t, row, w0, w1, w2, w3);
    }`;

const BODIES = {
  inlined: {
    v4: `${HEAD_V4}
        const check = t.rootCheck;
        if (((addr ^ check[0]) & check[1]) !== 0) return t.rowHasSets[row] === 0 ? 0 : setsMeetRowV4(this.sets, t, row, addr);
        const nodes = t.nodes;
        let n = t.root;
        let level = t.rootLevel;
        while (n >= 0) {
            if (n < W_SPARSE) {
                n = nodes[n + ((addr >>> (24 - (level << 3))) & 255)];
                level++;
            } else if (n < W_CHAIN) {
                n = W_sparseNext(nodes, n ^ W_SPARSE, (addr >>> (24 - (level << 3))) & 255);
                level++;
            } else {
                const o = n ^ W_CHAIN;
                if (((addr ^ nodes[o]) & nodes[o + 1]) !== 0) {
                    n = nodes[o + W_CHAIN_OTHERWISE];
                } else {
                    level = nodes[o + W_CHAIN_END];
                    n = nodes[o + W_CHAIN_NEXT];
                }
            }
        }
        if (rowMeetsColumn(t, row, -1 - n) !== 0) return MATCH;${TAIL_V4}`,
    v6: `${HEAD_V6}
        const check = t.rootCheck;
        if ((((w0 ^ check[0]) & check[1]) | ((w1 ^ check[2]) & check[3]) | ((w2 ^ check[4]) & check[5]) | ((w3 ^ check[6]) & check[7])) !== 0)
            return t.rowHasSets[row] === 0 ? 0 : setsMeetRowV6(this.sets, t, row, w0, w1, w2, w3);
        const nodes = t.nodes;
        let n = t.root;
        let level = t.rootLevel;
        while (n >= 0) {
            if (n < W_SPARSE) {
                n = nodes[n + W_v6Byte(level, w0, w1, w2, w3)];
                level++;
            } else if (n < W_CHAIN) {
                n = W_sparseNext(nodes, n ^ W_SPARSE, W_v6Byte(level, w0, w1, w2, w3));
                level++;
            } else {
                const o = n ^ W_CHAIN;
                if ((((w0 ^ nodes[o]) & nodes[o + 1]) | ((w1 ^ nodes[o + 2]) & nodes[o + 3]) |
                    ((w2 ^ nodes[o + 4]) & nodes[o + 5]) | ((w3 ^ nodes[o + 6]) & nodes[o + 7])) !== 0) {
                    n = nodes[o + W_CHAIN_OTHERWISE];
                } else {
                    level = nodes[o + W_CHAIN_END];
                    n = nodes[o + W_CHAIN_NEXT];
                }
            }
        }
        if (rowMeetsColumn(t, row, -1 - n) !== 0) return MATCH;${TAIL_V6}`,
  },
  shared: {
    v4: `${HEAD_V4}
        if (rowMeetsColumn(t, row, W_trieLeafV4(t.nodes, t.root, t.rootLevel, t.rootCheck, addr)) !== 0) return MATCH;${TAIL_V4}`,
    v6: `${HEAD_V6}
        if (rowMeetsColumn(t, row, W_trieLeafV6(t.nodes, t.root, t.rootLevel, t.rootCheck, w0, w1, w2, w3)) !== 0) return MATCH;${TAIL_V6}`,
  },
};

/** The text of a method, from its signature to the closing brace at method indentation. */
function methodSpan(source, signature) {
  const start = source.indexOf(signature);
  if (start < 0) throw new Error(`classifier-walk: ${signature} not found in dist/classify/classifier.js`);
  const end = source.indexOf('\n    }', start);
  return [start, end + '\n    }'.length];
}

/** A copy of the built classifier module with the two lookups replaced, beside the original. */
async function variant(name, scratch, form) {
  let source = readFileSync(join(dist, 'classifier.js'), 'utf8');
  for (const [signature, body] of [
    ['matchV4(protocol, portOrType, icmpCode, addr) {', BODIES[form].v4],
    ['matchV6(protocol, portOrType, icmpCode, w0, w1, w2, w3) {', BODIES[form].v6],
  ]) {
    const [a, b] = methodSpan(source, signature);
    source = source.slice(0, a) + body + source.slice(b);
  }
  // relative imports resolve to the built modules, so both variants share every other module
  source = source.replace(/from '\.\/([^']+)'/g, (_, file) => `from '${pathToFileURL(join(dist, file)).href}'`);
  const prelude = PRELUDE.replace(/from '\.\/([^']+)'/g, (_, file) => `from '${pathToFileURL(join(dist, file)).href}'`);
  const file = join(scratch, `classifier-${name}.mjs`);
  writeFileSync(file, prelude + source);
  return import(pathToFileURL(file).href);
}

const scratch = mkdtempSync(join(tmpdir(), 'sgfw-walk-'));
let builds;
try {
  builds = {
    inlined: await variant('inlined', scratch, 'inlined'),
    shared: await variant('shared', scratch, 'shared'),
    control: await variant('control', scratch, 'inlined'),
  };
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const rand = rng(0x5eed + RULES); // bench/classifier.mjs's seed for this size: the same rules
const data = makeRules(RULES, rand);
const packets = makePackets(data, rand);
const rules = data.rules.map(({ member, ...plain }) => plain);

const FAMILIES = { mixed: 0, v4: 4, v6: 6 };
const cases = {};
for (const name of Object.keys(builds)) {
  const c = builds[name].compileClassifier(rules);
  for (const [family, only] of Object.entries(FAMILIES)) {
    const run = newRunner(); // one runner per build and family: monomorphic call sites
    run(c, packets, 50_000, only);
    cases[`${name}.${family}`] = { run: () => run(c, packets, LOOKUPS, only), ns: [], hits: -1 };
  }
}
const NAMES = Object.keys(builds);
const ratios = { mixed: [], v4: [], v6: [] };
const noise = { mixed: [], v4: [], v6: [] };
for (let r = 0; r < ROUNDS; r++) {
  const order = NAMES.map((_, i) => NAMES[(i + r) % NAMES.length]);
  for (const family of Object.keys(FAMILIES)) {
    for (const name of order) {
      const k = cases[`${name}.${family}`];
      const out = k.run();
      k.ns.push(out.ns);
      k.hits = out.hits;
    }
    ratios[family].push(cases[`shared.${family}`].ns[r] / cases[`inlined.${family}`].ns[r]);
    noise[family].push(cases[`control.${family}`].ns[r] / cases[`inlined.${family}`].ns[r]);
  }
}
for (const family of Object.keys(FAMILIES)) {
  if (cases[`inlined.${family}`].hits !== cases[`shared.${family}`].hits || cases[`inlined.${family}`].hits !== cases[`control.${family}`].hits) {
    throw new Error(`classifier-walk: the builds disagree (${family}): ${cases[`inlined.${family}`].hits} vs ${cases[`shared.${family}`].hits} hits`);
  }
}

const rows = Object.keys(FAMILIES).map((family) => {
  const inl = cases[`inlined.${family}`].ns;
  const sh = cases[`shared.${family}`].ns;
  return {
    family,
    inlinedNs: median(inl),
    sharedNs: median(sh),
    sharedOverInlined: median(ratios[family]),
    ratioMin: Math.min(...ratios[family]),
    ratioMax: Math.max(...ratios[family]),
    controlNs: median(cases[`control.${family}`].ns),
    controlOverInlined: median(noise[family]),
    noiseMin: Math.min(...noise[family]),
    noiseMax: Math.max(...noise[family]),
  };
});

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ machine: machine(process.argv.slice(1).join(' ')), rules: RULES, rounds: ROUNDS, rows }, null, 2));
} else {
  const f = (x, d = 1) => x.toFixed(d);
  console.log(`trie walk: inlined in the classifier vs prefix-trie's trieLeafV4/V6, ${RULES} rules (expanded), median of ${ROUNDS} rounds, node ${process.version}`);
  console.log('family   inlined ns   shared ns  control ns   shared/inlined (min–max)   control/inlined (min–max)');
  for (const r of rows) {
    console.log(
      `${r.family.padEnd(6)}${f(r.inlinedNs).padStart(13)}${f(r.sharedNs).padStart(12)}${f(r.controlNs).padStart(12)}` +
        `   ${f(r.sharedOverInlined, 3)} (${f(r.ratioMin, 2)}–${f(r.ratioMax, 2)})      ${f(r.controlOverInlined, 3)} (${f(r.noiseMin, 2)}–${f(r.noiseMax, 2)})`,
    );
  }
}
