// The compiled pipeline (trie classifier + conntrack table) must agree with the reference
// evaluator (linear scan + Map of flows) on every packet, for random groups, memberships,
// prefix lists, traffic and rule changes in the middle of the traffic.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { ReferenceEvaluator } from '../../src/dataplane/reference-evaluator.js';
import { REASON_NAMES } from '../../src/dataplane/verdict.js';
import type { RulePeer } from '../../src/model/model-view.js';
import { buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { StaticModel, type StaticRule } from '../support/static-model.js';

const HOSTS4 = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.1.9', '198.51.100.7', '203.0.113.1'];
const HOSTS6 = ['2001:db8::1', '2001:db8::2', '2001:db8:1::5', '2001:db8:ff::9'];
const GROUPS = ['sg-a', 'sg-b', 'sg-c'];
const PORTS = [0, 22, 53, 80, 443, 8080, 65535];

const peerArb: fc.Arbitrary<RulePeer> = fc.oneof(
  fc.constantFrom('0.0.0.0/0', '10.0.0.0/8', '10.0.0.0/24', '10.0.0.2/32', '198.51.100.0/24', '203.0.113.1/32').map(
    (cidr) => ({ kind: 'cidr4', cidr }) as RulePeer,
  ),
  fc.constantFrom('::/0', '2001:db8::/32', '2001:db8::2/128').map((cidr) => ({ kind: 'cidr6', cidr }) as RulePeer),
  fc.constantFrom(...GROUPS).map((groupId) => ({ kind: 'group', groupId, userId: '1' }) as RulePeer),
  fc.constant({ kind: 'prefix-list', prefixListId: 'pl-1' } as RulePeer),
);

const ruleArb: fc.Arbitrary<StaticRule> = fc
  .record({
    egress: fc.boolean(),
    protocol: fc.constantFrom(-1, 6, 6, 17, 17, 1, 58, 47),
    a: fc.constantFrom(...PORTS),
    b: fc.constantFrom(...PORTS),
    type: fc.constantFrom(-1, 0, 8, 3),
    code: fc.constantFrom(-1, 0, 1),
    peer: peerArb,
  })
  .map(({ egress, protocol, a, b, type, code, peer }) => {
    if (protocol === 6 || protocol === 17) return { egress, protocol, fromPort: Math.min(a, b), toPort: Math.max(a, b), peer };
    if (protocol === 1 || protocol === 58) return { egress, protocol, fromPort: type, toPort: type === -1 ? -1 : code, peer };
    return { egress, protocol, peer };
  });

const v4 = fc.constantFrom(...HOSTS4);
const v6 = fc.constantFrom(...HOSTS6);
const packetArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.record({ src: v4, dst: v4, proto: fc.constantFrom('tcp' as const, 'udp' as const), sport: fc.constantFrom(...PORTS, 40000), dport: fc.constantFrom(...PORTS, 40000), flags: fc.constantFrom('S', 'SA', 'A', 'FA', 'R') }),
  fc.record({ src: v6, dst: v6, proto: fc.constantFrom('tcp' as const, 'udp' as const), sport: fc.constantFrom(...PORTS), dport: fc.constantFrom(...PORTS), flags: fc.constantFrom('S', 'SA', 'A') }),
  fc.record({ src: v4, dst: v4, proto: fc.constant('icmp' as const), icmp: fc.record({ type: fc.constantFrom(8, 0, 13), id: fc.constantFrom(1, 2), code: fc.constant(0) }) }),
  fc.record({ src: v6, dst: v6, proto: fc.constant('icmpv6' as const), icmp: fc.record({ type: fc.constantFrom(128, 129), id: fc.constantFrom(1, 2), code: fc.constant(0) }) }),
  fc.record({ src: v4, dst: v4, proto: fc.constant(47), payload: fc.constant('x') }),
);

type Step =
  | { kind: 'packet'; spec: FrameSpec; advance: number }
  | { kind: 'rules'; group: number; rules: StaticRule[] }
  | { kind: 'member'; eni: number; groups: boolean[] }
  | { kind: 'prefix-list'; cidrs: string[] };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('packet' as const), spec: packetArb, advance: fc.constantFrom(0, 1, 29_000, 31_000, 200_000, 601_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rules' as const), group: fc.nat(GROUPS.length - 1), rules: fc.array(ruleArb, { maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('member' as const), eni: fc.nat(3), groups: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('prefix-list' as const), cidrs: fc.subarray(['10.0.0.0/30', '198.51.100.7/32', '2001:db8::/48', '0.0.0.0/0']) }) },
);

const ENIS: [string, string[], string[]][] = [
  ['eni-0', ['10.0.0.1'], ['2001:db8::1']],
  ['eni-1', ['10.0.0.2', '10.0.1.9'], ['2001:db8::2']],
  ['eni-2', ['10.0.0.3'], []],
  ['eni-3', [], ['2001:db8:1::5']],
];

describe('the compiled pipeline agrees with the reference evaluator', () => {
  it('on every packet of random groups, memberships, traffic and live rule changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(ruleArb, { maxLength: 8 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { minLength: 4, maxLength: 4 }),
        fc.array(stepArb, { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        (groupRules, memberships, steps, grows) => {
          const model = new StaticModel();
          GROUPS.forEach((g, i) => model.setGroup(g, groupRules[i]));
          const enis = (i: number, groups: boolean[]) =>
            model.setInterface(ENIS[i][0], GROUPS.filter((_, j) => groups[j]), ENIS[i][1], ENIS[i][2]);
          memberships.forEach((m, i) => enis(i, m));
          model.setPrefixList('pl-1', ['10.0.0.0/30']);
          // `grows`: the flow table starts at 4 slots, so it grows (its entries migrating) as flows come
          const fast = new Dataplane(model, { conntrackCapacity: 4096, ...(grows ? { conntrackInitialSlots: 4 } : {}) });
          const reference = new ReferenceEvaluator(model);
          let now = 1_000_000;
          steps.forEach((step, index) => {
            if (step.kind === 'packet') {
              now += step.advance;
              const frame = buildFrame(step.spec);
              const a = REASON_NAMES[fast.judge(LinkType.ETHERNET, frame, 0, frame.length, now)];
              const b = REASON_NAMES[reference.judge(LinkType.ETHERNET, frame, 0, frame.length, now)];
              expect({ step: index, verdict: a }).toEqual({ step: index, verdict: b });
              return;
            }
            if (step.kind === 'rules') {
              model.setGroup(GROUPS[step.group], step.rules);
              fast.applyModel({ groupIds: [GROUPS[step.group]] });
            } else if (step.kind === 'member') {
              enis(step.eni, step.groups);
              fast.applyModel({ interfaceIds: [ENIS[step.eni][0]] });
            } else {
              model.setPrefixList('pl-1', step.cidrs);
              fast.applyModel({ prefixListIds: ['pl-1'] });
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
