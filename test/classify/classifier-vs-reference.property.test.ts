import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileClassifier, type ClassifierRule } from '../../src/classify/index.js';
import { ReferenceClassifier } from '../../src/classify/reference-classifier.js';
import { v4, v4Text, v6, v6Text } from './addresses.js';

// Values chosen to collide: rules share ports, types and prefixes so ranges overlap and nest.
const PROTOCOLS = [-1, 6, 6, 17, 1, 58, 47, 0, 255];
const PORTS = [0, 1, 21, 22, 80, 443, 1000, 8080, 65534, 65535];
const ICMP_TYPES = [-1, 0, 3, 8, 128, 255];
const ICMP_CODES = [-1, 0, 4, 255];
const V4_BASES = [0x0a000000, 0x0a000100, 0x0a000105, 0xc0a80000, 0x80000000, 0xffffffff, 0];
const V6_BASES: number[][] = [
  [0x20010db8, 0, 0, 0],
  [0x20010db8, 0, 1, 0x0a],
  [0x20010db8, 0x80000000, 0, 0],
  [0xfe800000, 0, 0, 1],
  [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
  [0, 0, 0, 0],
];

const word = fc.integer({ min: 0, max: 0xffffffff });
const pick = <T>(values: T[]) => fc.constantFrom(...values);
const port = fc.oneof(pick(PORTS), fc.integer({ min: 0, max: 65535 }));

function mask(words: number[], length: number): number[] {
  return words.map((w, i) => {
    const bits = Math.max(0, Math.min(32, length - i * 32));
    return bits === 0 ? 0 : bits === 32 ? w >>> 0 : (w & (0xffffffff << (32 - bits))) >>> 0;
  });
}

const v4Prefix = fc
  .tuple(fc.oneof(pick(V4_BASES), word), fc.oneof(pick([0, 1, 8, 16, 24, 31, 32, 32, 32]), fc.integer({ min: 0, max: 32 })))
  .map(([base, length]) => `${v4Text(mask([base], length)[0])}/${length}`);
const v6Prefix = fc
  .tuple(
    fc.oneof(pick(V6_BASES), fc.tuple(word, word, word, word)),
    fc.oneof(pick([0, 1, 10, 32, 33, 56, 64, 96, 127, 128, 128]), fc.integer({ min: 0, max: 128 })),
  )
  .map(([base, length]) => `${v6Text(mask([...base], length))}/${length}`);

const ports = fc.oneof(
  fc.tuple(port, port).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
  port.map((p) => [p, p] as const),
  fc.constant([0, 65535] as const),
);

const rule: fc.Arbitrary<ClassifierRule> = fc
  .tuple(fc.integer({ min: 0, max: 40 }), pick(PROTOCOLS), fc.constantFrom<4 | 6>(4, 6), ports, pick(ICMP_TYPES), pick(ICMP_CODES), v4Prefix, v6Prefix)
  .map(([ruleIndex, protocol, family, [lo, hi], type, code, p4, p6]) => {
    let fromPort = -1;
    let toPort = -1;
    if (protocol === 6 || protocol === 17) [fromPort, toPort] = [lo, hi];
    if (protocol === 1 || protocol === 58) [fromPort, toPort] = [type, type === -1 ? -1 : code];
    return { ruleIndex, protocol, fromPort, toPort, family, prefix: family === 4 ? p4 : p6 };
  });

interface Packet {
  protocol: number;
  port: number;
  code: number;
  words: number[];
}

/** Packets on and just past the rules' edges (ports, types, codes, prefixes) or anywhere. */
function packet(rules: ClassifierRule[]): fc.Arbitrary<Packet> {
  const near = rules.length === 0 ? [V6_BASES[0]] : rules.map((r) => v6Words(r));
  const edges = [0, 3, 8, 128, 255];
  for (const r of rules) edges.push(r.fromPort - 1, r.fromPort, r.fromPort + 1, r.toPort - 1, r.toPort, r.toPort + 1);
  const keys = edges.filter((k) => k >= 0 && k <= 65535);
  const codes = keys.filter((k) => k <= 255);
  return fc.record({
    protocol: fc.oneof(pick([6, 17, 1, 58, 47, 0, 255]), fc.integer({ min: 0, max: 255 })),
    port: fc.oneof(port, pick(keys), pick(codes)),
    code: fc.oneof(pick(codes), fc.integer({ min: 0, max: 255 })),
    words: fc.oneof(
      fc.tuple(pick(near), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 31 })).map(([w, i, bit]) => {
        const out = [...w];
        out[i] = (out[i] ^ (1 << bit)) >>> 0;
        return out;
      }),
      pick(near),
      fc.tuple(word, word, word, word),
    ),
  })
    // An ICMP type is one byte on the wire: the decoder never hands the classifier a larger one.
    .map((p) => (p.protocol === 1 || p.protocol === 58 ? { ...p, port: p.port & 255 } : p));
}

function v6Words(r: ClassifierRule): number[] {
  const [addr] = r.prefix.split('/');
  return r.family === 4 ? [v4(addr), 0, 0, 0] : v6(addr);
}

const scenario = fc
  .array(rule, { maxLength: 300 })
  .chain((rules) => fc.tuple(fc.constant(rules), fc.array(packet(rules), { minLength: 1, maxLength: 60 })));

describe('the compiled classifier agrees with the reference evaluator', () => {
  it('on match bits and explained rules, for random rules and packets', () => {
    fc.assert(
      fc.property(scenario, fc.boolean(), ([rules, packets], withoutTable) => {
        // withoutTable: the path taken when the port × address table would be too large
        const compiled = compileClassifier(rules, withoutTable ? { maxTableCells: 0 } : {});
        const reference = new ReferenceClassifier(rules);
        for (const p of packets) {
          const [w0, w1, w2, w3] = p.words;
          expect(compiled.matchV4(p.protocol, p.port, p.code, w0)).toBe(reference.matchV4(p.protocol, p.port, p.code, w0));
          expect(compiled.matchV6(p.protocol, p.port, p.code, w0, w1, w2, w3)).toBe(reference.matchV6(p.protocol, p.port, p.code, w0, w1, w2, w3));
          expect(compiled.explainV4(p.protocol, p.port, p.code, w0)).toEqual(reference.explainV4(p.protocol, p.port, p.code, w0));
          expect(compiled.explainV6(p.protocol, p.port, p.code, w0, w1, w2, w3)).toEqual(
            reference.explainV6(p.protocol, p.port, p.code, w0, w1, w2, w3),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('on whether all traffic of a protocol is allowed to the world', () => {
    // world rules made common so that the answer is sometimes yes
    const worldRule = fc
      .tuple(rule, fc.boolean())
      .map(([r, open]) => (open ? { ...r, prefix: r.family === 4 ? '0.0.0.0/0' : '::/0' } : r));
    const wide = fc.oneof(
      worldRule,
      fc.constantFrom<ClassifierRule>(
        { ruleIndex: 0, protocol: 6, fromPort: 0, toPort: 32767, family: 4, prefix: '0.0.0.0/0' },
        { ruleIndex: 1, protocol: 6, fromPort: 32768, toPort: 65535, family: 4, prefix: '0.0.0.0/0' },
        { ruleIndex: 2, protocol: 1, fromPort: -1, toPort: -1, family: 4, prefix: '0.0.0.0/0' },
        { ruleIndex: 3, protocol: -1, fromPort: -1, toPort: -1, family: 6, prefix: '::/0' },
      ),
    );
    fc.assert(
      fc.property(fc.array(wide, { maxLength: 12 }), pick([4, 6] as const), pick([6, 17, 1, 58, 47]), (rules, family, protocol) => {
        const compiled = compileClassifier(rules);
        const reference = new ReferenceClassifier(rules);
        expect(compiled.allowsAllToWorld(family, protocol)).toBe(reference.allowsAllToWorld(family, protocol));
      }),
      { numRuns: 150 },
    );
  });
});
