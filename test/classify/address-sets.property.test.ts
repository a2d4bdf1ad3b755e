// Rules whose peer is an address set (a group's members, a prefix list's entries) are compiled
// once and resolved through a shared AddressSets that changes under them. After every change,
// the same compiled classifier must answer exactly as the reference evaluator does on the rules
// expanded with the sets' current contents: match bits, explained rules, world answers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSets, compileClassifier, type ClassifierRule } from '../../src/classify/index.js';
import { parsePrefix } from '../../src/classify/prefix.js';
import { ReferenceClassifier } from '../../src/classify/reference-classifier.js';
import { v4Text, v6Text } from './addresses.js';

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const PROTOCOLS = [-1, 6, 6, 17, 1, 58, 47];
const PORTS = [0, 22, 80, 443, 8080, 65535];
// set numbers on both sides of a 32-bit word boundary, so rows need several words
const SETS = [0, 1, 2, 5, 31, 32, 33, 63, 64, 70];
// member addresses, some with the top bit set (uint32 above 2^31 from a Uint32Array)
const V4_ADDRS = [0x0a000001, 0x0a000002, 0x0a000003, 0xc0000201, 0xfffffffe, 0x80000000, 0];
const V6_ADDRS: number[][] = [
  [0x20010db8, 0, 0, 1],
  [0x20010db8, 0, 0, 2],
  [0x20010db8, 0x80000000, 0, 0xffffffff],
  [0xfe800000, 0, 0, 1],
  [0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe],
];
// prefix-list entries (never /0: a list with a /0 entry is expanded, not a set; see interface-rules.ts)
const PREFIXES = ['10.0.0.0/8', '10.0.0.0/30', '10.0.0.2/32', '192.0.2.0/24', '128.0.0.0/1', '2001:db8::/32', '2001:db8::2/128', 'fe80::/10'];

interface Rule {
  ruleIndex: number;
  protocol: number;
  fromPort: number;
  toPort: number;
  /** a set number, or a literal prefix */
  peer: number | string;
}

const ruleArb: fc.Arbitrary<Rule> = fc
  .record({
    ruleIndex: fc.integer({ min: 0, max: 20 }),
    protocol: pick(PROTOCOLS),
    a: pick(PORTS),
    b: pick(PORTS),
    type: pick([-1, 0, 8, 128]),
    code: pick([-1, 0, 1]),
    peer: fc.oneof({ weight: 3, arbitrary: pick(SETS) }, { weight: 1, arbitrary: pick([...PREFIXES, '0.0.0.0/0', '::/0']) }),
  })
  .map(({ ruleIndex, protocol, a, b, type, code, peer }) => {
    let fromPort = -1;
    let toPort = -1;
    if (protocol === 6 || protocol === 17) [fromPort, toPort] = [Math.min(a, b), Math.max(a, b)];
    if (protocol === 1 || protocol === 58) [fromPort, toPort] = [type, type === -1 ? -1 : code];
    return { ruleIndex, protocol, fromPort, toPort, peer };
  });

/** One state of the sets: members (exact addresses) and prefix entries per set number. */
interface SetsState {
  members4: [number, number[]][]; // address, its sets
  members6: [number[], number[]][];
  prefixes: [string, number][]; // entry, its set
}

const setList = fc.subarray(SETS, { maxLength: 4 });
const stateArb: fc.Arbitrary<SetsState> = fc.record({
  members4: fc.array(fc.tuple(pick(V4_ADDRS), setList), { maxLength: 6 }),
  members6: fc.array(fc.tuple(pick(V6_ADDRS), setList), { maxLength: 4 }),
  prefixes: fc.array(fc.tuple(pick(PREFIXES), pick(SETS)), { maxLength: 4 }),
});

function expand(rules: readonly Rule[], s: SetsState): ClassifierRule[] {
  const out: ClassifierRule[] = [];
  for (const r of rules) {
    const base = { ruleIndex: r.ruleIndex, protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort };
    if (typeof r.peer === 'string') {
      out.push({ ...base, family: r.peer.includes(':') ? 6 : 4, prefix: r.peer });
      continue;
    }
    for (const [a, sets] of s.members4) if (sets.includes(r.peer)) out.push({ ...base, family: 4, prefix: `${v4Text(a)}/32` });
    for (const [w, sets] of s.members6) if (sets.includes(r.peer)) out.push({ ...base, family: 6, prefix: `${v6Text(w)}/128` });
    for (const [p, set] of s.prefixes) if (set === r.peer) out.push({ ...base, family: p.includes(':') ? 6 : 4, prefix: p });
  }
  return out;
}

function indirect(rules: readonly Rule[]): ClassifierRule[] {
  return rules.map((r) =>
    typeof r.peer === 'string'
      ? { ruleIndex: r.ruleIndex, protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, family: r.peer.includes(':') ? 6 : 4, prefix: r.peer }
      : { ruleIndex: r.ruleIndex, protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, family: 4, prefix: '', addressSet: r.peer },
  );
}

function load(sets: AddressSets, s: SetsState): void {
  sets.replace([
    ...s.members4.map(([a, n]) => ({ family: 4 as const, words: [a, 0, 0, 0], sets: n })),
    ...s.members6.map(([w, n]) => ({ family: 6 as const, words: w, sets: n })),
  ]);
  sets.replacePrefixes(s.prefixes.map(([p, set]) => ({ prefix: parsePrefix(p), set })));
}

const KEYS: [number, number, number][] = [[6, 22, 0], [6, 80, 0], [6, 65535, 0], [17, 443, 0], [1, 8, 0], [1, 0, 1], [58, 128, 0], [47, 0, 0]];
const PROBES4 = [...V4_ADDRS, 0x0a000004, 0xc0000202, 0x0b000001];
const PROBES6 = [...V6_ADDRS, [0x20010db8, 0, 0, 3], [0x20010db9, 0, 0, 1], [0xfe800000, 0, 0, 2]];

describe('address sets changed under a compiled classifier', () => {
  it('leave it answering as the reference does on the rules expanded with the current sets', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 25 }), fc.array(stateArb, { minLength: 1, maxLength: 5 }), fc.boolean(), (rules, states, small) => {
        const sets = new AddressSets();
        const compiled = compileClassifier(indirect(rules), { addressSets: sets, maxTableCells: small ? 0 : undefined });
        states.forEach((state, step) => {
          load(sets, state);
          const reference = new ReferenceClassifier(expand(rules, state));
          for (const [p, port, code] of KEYS) {
            for (const a of PROBES4) {
              const got = [compiled.matchV4(p, port, code, a), compiled.matchV4(p, port, code, a | 0), compiled.explainV4(p, port, code, a)];
              const want = [reference.matchV4(p, port, code, a), reference.matchV4(p, port, code, a), reference.explainV4(p, port, code, a)];
              expect({ step, p, port, a, got }).toEqual({ step, p, port, a, got: want });
            }
            for (const [w0, w1, w2, w3] of PROBES6) {
              const got = [compiled.matchV6(p, port, code, w0, w1, w2, w3), compiled.matchV6(p, port, code, w0 | 0, w1 | 0, w2 | 0, w3 | 0), compiled.explainV6(p, port, code, w0, w1, w2, w3)];
              const want = [reference.matchV6(p, port, code, w0, w1, w2, w3), reference.matchV6(p, port, code, w0, w1, w2, w3), reference.explainV6(p, port, code, w0, w1, w2, w3)];
              expect({ step, p, port, w: [w0, w1, w2, w3], got }).toEqual({ step, p, port, w: [w0, w1, w2, w3], got: want });
            }
            expect(compiled.allowsAllToWorld(4, p)).toBe(reference.allowsAllToWorld(4, p));
            expect(compiled.allowsAllToWorld(6, p)).toBe(reference.allowsAllToWorld(6, p));
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('merge the sets of an address listed twice (the same address on interfaces of two VPCs)', () => {
    const sets = new AddressSets();
    sets.replace([
      { family: 4, words: [0x0a000001, 0, 0, 0], sets: [3] },
      { family: 4, words: [0x0a000001, 0, 0, 0], sets: [40, 3] },
      { family: 6, words: [0x20010db8, 0, 0, 1], sets: [] },
    ]);
    expect(sets.size).toBe(1);
    expect(sets.setsOf(4, 0x0a000001, 0, 0, 0).sort((a, b) => a - b)).toEqual([3, 40]);
    expect(sets.setsOf(6, 0x20010db8, 0, 0, 1)).toEqual([]);
  });
});
