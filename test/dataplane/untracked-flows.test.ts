// Seed 001's untracked-flow rule as one function (dataplane/untracked-flows.ts), which the
// dataplane and `sgfw explain` both call: the user guide's example group, and its variations.
import { describe, expect, it } from 'vitest';
import { compileClassifier, MATCH, type ClassifierRule, type Classifier } from '../../src/classify/index.js';
import { mayGoUntracked, untrackedFlow, Untracked } from '../../src/dataplane/untracked-flows.js';
import type { PacketView } from '../../src/packet/packet-view.js';
import { icmp, SYN, tcp, udp } from '../conntrack/packets.js';

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ALL = -1;
const HOST = '10.0.0.20';
const CLIENT = '198.51.100.7';

function rules(...list: [protocol: number, from: number, to: number, prefix: string][]): Classifier {
  return compileClassifier(
    list.map(([protocol, fromPort, toPort, prefix], ruleIndex): ClassifierRule => ({ ruleIndex, protocol, fromPort, toPort, family: 4, prefix })),
  );
}

/** As the dataplane asks it: the rules of the direction `v` crosses, their match, then the rule. */
function judge(v: PacketView, outbound: boolean, ingress: Classifier, egress: Classifier): number {
  const here = outbound ? egress : ingress;
  const other = outbound ? ingress : egress;
  const peer = outbound ? v.dst : v.src;
  const port = v.protocol === TCP || v.protocol === UDP ? v.dstPort : v.protocol === ICMP ? v.icmpType : 0;
  const m = here.matchV4(v.protocol, port, v.protocol === ICMP ? v.icmpCode : 0, peer[0] | 0);
  expect(m & MATCH, 'the rules allow the packet').toBe(MATCH);
  return untrackedFlow(v, outbound, m, here, other);
}

// The user guide's example: SSH from one address, HTTP and ICMP from everyone, all traffic out.
const guideIngress = rules([TCP, 22, 22, '203.0.113.1/32'], [TCP, 80, 80, '0.0.0.0/0'], [ICMP, -1, -1, '0.0.0.0/0']);
const allOut = rules([ALL, 0, 0, '0.0.0.0/0']);
const nothingOut = rules();

describe('untrackedFlow (seed 001, "Connection tracking")', () => {
  it('"TCP traffic on port 80 (HTTP) to and from the instance is not tracked": the request and its response', () => {
    expect(judge(tcp(CLIENT, 49152, HOST, 80, SYN), false, guideIngress, allOut)).toBe(Untracked.AS_REQUEST);
    expect(judge(tcp(HOST, 80, CLIENT, 49152, SYN), true, guideIngress, allOut)).toBe(Untracked.AS_RESPONSE);
  });

  it('"TCP traffic on port 22 (SSH) … is tracked, because the inbound rule allows traffic from 203.0.113.1/32 only"', () => {
    expect(judge(tcp('203.0.113.1', 49152, HOST, 22, SYN), false, guideIngress, allOut)).toBe(Untracked.NO);
    expect(judge(tcp(HOST, 22, '203.0.113.1', 49152, SYN), true, guideIngress, allOut)).toBe(Untracked.NO);
  });

  it('"ICMP traffic is always tracked, regardless of rules"', () => {
    expect(mayGoUntracked(ICMP)).toBe(false);
    expect(judge(icmp(CLIENT, HOST, 8, 1), false, guideIngress, allOut)).toBe(Untracked.NO);
  });

  it('protocols other than TCP and UDP are tracked (the 600-second rule), even with all traffic open both ways', () => {
    expect(mayGoUntracked(47)).toBe(false);
    expect([TCP, UDP].every(mayGoUntracked)).toBe(true);
  });

  it('"If you remove the outbound rule from the security group, all traffic to and from the instance is tracked"', () => {
    const withoutOut = rules([TCP, 80, 80, '0.0.0.0/0']);
    // A request in still matches the world rule, but nothing allows all responses out.
    const v = tcp(CLIENT, 49152, HOST, 80, SYN);
    expect(judge(v, false, withoutOut, nothingOut)).toBe(Untracked.NO);
  });

  it('the response rule must cover all ports (0-65535): a narrower outbound world rule leaves the flow tracked', () => {
    const someOut = rules([TCP, 1024, 65535, '0.0.0.0/0']);
    expect(judge(udp(CLIENT, 49152, HOST, 80), false, rules([UDP, 80, 80, '0.0.0.0/0']), someOut)).toBe(Untracked.NO);
    expect(judge(udp(CLIENT, 49152, HOST, 80), false, rules([UDP, 80, 80, '0.0.0.0/0']), rules([UDP, 0, 65535, '0.0.0.0/0']))).toBe(
      Untracked.AS_REQUEST,
    );
  });
});
