import { describe, expect, it } from 'vitest';
import { compileClassifier, MATCH, MATCH_WORLD, type ClassifierRule } from '../../src/classify/index.js';
import { ReferenceClassifier } from '../../src/classify/reference-classifier.js';
import { v4, v6 } from './addresses.js';

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;
const GRE = 47;
const ESP = 50;

let nextIndex = 0;
function rule(protocol: number, fromPort: number, toPort: number, prefix: string, ruleIndex = nextIndex++): ClassifierRule {
  return { ruleIndex, protocol, fromPort, toPort, family: prefix.includes(':') ? 6 : 4, prefix };
}

/** Both implementations, so every hand-written expectation checks the compiled trie and the reference. */
function both(rules: ClassifierRule[]) {
  return [
    ['compiled', compileClassifier(rules)],
    ['reference', new ReferenceClassifier(rules)],
  ] as const;
}

function m4(rules: ClassifierRule[], protocol: number, port: number, code: number, addr: string): number {
  const results = both(rules).map(([, c]) => c.matchV4(protocol, port, code, v4(addr)));
  expect(results[0], 'compiled vs reference').toBe(results[1]);
  return results[0];
}

function m6(rules: ClassifierRule[], protocol: number, port: number, code: number, addr: string): number {
  const w = v6(addr);
  const results = both(rules).map(([, c]) => c.matchV6(protocol, port, code, w[0], w[1], w[2], w[3]));
  expect(results[0], 'compiled vs reference').toBe(results[1]);
  return results[0];
}

function world(rules: ClassifierRule[], family: 4 | 6, protocol: number): boolean {
  const results = both(rules).map(([, c]) => c.allowsAllToWorld(family, protocol));
  expect(results[0], 'compiled vs reference').toBe(results[1]);
  return results[0];
}

describe('an interface with no rules allows nothing', () => {
  it('matches no packet of any protocol or family', () => {
    for (const p of [TCP, UDP, ICMP, GRE, 0, 255]) {
      expect(m4([], p, 22, 0, '10.0.0.1')).toBe(0);
      expect(m6([], p, 22, 0, '2001:db8::1')).toBe(0);
    }
    for (const [, c] of both([])) {
      expect(c.allowsAllToWorld(4, TCP)).toBe(false);
      expect(c.allowsAllToWorld(6, -1)).toBe(false);
      expect(c.explainV4(TCP, 22, 0, v4('10.0.0.1'))).toEqual([]);
    }
  });
});

describe('a TCP rule allows its port range from its prefix only', () => {
  const rules = [rule(TCP, 22, 22, '203.0.113.1/32')];
  it('allows SSH from the one address', () => {
    expect(m4(rules, TCP, 22, 0, '203.0.113.1')).toBe(MATCH);
  });
  it('refuses the neighbouring ports, addresses and UDP', () => {
    expect(m4(rules, TCP, 21, 0, '203.0.113.1')).toBe(0);
    expect(m4(rules, TCP, 23, 0, '203.0.113.1')).toBe(0);
    expect(m4(rules, TCP, 22, 0, '203.0.113.2')).toBe(0);
    expect(m4(rules, TCP, 22, 0, '203.0.112.1')).toBe(0);
    expect(m4(rules, UDP, 22, 0, '203.0.113.1')).toBe(0);
  });
  it('does not apply to IPv6 peers', () => {
    expect(m6(rules, TCP, 22, 0, '::cb00:7101')).toBe(0);
  });
});

describe('port ranges are inclusive up to the edges 0 and 65535', () => {
  const rules = [rule(UDP, 0, 0, '10.0.0.0/8'), rule(UDP, 65535, 65535, '10.0.0.0/8'), rule(TCP, 0, 65535, '192.0.2.0/24')];
  it('allows ports 0 and 65535 and nothing between for the single-port rules', () => {
    expect(m4(rules, UDP, 0, 0, '10.1.2.3')).toBe(MATCH);
    expect(m4(rules, UDP, 65535, 0, '10.1.2.3')).toBe(MATCH);
    expect(m4(rules, UDP, 1, 0, '10.1.2.3')).toBe(0);
    expect(m4(rules, UDP, 65534, 0, '10.1.2.3')).toBe(0);
  });
  it('allows every TCP port for 0-65535', () => {
    for (const port of [0, 1, 80, 32768, 65534, 65535]) expect(m4(rules, TCP, port, 0, '192.0.2.200')).toBe(MATCH);
  });
});

describe('overlapping rules: the most permissive one applies', () => {
  const rules = [rule(TCP, 1000, 2000, '10.0.0.0/8', 0), rule(TCP, 1500, 2500, '192.168.0.0/16', 1), rule(TCP, 1800, 1800, '0.0.0.0/0', 2)];
  it('allows each range from its own prefix', () => {
    expect(m4(rules, TCP, 1200, 0, '10.9.9.9')).toBe(MATCH);
    expect(m4(rules, TCP, 1200, 0, '192.168.1.1')).toBe(0);
    expect(m4(rules, TCP, 2200, 0, '192.168.1.1')).toBe(MATCH);
    expect(m4(rules, TCP, 2200, 0, '10.9.9.9')).toBe(0);
    expect(m4(rules, TCP, 1700, 0, '10.9.9.9')).toBe(MATCH);
    expect(m4(rules, TCP, 1700, 0, '192.168.1.1')).toBe(MATCH);
    expect(m4(rules, TCP, 2501, 0, '192.168.1.1')).toBe(0);
  });
  it('says which rules allowed a packet', () => {
    for (const [, c] of both(rules)) {
      expect(c.explainV4(TCP, 1800, 0, v4('10.0.0.1'))).toEqual([0, 2]);
      expect(c.explainV4(TCP, 1800, 0, v4('192.168.0.1'))).toEqual([1, 2]);
      expect(c.explainV4(TCP, 1799, 0, v4('8.8.8.8'))).toEqual([]);
    }
  });
});

describe('many distinct port ranges (an indexed port table)', () => {
  const rules: ClassifierRule[] = [];
  for (let i = 0; i < 40; i++) rules.push(rule(TCP, 1000 + i * 100, 1000 + i * 100 + 9, `10.${i}.0.0/16`, i));
  it('finds the right range and prefix for each', () => {
    for (let i = 0; i < 40; i++) {
      expect(m4(rules, TCP, 1000 + i * 100, 0, `10.${i}.5.5`)).toBe(MATCH);
      expect(m4(rules, TCP, 1009 + i * 100, 0, `10.${i}.5.5`)).toBe(MATCH);
      expect(m4(rules, TCP, 1010 + i * 100, 0, `10.${i}.5.5`)).toBe(0);
      expect(m4(rules, TCP, 1000 + i * 100, 0, `10.${i + 1}.5.5`)).toBe(0);
    }
  });
});

describe('protocol -1 allows all traffic', () => {
  const rules = [rule(-1, -1, -1, '198.51.100.0/24'), rule(-1, -1, -1, '2001:db8::/32')];
  it('matches every protocol, port, ICMP type and other protocols', () => {
    for (const p of [TCP, UDP, ICMP, GRE, ESP, 0, 255]) {
      expect(m4(rules, p, 12345, 7, '198.51.100.9')).toBe(MATCH);
      expect(m4(rules, p, 12345, 7, '198.51.101.9')).toBe(0);
      expect(m6(rules, p === ICMP ? ICMPV6 : p, 1, 0, '2001:db8:ffff::1')).toBe(MATCH);
    }
  });
  it('is merged with protocol-specific rules', () => {
    const mixed = [...rules, rule(TCP, 80, 80, '0.0.0.0/0')];
    expect(m4(mixed, TCP, 22, 0, '198.51.100.9')).toBe(MATCH);
    expect(m4(mixed, TCP, 80, 0, '198.51.100.9')).toBe(MATCH | MATCH_WORLD);
    expect(m4(mixed, TCP, 22, 0, '8.8.8.8')).toBe(0);
  });
});

describe('ICMP rules match by type and code', () => {
  const rules = [
    rule(ICMP, 8, -1, '10.0.0.0/8'), // echo request, any code
    rule(ICMP, 3, 4, '192.168.0.0/16'), // fragmentation needed only
    rule(ICMP, -1, -1, '172.16.0.0/12'), // all ICMP
    rule(ICMPV6, 128, 0, '2001:db8::/32'),
  ];
  it('type T with code -1 allows every code of T only', () => {
    expect(m4(rules, ICMP, 8, 0, '10.1.1.1')).toBe(MATCH);
    expect(m4(rules, ICMP, 8, 255, '10.1.1.1')).toBe(MATCH);
    expect(m4(rules, ICMP, 0, 0, '10.1.1.1')).toBe(0);
    expect(m4(rules, ICMP, 9, 0, '10.1.1.1')).toBe(0);
  });
  it('type T code C allows only that code', () => {
    expect(m4(rules, ICMP, 3, 4, '192.168.7.7')).toBe(MATCH);
    expect(m4(rules, ICMP, 3, 3, '192.168.7.7')).toBe(0);
    expect(m4(rules, ICMP, 3, 5, '192.168.7.7')).toBe(0);
  });
  it('type -1 allows every type and code', () => {
    expect(m4(rules, ICMP, 0, 0, '172.31.255.255')).toBe(MATCH);
    expect(m4(rules, ICMP, 255, 255, '172.16.0.0')).toBe(MATCH);
    expect(m4(rules, ICMP, 0, 0, '172.32.0.0')).toBe(0);
  });
  it('ICMP rules do not allow TCP, and ICMPv6 rules apply to ICMPv6', () => {
    expect(m4(rules, TCP, 8, 0, '10.1.1.1')).toBe(0);
    expect(m6(rules, ICMPV6, 128, 0, '2001:db8::5')).toBe(MATCH);
    expect(m6(rules, ICMPV6, 128, 1, '2001:db8::5')).toBe(0);
    expect(m6(rules, ICMPV6, 129, 0, '2001:db8::5')).toBe(0);
    expect(m6(rules, ICMP, 128, 0, '2001:db8::5')).toBe(0);
  });
});

describe('other IP protocols match on protocol and prefix alone', () => {
  const rules = [rule(GRE, -1, -1, '203.0.113.0/24')];
  it('allows GRE whatever port value is passed, and not ESP', () => {
    expect(m4(rules, GRE, 0, 0, '203.0.113.5')).toBe(MATCH);
    expect(m4(rules, GRE, 999, 3, '203.0.113.5')).toBe(MATCH);
    expect(m4(rules, ESP, 0, 0, '203.0.113.5')).toBe(0);
    expect(m4(rules, GRE, 0, 0, '203.0.114.5')).toBe(0);
  });
});

describe('prefix lengths from /0 to /32 and /128', () => {
  it('/1 splits the address space in half', () => {
    const rules = [rule(TCP, 80, 80, '128.0.0.0/1')];
    expect(m4(rules, TCP, 80, 0, '128.0.0.0')).toBe(MATCH);
    expect(m4(rules, TCP, 80, 0, '255.255.255.255')).toBe(MATCH);
    expect(m4(rules, TCP, 80, 0, '127.255.255.255')).toBe(0);
  });
  it('/31 holds exactly two addresses', () => {
    const rules = [rule(TCP, 80, 80, '10.0.0.4/31')];
    expect(m4(rules, TCP, 80, 0, '10.0.0.4')).toBe(MATCH);
    expect(m4(rules, TCP, 80, 0, '10.0.0.5')).toBe(MATCH);
    expect(m4(rules, TCP, 80, 0, '10.0.0.3')).toBe(0);
    expect(m4(rules, TCP, 80, 0, '10.0.0.6')).toBe(0);
  });
  it('/32s of one VPC (expanded group members) match each host only', () => {
    const rules = [rule(TCP, 5432, 5432, '10.0.1.5/32', 7), rule(TCP, 5432, 5432, '10.0.2.6/32', 7)];
    expect(m4(rules, TCP, 5432, 0, '10.0.1.5')).toBe(MATCH);
    expect(m4(rules, TCP, 5432, 0, '10.0.2.6')).toBe(MATCH);
    expect(m4(rules, TCP, 5432, 0, '10.0.1.6')).toBe(0);
    expect(m4(rules, TCP, 5432, 0, '10.1.1.5')).toBe(0);
    expect(m4(rules, TCP, 5432, 0, '11.0.1.5')).toBe(0);
    for (const [, c] of both(rules)) expect(c.explainV4(TCP, 5432, 0, v4('10.0.2.6'))).toEqual([7]);
  });
  it('/128 and prefixes that end inside an IPv6 word', () => {
    const rules = [rule(TCP, 443, 443, '2001:db8:0:1::a/128'), rule(TCP, 443, 443, '2001:db8:8000::/33'), rule(TCP, 443, 443, 'fe80::/10')];
    expect(m6(rules, TCP, 443, 0, '2001:db8:0:1::a')).toBe(MATCH);
    expect(m6(rules, TCP, 443, 0, '2001:db8:0:1::b')).toBe(0);
    expect(m6(rules, TCP, 443, 0, '2001:db8:0:1:8000::a')).toBe(0);
    expect(m6(rules, TCP, 443, 0, '2001:db8:8000::1')).toBe(MATCH);
    expect(m6(rules, TCP, 443, 0, '2001:db8:ffff:ffff::1')).toBe(MATCH);
    expect(m6(rules, TCP, 443, 0, '2001:db8:7fff::1')).toBe(0);
    expect(m6(rules, TCP, 443, 0, 'febf:ffff::1')).toBe(MATCH);
    expect(m6(rules, TCP, 443, 0, 'fec0::1')).toBe(0);
  });
});

describe('MATCH_WORLD marks packets allowed by a rule open to the world', () => {
  it('is set for 0.0.0.0/0 and ::/0, along with MATCH', () => {
    const rules = [rule(TCP, 443, 443, '0.0.0.0/0'), rule(TCP, 443, 443, '10.0.0.1/32'), rule(TCP, 443, 443, '::/0')];
    expect(m4(rules, TCP, 443, 0, '10.0.0.1')).toBe(MATCH | MATCH_WORLD);
    expect(m4(rules, TCP, 443, 0, '8.8.8.8')).toBe(MATCH | MATCH_WORLD);
    expect(m6(rules, TCP, 443, 0, '2001:db8::1')).toBe(MATCH | MATCH_WORLD);
    expect(m4(rules, TCP, 444, 0, '8.8.8.8')).toBe(0);
  });
  it('is not set when two halves cover every address', () => {
    const rules = [rule(TCP, 443, 443, '0.0.0.0/1'), rule(TCP, 443, 443, '128.0.0.0/1')];
    expect(m4(rules, TCP, 443, 0, '8.8.8.8')).toBe(MATCH);
    expect(m4(rules, TCP, 443, 0, '200.8.8.8')).toBe(MATCH);
  });
});

describe('allowsAllToWorld: the other direction allows all response traffic to the world', () => {
  it('is true for TCP 0-65535 to 0.0.0.0/0, also when split in pieces', () => {
    expect(world([rule(TCP, 0, 65535, '0.0.0.0/0')], 4, TCP)).toBe(true);
    expect(world([rule(TCP, 0, 1000, '0.0.0.0/0'), rule(TCP, 1001, 65535, '0.0.0.0/0')], 4, TCP)).toBe(true);
  });
  it('is false when a port is missing, the prefix is not /0, or for another protocol or family', () => {
    expect(world([rule(TCP, 0, 65534, '0.0.0.0/0')], 4, TCP)).toBe(false);
    expect(world([rule(TCP, 1, 65535, '0.0.0.0/0')], 4, TCP)).toBe(false);
    expect(world([rule(TCP, 0, 65535, '0.0.0.0/1'), rule(TCP, 0, 65535, '128.0.0.0/1')], 4, TCP)).toBe(false);
    expect(world([rule(TCP, 0, 65535, '0.0.0.0/0')], 4, UDP)).toBe(false);
    expect(world([rule(TCP, 0, 65535, '0.0.0.0/0')], 6, TCP)).toBe(false);
    expect(world([rule(TCP, 0, 65535, '0.0.0.0/0')], 4, -1)).toBe(false);
  });
  it('is true for every protocol with an all-traffic rule to the world', () => {
    const rules = [rule(-1, -1, -1, '::/0')];
    for (const p of [TCP, UDP, ICMPV6, GRE, -1]) expect(world(rules, 6, p)).toBe(true);
    expect(world(rules, 4, TCP)).toBe(false);
  });
  it('ICMP needs every type and code', () => {
    expect(world([rule(ICMP, -1, -1, '0.0.0.0/0')], 4, ICMP)).toBe(true);
    expect(world([rule(ICMP, 8, -1, '0.0.0.0/0')], 4, ICMP)).toBe(false);
  });
  it('other protocols need a rule for them to the world', () => {
    expect(world([rule(GRE, -1, -1, '0.0.0.0/0')], 4, GRE)).toBe(true);
    expect(world([rule(GRE, -1, -1, '10.0.0.0/8')], 4, GRE)).toBe(false);
  });
});

describe('an expanded group reference is explained as one rule', () => {
  it('lists each ruleIndex once, in ascending order', () => {
    const rules = [rule(TCP, 22, 22, '10.0.0.0/16', 5), rule(TCP, 22, 22, '10.0.0.7/32', 3), rule(TCP, 0, 100, '10.0.0.0/24', 3)];
    for (const [, c] of both(rules)) expect(c.explainV4(TCP, 22, 0, v4('10.0.0.7'))).toEqual([3, 5]);
    const w = v6('2001:db8::7');
    for (const [, c] of both([rule(-1, -1, -1, '2001:db8::7/128', 9)])) expect(c.explainV6(UDP, 53, 0, w[0], w[1], w[2], w[3])).toEqual([9]);
  });
});

describe('a group reference expanded to hundreds of member addresses', () => {
  // members every third address of 10.0.0.0/22 plus a sparse handful in 10.0.4.0/24 and IPv6 hosts:
  // dense, sparse and single-host trie nodes all occur
  const members4: number[] = [];
  for (let a = v4('10.0.0.0'); a < v4('10.0.4.0'); a += 3) members4.push(a);
  for (const h of [7, 99, 200]) members4.push(v4('10.0.4.0') + h);
  const members6 = [1, 2, 3, 0x1234, 0xfffe].map((h) => `2600:1f18:1234:5600::${h.toString(16)}`);
  const toText = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  const rules = [
    ...members4.map((a) => rule(TCP, 5432, 5432, `${toText(a)}/32`, 1)),
    ...members6.map((a) => rule(TCP, 5432, 5432, `${a}/128`, 1)),
    rule(TCP, 22, 22, '10.0.1.0/24', 2),
  ];
  const isMember = new Set(members4);
  for (const [name, options] of [['with the port × address table', {}], ['without it', { maxTableCells: 0 }]] as const) {
    it(`allows exactly the members on the rule's port, ${name}`, () => {
      const c = compileClassifier(rules, options);
      for (let a = v4('10.0.0.0'); a < v4('10.0.6.0'); a++) {
        expect(c.matchV4(TCP, 5432, 0, a), toText(a)).toBe(isMember.has(a) ? MATCH : 0);
        expect(c.matchV4(TCP, 22, 0, a), toText(a)).toBe((a >>> 8) === v4('10.0.1.0') >>> 8 ? MATCH : 0);
      }
      for (const m of members6) {
        const w = v6(m);
        expect(c.matchV6(TCP, 5432, 0, w[0], w[1], w[2], w[3]), m).toBe(MATCH);
        expect(c.matchV6(TCP, 5432, 0, w[0], w[1], w[2], w[3] + 4), m).toBe(0);
        expect(c.matchV6(TCP, 5432, 0, w[0], w[1] + 1, w[2], w[3]), m).toBe(0);
      }
    });
  }
});
