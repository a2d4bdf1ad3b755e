import { beforeEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { isAllowed, REASON_NAMES } from '../../src/dataplane/verdict.js';
import { buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { StaticModel } from '../support/static-model.js';

const WORLD4 = { kind: 'cidr4', cidr: '0.0.0.0/0' } as const;
const ALL_OUT = { egress: true, protocol: -1, peer: WORLD4 };

function judge(dp: Dataplane, spec: FrameSpec, atSeconds = 0): string {
  const frame = buildFrame(spec);
  return REASON_NAMES[dp.judge(LinkType.ETHERNET, frame, 0, frame.length, atSeconds * 1000)];
}

const tcp = (src: string, dst: string, sport: number, dport: number, flags: string): FrameSpec => ({
  src, dst, proto: 'tcp', sport, dport, flags,
});

describe('seed 001 connection tracking table', () => {
  // Inbound: tcp 22 from 203.0.113.1/32, tcp 80 from 0.0.0.0/0, icmp all from 0.0.0.0/0; outbound: all.
  let model: StaticModel;
  let dp: Dataplane;
  beforeEach(() => {
    model = new StaticModel();
    model.setGroup('sg-web', [
      { protocol: 6, fromPort: 22, toPort: 22, peer: { kind: 'cidr4', cidr: '203.0.113.1/32' } },
      { protocol: 6, fromPort: 80, toPort: 80, peer: WORLD4 },
      { protocol: 1, fromPort: -1, toPort: -1, peer: WORLD4 },
      ALL_OUT,
    ]);
    model.setInterface('eni-1', ['sg-web'], ['10.0.0.20']);
    dp = new Dataplane(model, { conntrackCapacity: 4096 });
  });

  it('tracks SSH from the one allowed address, and the flow survives the removal of its rule', () => {
    expect(judge(dp, tcp('203.0.113.1', '10.0.0.20', 50000, 22, 'S'))).toBe('rule');
    expect(judge(dp, tcp('10.0.0.20', '203.0.113.1', 22, 50000, 'SA'))).toBe('tracked');
    model.setGroup('sg-web', [ALL_OUT]);
    dp.applyModel({ groupIds: ['sg-web'] });
    expect(judge(dp, tcp('203.0.113.1', '10.0.0.20', 50000, 22, 'A'))).toBe('tracked');
    expect(judge(dp, tcp('203.0.113.1', '10.0.0.20', 50001, 22, 'S'))).toBe('ingress-no-rule');
  });

  it('does not track HTTP open to the world, so removing the rule cuts the flow at once', () => {
    expect(judge(dp, tcp('198.51.100.9', '10.0.0.20', 40000, 80, 'S'))).toBe('rule-untracked');
    expect(judge(dp, tcp('10.0.0.20', '198.51.100.9', 80, 40000, 'SA'))).toBe('rule-untracked');
    model.setGroup('sg-web', [ALL_OUT]);
    dp.applyModel({ groupIds: ['sg-web'] });
    expect(judge(dp, tcp('198.51.100.9', '10.0.0.20', 40000, 80, 'A'))).toBe('ingress-no-rule');
  });

  it('tracks port 80 once the outbound allow-all rule is removed', () => {
    model.setGroup('sg-web', [{ protocol: 6, fromPort: 80, toPort: 80, peer: WORLD4 }]);
    dp.applyModel({ groupIds: ['sg-web'] });
    expect(judge(dp, tcp('198.51.100.9', '10.0.0.20', 40000, 80, 'S'))).toBe('rule');
    // the response passes although no outbound rule exists: it is tracked
    expect(judge(dp, tcp('10.0.0.20', '198.51.100.9', 80, 40000, 'SA'))).toBe('tracked');
    // a new outbound connection does not
    expect(judge(dp, tcp('10.0.0.20', '198.51.100.9', 41000, 443, 'S'))).toBe('egress-no-rule');
  });

  it('always tracks ICMP: the echo reply passes by its identifier', () => {
    model.setGroup('sg-web', [{ protocol: 1, fromPort: -1, toPort: -1, peer: WORLD4 }]);
    dp.applyModel({ groupIds: ['sg-web'] });
    const echo = { src: '198.51.100.9', dst: '10.0.0.20', proto: 'icmp' as const, icmp: { type: 8, id: 7, seq: 1 } };
    expect(judge(dp, echo)).toBe('rule');
    expect(judge(dp, { src: '10.0.0.20', dst: '198.51.100.9', proto: 'icmp', icmp: { type: 0, id: 7, seq: 1 } })).toBe('tracked');
    expect(judge(dp, { src: '10.0.0.20', dst: '198.51.100.9', proto: 'icmp', icmp: { type: 0, id: 8, seq: 1 } })).toBe('egress-no-rule');
  });

  it('accepts another protocol from host B for 600 seconds after the instance sent it (the 600-second rule)', () => {
    model.setGroup('sg-web', [ALL_OUT]);
    dp.applyModel({ groupIds: ['sg-web'] });
    const gre = (src: string, dst: string) => ({ src, dst, proto: 47, payload: 'gre' });
    expect(judge(dp, gre('10.0.0.20', '198.51.100.50'), 0)).toBe('rule');
    expect(judge(dp, gre('198.51.100.50', '10.0.0.20'), 599)).toBe('tracked');
    expect(judge(dp, gre('198.51.100.50', '10.0.0.20'), 599 + 601)).toBe('ingress-no-rule');
  });
});

describe('verdicts between interfaces', () => {
  let model: StaticModel;
  let dp: Dataplane;
  beforeEach(() => {
    model = new StaticModel();
    model.setGroup('sg-web', [{ protocol: 6, fromPort: 80, toPort: 80, peer: WORLD4 }, ALL_OUT]);
    model.setGroup('sg-app', [{ protocol: 6, fromPort: 8080, toPort: 8080, peer: { kind: 'group', groupId: 'sg-web', userId: '1' } }, ALL_OUT]);
    model.setInterface('eni-web', ['sg-web'], ['10.0.1.10']);
    model.setInterface('eni-app', ['sg-app'], ['10.0.2.10', '10.0.2.20']);
    dp = new Dataplane(model, { conntrackCapacity: 4096 });
  });

  it('allows a member of the referenced group by its private address, and nobody else', () => {
    expect(judge(dp, tcp('10.0.1.10', '10.0.2.10', 40000, 8080, 'S'))).toBe('rule');
    expect(judge(dp, tcp('198.51.100.1', '10.0.2.10', 40000, 8080, 'S'))).toBe('ingress-no-rule');
  });

  it('needs the sender egress and the receiver ingress', () => {
    model.setGroup('sg-web', [{ protocol: 6, fromPort: 80, toPort: 80, peer: WORLD4 }]);
    dp.applyModel({ groupIds: ['sg-web'] });
    expect(judge(dp, tcp('10.0.1.10', '10.0.2.10', 40000, 8080, 'S'))).toBe('egress-no-rule');
  });

  it('applies a membership change to the rules that reference the group, for the next packet', () => {
    model.setGroup('sg-other', [ALL_OUT]);
    model.setInterface('eni-db', ['sg-other'], ['10.0.3.10']);
    dp.applyModel({ interfaceIds: ['eni-db'] });
    expect(judge(dp, tcp('10.0.3.10', '10.0.2.10', 40000, 8080, 'S'))).toBe('ingress-no-rule');
    model.setInterface('eni-db', ['sg-other', 'sg-web'], ['10.0.3.10']);
    dp.applyModel({ interfaceIds: ['eni-db'] });
    expect(judge(dp, tcp('10.0.3.10', '10.0.2.10', 40001, 8080, 'S'))).toBe('rule');
  });

  it('does not judge traffic that touches no managed interface, nor non-IP frames', () => {
    expect(judge(dp, tcp('198.51.100.1', '198.51.100.2', 1, 2, 'S'))).toBe('unmanaged');
    const arp = Buffer.alloc(42);
    arp.writeUInt16BE(0x0806, 12);
    expect(REASON_NAMES[dp.judge(LinkType.ETHERNET, arp, 0, arp.length, 0)]).toBe('not-ip');
  });

  it('drops a malformed frame and counts it by reason', () => {
    const frame = buildFrame(tcp('198.51.100.1', '10.0.1.10', 1, 80, 'S'));
    const reason = dp.judge(LinkType.ETHERNET, frame, 0, 30, 0);
    expect(REASON_NAMES[reason]).toBe('malformed');
    expect(isAllowed(reason)).toBe(false);
    expect(dp.reasonCounts[reason]).toBe(1);
  });

  it('says which rules allowed a packet', () => {
    expect(judge(dp, tcp('10.0.1.10', '10.0.2.10', 40000, 8080, 'S'))).toBe('rule');
    const rules = dp.explainLast(dp.lastDestinationInterface, false);
    expect(rules.map((r) => r.groupId)).toEqual(['sg-app']);
  });
});

describe('IPv6 neighbour discovery is link control, passed like ARP', () => {
  const model = new StaticModel();
  // No ICMPv6 rule either way: only what the rules do not judge can pass.
  model.setGroup('sg-closed', [{ egress: true, protocol: 6, fromPort: 443, toPort: 443, peer: { kind: 'cidr6', cidr: '::/0' } }]);
  model.setInterface('eni-v6', ['sg-closed'], ['10.0.0.1'], ['2001:db8::10']);
  const dp = new Dataplane(model);
  const reasonOf = (spec: FrameSpec): string => {
    const f = buildFrame(spec);
    return REASON_NAMES[dp.judge(LinkType.ETHERNET, f, 0, f.length, 1000)];
  };
  const nd = (type: number, src: string, dst: string, ttl = 255): FrameSpec => ({ src, dst, proto: 'icmpv6', icmp: { type }, ttl, payload: new Uint8Array(20) });

  it('router and neighbour solicitations, advertisements and redirects (133–137) with hop limit 255 pass both ways', () => {
    for (const type of [133, 134, 135, 136, 137]) {
      expect(reasonOf(nd(type, '2001:db8::20', '2001:db8::10'))).toBe('neighbour-discovery');
      expect(reasonOf(nd(type, '2001:db8::10', 'ff02::1:ff00:20'))).toBe('neighbour-discovery');
    }
  });

  it('one that crossed a router (hop limit below 255), other ICMPv6 types and ICMPv4 are judged by the rules', () => {
    expect(reasonOf(nd(135, '2001:db8::20', '2001:db8::10', 254))).toBe('ingress-no-rule');
    expect(reasonOf(nd(128, '2001:db8::20', '2001:db8::10'))).toBe('ingress-no-rule');
    expect(reasonOf(nd(138, '2001:db8::20', '2001:db8::10'))).toBe('ingress-no-rule');
    expect(reasonOf(nd(136, '2001:db8::10', '2001:db8::20', 64))).toBe('egress-no-rule');
    expect(reasonOf({ src: '198.51.100.1', dst: '10.0.0.1', proto: 'icmp', icmp: { type: 135 }, ttl: 255 })).toBe('ingress-no-rule');
  });
});
