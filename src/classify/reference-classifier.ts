// The plainly written classifier the compiled one is measured and tested against: a linear scan
// over the rules, each checked against the seed's semantics one by one. Used only by tests and
// benchmarks. Semantics (seed 001 and the EC2 rule reference):
// - rules only allow; a packet is allowed when ANY rule matches ("the most permissive rule");
// - protocol -1 matches every protocol, port, type and code;
// - TCP/UDP: the packet's destination port within fromPort..toPort (fromPort -1: all ports);
// - ICMP/ICMPv6: fromPort is the type, toPort the code; type -1 matches any type and code, code
//   -1 any code of that type;
// - any other protocol: every packet of that protocol;
// - the peer address inside the rule's prefix; MATCH_WORLD when that prefix has length 0.
import ipaddr from 'ipaddr.js';
import { MATCH, MATCH_WORLD, type ClassifierRule } from './classifier-rule.js';

interface ReferenceRule {
  rule: ClassifierRule;
  length: number;
  /** the prefix's network and mask as four big-endian words (IPv4 in the first) */
  network: Uint32Array;
  mask: Uint32Array;
}

export class ReferenceClassifier {
  private readonly rules: ReferenceRule[];

  constructor(rules: readonly ClassifierRule[]) {
    this.rules = rules.map((rule) => {
      const [addr, length] = ipaddr.parseCIDR(rule.prefix);
      const bytes = addr.toByteArray();
      const network = new Uint32Array(4);
      const mask = new Uint32Array(4);
      for (let bit = 0; bit < length; bit++) mask[bit >> 5] |= 1 << (31 - (bit & 31));
      for (let i = 0; i < bytes.length; i++) network[i >> 2] |= bytes[i] << (24 - 8 * (i & 3));
      for (let w = 0; w < 4; w++) network[w] &= mask[w];
      return { rule, length, network, mask };
    });
  }

  matchV4(protocol: number, portOrType: number, icmpCode: number, addr: number): number {
    return this.match(4, protocol, portOrType, icmpCode, addr, 0, 0, 0);
  }

  matchV6(protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): number {
    return this.match(6, protocol, portOrType, icmpCode, w0, w1, w2, w3);
  }

  explainV4(protocol: number, portOrType: number, icmpCode: number, addr: number): number[] {
    return this.explain(4, protocol, portOrType, icmpCode, addr, 0, 0, 0);
  }

  explainV6(protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): number[] {
    return this.explain(6, protocol, portOrType, icmpCode, w0, w1, w2, w3);
  }

  allowsAllToWorld(family: 4 | 6, protocol: number): boolean {
    if (protocol === -1) {
      for (let p = 0; p < 256; p++) if (!this.allowsAllToWorld(family, p)) return false;
      return true;
    }
    const world = this.rules.filter(
      (r) => r.rule.family === family && r.length === 0 && (r.rule.protocol === -1 || r.rule.protocol === protocol),
    );
    if (protocol === 6 || protocol === 17) {
      for (let port = 0; port <= 65535; port++) {
        if (!world.some((r) => portOrTypeMatches(r.rule, protocol, port, 0))) return false;
      }
      return true;
    }
    if (protocol === 1 || protocol === 58) {
      for (let type = 0; type <= 255; type++) {
        for (let code = 0; code <= 255; code++) {
          if (!world.some((r) => portOrTypeMatches(r.rule, protocol, type, code))) return false;
        }
      }
      return true;
    }
    return world.length > 0;
  }

  private match(family: 4 | 6, protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): number {
    let bits = 0;
    for (const r of this.rules) {
      if (this.matches(r, family, protocol, portOrType, icmpCode, w0, w1, w2, w3)) {
        bits |= MATCH;
        if (r.length === 0) bits |= MATCH_WORLD;
      }
    }
    return bits;
  }

  private explain(family: 4 | 6, protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): number[] {
    const found = new Set<number>();
    for (const r of this.rules) {
      if (this.matches(r, family, protocol, portOrType, icmpCode, w0, w1, w2, w3)) found.add(r.rule.ruleIndex);
    }
    return [...found].sort((a, b) => a - b);
  }

  private matches(r: ReferenceRule, family: 4 | 6, protocol: number, portOrType: number, icmpCode: number, w0: number, w1: number, w2: number, w3: number): boolean {
    if (r.rule.family !== family) return false;
    if (r.rule.protocol !== -1 && r.rule.protocol !== protocol) return false;
    if (!portOrTypeMatches(r.rule, protocol, portOrType, icmpCode)) return false;
    const n = r.network;
    const m = r.mask;
    return (
      ((w0 & m[0]) >>> 0) === n[0] && ((w1 & m[1]) >>> 0) === n[1] && ((w2 & m[2]) >>> 0) === n[2] && ((w3 & m[3]) >>> 0) === n[3]
    );
  }
}

function portOrTypeMatches(rule: ClassifierRule, protocol: number, portOrType: number, icmpCode: number): boolean {
  if (rule.protocol === -1) return true;
  if (protocol === 6 || protocol === 17) {
    if (rule.fromPort === -1) return true;
    return portOrType >= rule.fromPort && portOrType <= rule.toPort;
  }
  if (protocol === 1 || protocol === 58) {
    if (rule.fromPort === -1) return true;
    if (rule.fromPort !== portOrType) return false;
    return rule.toPort === -1 || rule.toPort === icmpCode;
  }
  return true;
}
