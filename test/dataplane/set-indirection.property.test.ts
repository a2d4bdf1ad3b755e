// Group references and prefix lists resolve through the dataplane's shared address sets
// (address-groups.ts), so membership and list changes recompile nothing. Random membership,
// prefix-list and rule changes interleaved with frames, over enough groups that set numbers span
// several 32-bit words, must leave every verdict equal to the reference evaluator's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { ReferenceEvaluator } from '../../src/dataplane/reference-evaluator.js';
import { isAllowed, REASON_NAMES } from '../../src/dataplane/verdict.js';
import type { RulePeer } from '../../src/model/model-view.js';
import { buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { StaticModel, type StaticRule } from '../support/static-model.js';

const GROUPS = Array.from({ length: 40 }, (_, i) => `sg-${String(i).padStart(2, '0')}`);
const LISTS = ['pl-1', 'pl-2'];
const ENIS: [string, string[], string[]][] = [
  ['eni-0', ['10.0.0.1'], ['2001:db8::1']],
  ['eni-1', ['10.0.0.2', '10.0.1.9'], ['2001:db8::2']],
  ['eni-2', ['10.0.0.3'], []],
  ['eni-3', [], ['2001:db8:1::5']],
  ['eni-4', ['198.51.100.7'], ['2001:db8::4']],
];
const HOSTS4 = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.1.9', '198.51.100.7', '203.0.113.1'];
const HOSTS6 = ['2001:db8::1', '2001:db8::2', '2001:db8:1::5', '2001:db8::4', '2001:db8:ff::9'];
const LIST_ENTRIES = ['10.0.0.0/30', '10.0.0.2/32', '198.51.100.0/24', '0.0.0.0/0', '2001:db8::/48', '2001:db8::4/128', '::/0'];
const PORTS = [22, 80, 443, 5432];

// referenced groups mostly among the first few, so that members exist; the rest push numbers past 32
const groupRef = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 39 }) });
const peerArb: fc.Arbitrary<RulePeer> = fc.oneof(
  { weight: 3, arbitrary: groupRef.map((g) => ({ kind: 'group', groupId: GROUPS[g], userId: '1' }) as RulePeer) },
  { weight: 2, arbitrary: fc.constantFrom(...LISTS, 'pl-gone').map((prefixListId) => ({ kind: 'prefix-list', prefixListId }) as RulePeer) },
  { weight: 1, arbitrary: fc.constantFrom('10.0.0.0/24', '0.0.0.0/0').map((cidr) => ({ kind: 'cidr4', cidr }) as RulePeer) },
);
const ruleArb: fc.Arbitrary<StaticRule> = fc
  .record({ egress: fc.boolean(), protocol: fc.constantFrom(-1, 6, 6, 17, 1, 58), port: fc.constantFrom(...PORTS), peer: peerArb })
  .map(({ egress, protocol, port, peer }) =>
    protocol === 6 || protocol === 17 ? { egress, protocol, fromPort: port, toPort: port, peer } : { egress, protocol, peer },
  );
const groupsArb = fc.uniqueArray(groupRef, { maxLength: 5 });

const v4 = fc.constantFrom(...HOSTS4);
const v6 = fc.constantFrom(...HOSTS6);
const packetArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  fc.record({ src: v4, dst: v4, proto: fc.constantFrom('tcp' as const, 'udp' as const), sport: fc.constantFrom(40000, 40001), dport: fc.constantFrom(...PORTS), flags: fc.constantFrom('S', 'A') }),
  fc.record({ src: v6, dst: v6, proto: fc.constant('tcp' as const), sport: fc.constant(40000), dport: fc.constantFrom(...PORTS), flags: fc.constant('S') }),
  fc.record({ src: v4, dst: v4, proto: fc.constant('icmp' as const), icmp: fc.record({ type: fc.constant(8), id: fc.constantFrom(1, 2), code: fc.constant(0) }) }),
);

type Step =
  | { kind: 'packet'; spec: FrameSpec }
  | { kind: 'member'; eni: number; groups: number[] }
  | { kind: 'list'; list: number; cidrs: string[] }
  | { kind: 'rules'; group: number; rules: StaticRule[] }
  | { kind: 'delete-list'; list: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('packet' as const), spec: packetArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('member' as const), eni: fc.nat(ENIS.length - 1), groups: groupsArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('list' as const), list: fc.nat(1), cidrs: fc.subarray(LIST_ENTRIES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rules' as const), group: fc.integer({ min: 0, max: 4 }), rules: fc.array(ruleArb, { maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete-list' as const), list: fc.nat(1) }) },
);

describe('group and prefix-list references resolved through shared address sets', () => {
  it('agree with the reference evaluator across random membership, list and rule changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(ruleArb, { maxLength: 6 }), { minLength: 5, maxLength: 5 }),
        fc.array(groupsArb, { minLength: ENIS.length, maxLength: ENIS.length }),
        fc.array(stepArb, { minLength: 1, maxLength: 50 }),
        (groupRules, memberships, steps) => {
          const model = new StaticModel();
          GROUPS.forEach((g, i) => model.setGroup(g, groupRules[i] ?? []));
          const setEni = (i: number, gs: number[]) => model.setInterface(ENIS[i][0], gs.map((g) => GROUPS[g]), ENIS[i][1], ENIS[i][2]);
          memberships.forEach((gs, i) => setEni(i, gs));
          model.setPrefixList('pl-1', ['10.0.0.0/30']);
          model.setPrefixList('pl-2', ['2001:db8::/48', '198.51.100.7/32']);
          const fast = new Dataplane(model, { conntrackCapacity: 4096 });
          const reference = new ReferenceEvaluator(model);
          let now = 1_000_000;
          steps.forEach((step, index) => {
            if (step.kind === 'packet') {
              now += 1;
              const frame = buildFrame(step.spec);
              const a = REASON_NAMES[fast.judge(LinkType.ETHERNET, frame, 0, frame.length, now)];
              const b = REASON_NAMES[reference.judge(LinkType.ETHERNET, frame, 0, frame.length, now)];
              expect({ step: index, verdict: a }).toEqual({ step: index, verdict: b });
            } else if (step.kind === 'member') {
              setEni(step.eni, step.groups);
              fast.applyModel({ interfaceIds: [ENIS[step.eni][0]] });
            } else if (step.kind === 'list') {
              model.setPrefixList(LISTS[step.list], step.cidrs);
              fast.applyModel({ prefixListIds: [LISTS[step.list]] });
            } else if (step.kind === 'delete-list') {
              model.prefixLists.delete(LISTS[step.list]);
              fast.applyModel({ prefixListIds: [LISTS[step.list]] });
            } else {
              model.setGroup(GROUPS[step.group], step.rules);
              fast.applyModel({ groupIds: [GROUPS[step.group]] });
            }
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('set numbers', () => {
  it('are handed out again densely after many groups came and went, with verdicts unchanged', () => {
    const model = new StaticModel();
    const out: StaticRule = { egress: true, protocol: -1, peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } };
    model.setGroup('sg-web', [out]);
    model.setGroup('sg-db', [{ protocol: 6, fromPort: 5432, toPort: 5432, peer: { kind: 'group', groupId: 'sg-web', userId: '1' } }]);
    model.setInterface('eni-web', ['sg-web'], ['10.0.0.1']);
    model.setInterface('eni-db', ['sg-db'], ['10.0.0.2']);
    model.setInterface('eni-other', [], ['10.0.0.3']);
    const dp = new Dataplane(model, { conntrackCapacity: 1024 });
    let sport = 30000;
    const syn = (src: string) => {
      const f = buildFrame({ src, dst: '10.0.0.2', proto: 'tcp', sport: sport++, dport: 5432, flags: 'S' });
      return isAllowed(dp.judge(LinkType.ETHERNET, f, 0, f.length, 1_000));
    };
    const numbers = () => (dp as unknown as { groupAddresses: { assigned: number } }).groupAddresses.assigned;
    let most = 0;
    for (let i = 0; i < 1_500; i++) {
      // a short-lived group that references itself (a number each), deleted at the next step
      const id = `sg-tmp-${i}`;
      model.setGroup(id, [out, { protocol: 6, fromPort: 22, toPort: 22, peer: { kind: 'group', groupId: id, userId: '1' } }]);
      model.setInterface('eni-other', [id], ['10.0.0.3']);
      dp.applyModel({ groupIds: [id], interfaceIds: ['eni-other'] });
      if (i > 0) model.groupMap.delete(`sg-tmp-${i - 1}`);
      dp.applyModel({ groupIds: [`sg-tmp-${i - 1}`] });
      most = Math.max(most, numbers());
    }
    expect(most).toBeLessThanOrEqual(1_025);
    expect(numbers()).toBeLessThan(1_000);
    expect(syn('10.0.0.1')).toBe(true);
    expect(syn('10.0.0.3')).toBe(false);
    model.setInterface('eni-other', ['sg-web'], ['10.0.0.3']);
    dp.applyModel({ interfaceIds: ['eni-other'] });
    expect(syn('10.0.0.3')).toBe(true);
  });
});
