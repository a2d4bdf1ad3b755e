// An established flow's frame takes its interfaces from its flow record (which interface each
// endpoint's address is on, stamped under the address map's generation) instead of looking both
// addresses up. That must never change a verdict: interfaces that gain, lose and swap addresses,
// are deleted and come back, between any two frames, and the pipeline, frame by frame and in
// staged batches, still agrees with the reference evaluator (which looks every address up) on
// every frame, and with itself on the interfaces and counters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConntrackTable } from '../../src/conntrack/index.js';
import { Dataplane, JUDGE_BATCH } from '../../src/dataplane/dataplane.js';
import { ReferenceEvaluator } from '../../src/dataplane/reference-evaluator.js';
import { REASON_NAMES, Reason } from '../../src/dataplane/verdict.js';
import type { RulePeer } from '../../src/model/model-view.js';
import { decodeFrame } from '../../src/packet/decode.js';
import { buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { PacketView } from '../../src/packet/packet-view.js';
import { StaticModel, type StaticRule } from '../support/static-model.js';

const POOL4 = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
const POOL6 = ['2001:db8::1', '2001:db8::2'];
const ENIS = ['eni-0', 'eni-1', 'eni-2'];
const GROUPS = ['sg-a', 'sg-b'];
const PORTS = [22, 53, 443, 40000];

const peerArb: fc.Arbitrary<RulePeer> = fc.oneof(
  fc.constantFrom('0.0.0.0/0', '10.0.0.0/30', '10.0.0.4/32', '198.51.100.0/24').map((cidr) => ({ kind: 'cidr4', cidr }) as RulePeer),
  fc.constantFrom('::/0', '2001:db8::2/128').map((cidr) => ({ kind: 'cidr6', cidr }) as RulePeer),
  fc.constantFrom(...GROUPS).map((groupId) => ({ kind: 'group', groupId, userId: '1' }) as RulePeer),
);

const ruleArb: fc.Arbitrary<StaticRule> = fc
  .record({ egress: fc.boolean(), protocol: fc.constantFrom(-1, 6, 17, 1, 58), port: fc.constantFrom(...PORTS), peer: peerArb })
  .map(({ egress, protocol, port, peer }) => {
    if (protocol === 6 || protocol === 17) return { egress, protocol, fromPort: port, toPort: port, peer };
    if (protocol === 1 || protocol === 58) return { egress, protocol, fromPort: -1, toPort: -1, peer };
    return { egress, protocol, peer };
  });

// Few flows, so that most frames belong to one already seen (in either direction) when an
// address moves under it.
const FLOWS: [string, string, 'tcp' | 'udp' | 'icmp' | 47, number, number][] = [
  ['10.0.0.1', '198.51.100.7', 'tcp', 40000, 22],
  ['10.0.0.2', '10.0.0.4', 'tcp', 40000, 443],
  ['10.0.0.3', '10.0.0.1', 'udp', 53, 53],
  ['203.0.113.1', '10.0.0.4', 'udp', 40000, 53],
  ['10.0.0.4', '10.0.0.2', 'icmp', 0, 0],
  ['10.0.0.1', '10.0.0.3', 47, 0, 0],
  ['2001:db8::1', '2001:db8::2', 'tcp', 40000, 22],
  ['2001:db8:ff::9', '2001:db8::2', 'udp', 40000, 53],
];
const packetArb: fc.Arbitrary<FrameSpec> = fc
  .record({ flow: fc.nat(FLOWS.length - 1), reply: fc.boolean(), flags: fc.constantFrom('S', 'SA', 'A', 'A', 'FA', 'R') })
  .map(({ flow, reply, flags }) => {
    const [a, b, proto, pa, pb] = FLOWS[flow];
    const [src, dst, sport, dport] = reply ? [b, a, pb, pa] : [a, b, pa, pb];
    if (proto === 'icmp') return { src, dst, proto, icmp: { type: reply ? 0 : 8, id: 1, code: 0 } };
    if (proto === 47) return { src, dst, proto, payload: 'x' };
    return proto === 'tcp' ? { src, dst, proto, sport, dport, flags } : { src, dst, proto, sport, dport };
  });

type Step =
  | { kind: 'burst'; frames: FrameSpec[]; advance: number }
  | { kind: 'addresses'; eni: number; v4: boolean[]; v6: boolean[] }
  | { kind: 'delete'; eni: number }
  | { kind: 'member'; eni: number; groups: boolean[] }
  | { kind: 'rules'; group: number; rules: StaticRule[] };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('burst' as const), frames: fc.array(packetArb, { minLength: 1, maxLength: JUDGE_BATCH }), advance: fc.constantFrom(0, 1, 31_000, 601_000) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addresses' as const), eni: fc.nat(ENIS.length - 1), v4: fc.array(fc.boolean(), { minLength: POOL4.length, maxLength: POOL4.length }), v6: fc.array(fc.boolean(), { minLength: POOL6.length, maxLength: POOL6.length }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), eni: fc.nat(ENIS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('member' as const), eni: fc.nat(ENIS.length - 1), groups: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rules' as const), group: fc.nat(GROUPS.length - 1), rules: fc.array(ruleArb, { maxLength: 6 }) }) },
);

interface Claim {
  /** the interface's id: a deleted ENI comes back as a new one (the reference evaluator would keep a reused id's flows) */
  id: string;
  v4: string[];
  v6: string[];
  groups: string[];
}

/** An address belongs to at most one interface: the first ENI that claims it keeps it. */
function assign(model: StaticModel, claims: Map<string, Claim>): void {
  const taken = new Set<string>();
  for (const slot of ENIS) {
    const c = claims.get(slot);
    if (!c) continue;
    const v4 = c.v4.filter((a) => !taken.has(a));
    const v6 = c.v6.filter((a) => !taken.has(a));
    for (const a of [...v4, ...v6]) taken.add(a);
    model.setInterface(c.id, c.groups, v4, v6);
  }
}

describe('an established flow takes its interfaces from its record, never a stale one', () => {
  it('agrees with the reference evaluator while interfaces gain, lose and swap addresses between frames', () => {
    fc.assert(
      fc.property(fc.array(fc.array(ruleArb, { maxLength: 6 }), { minLength: 2, maxLength: 2 }), fc.array(stepArb, { minLength: 1, maxLength: 50 }), (groupRules, steps) => {
        const model = new StaticModel();
        GROUPS.forEach((g, i) => model.setGroup(g, groupRules[i]));
        const claims = new Map<string, Claim>([
          ['eni-0', { id: 'eni-0', v4: ['10.0.0.1'], v6: ['2001:db8::1'], groups: ['sg-a'] }],
          ['eni-1', { id: 'eni-1', v4: ['10.0.0.2', '10.0.0.3'], v6: ['2001:db8::2'], groups: ['sg-a', 'sg-b'] }],
          ['eni-2', { id: 'eni-2', v4: ['10.0.0.4'], v6: [], groups: ['sg-b'] }],
        ]);
        let created = 0;
        assign(model, claims);
        const single = new Dataplane(model, { conntrackCapacity: 4096, conntrackInitialSlots: 4 });
        const staged = new Dataplane(model, { conntrackCapacity: 4096 });
        const reference = new ReferenceEvaluator(model);
        let now = 1_000_000;
        steps.forEach((step, index) => {
          if (step.kind === 'burst') {
            now += step.advance;
            const frames = step.frames.map((s) => buildFrame(s));
            frames.forEach((f, j) => staged.stage(j, LinkType.ETHERNET, f, 0, f.length, f.length));
            staged.prefetchStaged(frames.length);
            frames.forEach((f, j) => {
              const a = single.judge(LinkType.ETHERNET, f, 0, f.length, now);
              const b = reference.judge(LinkType.ETHERNET, f, 0, f.length, now);
              staged.clock[0] = now;
              const c = staged.judgeStaged(j);
              const at = { step: index, frame: j };
              expect({ ...at, verdict: REASON_NAMES[a] }).toEqual({ ...at, verdict: REASON_NAMES[b] });
              expect({ ...at, verdict: REASON_NAMES[c] }).toEqual({ ...at, verdict: REASON_NAMES[a] });
              expect([staged.lastSourceInterface, staged.lastDestinationInterface]).toEqual([single.lastSourceInterface, single.lastDestinationInterface]);
            });
            return;
          }
          if (step.kind === 'rules') {
            model.setGroup(GROUPS[step.group], step.rules);
            single.applyModel({ groupIds: [GROUPS[step.group]] });
            staged.applyModel({ groupIds: [GROUPS[step.group]] });
            return;
          }
          const slot = ENIS[step.eni];
          const changed: string[] = [];
          if (step.kind === 'addresses') {
            const c = claims.get(slot) ?? { id: `${slot}-new${++created}`, v4: [], v6: [], groups: ['sg-a'] };
            c.v4 = POOL4.filter((_, k) => step.v4[k]);
            c.v6 = POOL6.filter((_, k) => step.v6[k]);
            claims.set(slot, c);
            changed.push(c.id);
            // The addresses it takes leave the others.
            for (const [other, oc] of claims) {
              if (other === slot) continue;
              const before = oc.v4.length + oc.v6.length;
              oc.v4 = oc.v4.filter((a) => !c.v4.includes(a));
              oc.v6 = oc.v6.filter((a) => !c.v6.includes(a));
              if (oc.v4.length + oc.v6.length !== before) changed.push(oc.id);
            }
          } else if (step.kind === 'delete') {
            const c = claims.get(slot);
            if (!c) return;
            claims.delete(slot);
            model.interfaceMap.delete(c.id);
            changed.push(c.id);
          } else if (step.kind === 'member') {
            const c = claims.get(slot);
            if (!c) return;
            c.groups = GROUPS.filter((_, k) => step.groups[k]);
            changed.push(c.id);
          }
          assign(model, claims);
          single.applyModel({ interfaceIds: changed });
          staged.applyModel({ interfaceIds: changed });
        });
        for (let i = 0; i < 8; i++) expect(staged.interfaceCounters(i)).toEqual(single.interfaceCounters(i));
        expect([...staged.reasonCounts]).toEqual([...single.reasonCounts]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a flow whose address moves to another interface', () => {
  it('is judged on the interface the address is on now, by that interface rules', () => {
    const model = new StaticModel();
    model.setGroup('sg-open', [{ protocol: 6, fromPort: 22, toPort: 22, peer: { kind: 'cidr4', cidr: '198.51.100.0/24' } }]);
    model.setGroup('sg-closed', []);
    model.setInterface('eni-a', ['sg-open'], ['10.0.0.1']);
    model.setInterface('eni-b', ['sg-closed'], ['10.0.0.9']);
    const dp = new Dataplane(model);
    const syn = buildFrame({ src: '198.51.100.7', dst: '10.0.0.1', proto: 'tcp', sport: 5000, dport: 22, flags: 'S' });
    const ack = buildFrame({ src: '198.51.100.7', dst: '10.0.0.1', proto: 'tcp', sport: 5000, dport: 22, flags: 'A' });
    expect(dp.judge(LinkType.ETHERNET, syn, 0, syn.length, 1000)).toBe(Reason.RULE);
    expect(dp.judge(LinkType.ETHERNET, ack, 0, ack.length, 1001)).toBe(Reason.TRACKED);
    const a = dp.interfaceById('eni-a')!.index;
    expect(dp.lastDestinationInterface).toBe(a);

    // 10.0.0.1 moves from eni-a to eni-b (whose group allows nothing in): the flow was eni-a's.
    model.setInterface('eni-a', ['sg-open'], []);
    model.setInterface('eni-b', ['sg-closed'], ['10.0.0.9', '10.0.0.1']);
    dp.applyModel({ interfaceIds: ['eni-a', 'eni-b'] });
    const b = dp.interfaceById('eni-b')!.index;
    expect(dp.judge(LinkType.ETHERNET, ack, 0, ack.length, 1002)).toBe(Reason.INGRESS_NO_RULE);
    expect(dp.lastDestinationInterface).toBe(b);
    expect(dp.interfaceCounters(b)).toEqual([0, 1]);

    // Back on eni-a, the flow's record is found again and trusted once restamped.
    model.setInterface('eni-b', ['sg-closed'], ['10.0.0.9']);
    model.setInterface('eni-a', ['sg-open'], ['10.0.0.1']);
    dp.applyModel({ interfaceIds: ['eni-a', 'eni-b'] });
    expect(dp.judge(LinkType.ETHERNET, ack, 0, ack.length, 1003)).toBe(Reason.TRACKED);
    expect(dp.judge(LinkType.ETHERNET, ack, 0, ack.length, 1004)).toBe(Reason.TRACKED);
    expect(dp.lastDestinationInterface).toBe(a);
    expect(dp.interfaceCounters(a)).toEqual([4, 0]);
  });
});

describe('a frame between two managed interfaces of an established flow', () => {
  it('refreshes the records on both, in staged batches as frame by frame', () => {
    const model = new StaticModel();
    model.setGroup('sg-all', [{ egress: true, protocol: -1, peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } }, { egress: false, protocol: 17, fromPort: 53, toPort: 53, peer: { kind: 'cidr4', cidr: '10.0.0.0/8' } }]);
    model.setInterface('eni-a', ['sg-all'], ['10.0.0.1']);
    model.setInterface('eni-b', ['sg-all'], ['10.0.0.2']);
    const request = buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 5000, dport: 53 });
    const reply = buildFrame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 53, dport: 5000 });
    for (const staged of [false, true]) {
      const dp = new Dataplane(model);
      const a = dp.interfaceById('eni-a')!.index;
      const b = dp.interfaceById('eni-b')!.index;
      const judge = (frame: Uint8Array, nowMs: number): number => {
        if (!staged) return dp.judge(LinkType.ETHERNET, frame, 0, frame.length, nowMs);
        dp.stage(0, LinkType.ETHERNET, frame, 0, frame.length, frame.length);
        dp.prefetchStaged(1);
        dp.clock[0] = nowMs;
        return dp.judgeStaged(0);
      };
      expect(judge(request, 1000)).toBe(Reason.RULE);
      expect(judge(reply, 10_000)).toBe(Reason.TRACKED);
      expect([dp.lastSourceInterface, dp.lastDestinationInterface]).toEqual([b, a]);
      // UDP's 30 s from the reply, on both ends' records (the stream timeout needs more turns).
      expect(dp.conntrack.entriesOf(a).map((e) => e.expiresMs)).toEqual([40_000]);
      expect(dp.conntrack.entriesOf(b).map((e) => e.expiresMs)).toEqual([40_000]);
      expect(judge(reply, 35_000)).toBe(Reason.TRACKED);
      expect(judge(request, 60_000)).toBe(Reason.TRACKED);
      expect(dp.interfaceCounters(a)).toEqual([4, 0]);
      expect(dp.interfaceCounters(b)).toEqual([4, 0]);
    }
  });
});

/** A fresh 64-slot table and the decoded UDP datagram 10.0.0.1:5000 → `dst`:53, with the timeouts to track it by. */
function udpFlowTo(dst: string): { ct: ConntrackTable; v: PacketView; timeouts: { tcpEstablished: number; udp: number; udpStream: number } } {
  const ct = new ConntrackTable({ capacity: 64 });
  const v = new PacketView();
  const frame = buildFrame({ src: '10.0.0.1', dst, proto: 'udp', sport: 5000, dport: 53 });
  decodeFrame(LinkType.ETHERNET, frame, 0, frame.length, v, frame.length);
  return { ct, v, timeouts: { tcpEstablished: 432000, udp: 30, udpStream: 180 } };
}

describe('the flow record lookup', () => {
  it('finds an established flow on any interface, with its endpoints, only under the generation it was stamped at', () => {
    const { ct, v, timeouts } = udpFlowTo('198.51.100.7');
    // Without a generation (no caller keeps one), nothing is trusted.
    ct.clock[0] = 1000;
    expect(ct.lookupFlowNow(v)).toBe(-1);
    ct.advanceGeneration();
    expect(ct.lookupFlowNow(v)).toBe(-1);
    ct.setEndpoints(3, -1);
    expect(ct.lookupSameNow(3, v)).toBe(0);
    expect(ct.trackMissNow(3, v, timeouts, true)).toBe(true);
    ct.clearEndpoints();
    const slot = ct.lookupFlowNow(v);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect([ct.flowSrcIf, ct.flowDstIf, ct.flowIf]).toEqual([3, -1, 3]);
    ct.advanceGeneration();
    expect(ct.lookupFlowNow(v)).toBe(-1);
  });

  it("finds a flow's record on its other managed end in the same probe, while it lives", () => {
    const { ct, v, timeouts } = udpFlowTo('10.0.0.2');
    ct.clock[0] = 1000;
    ct.advanceGeneration();
    // A flow between two managed interfaces: a record on each (the sender's 3, the receiver's 5).
    expect(ct.lookupFlowNow(v)).toBe(-1);
    ct.setEndpoints(3, 5);
    expect(ct.lookupSameNow(3, v)).toBe(0);
    ct.trackMissNow(3, v, timeouts, true);
    expect(ct.lookupSameNow(5, v)).toBe(0);
    ct.trackMissNow(5, v, timeouts, false);
    ct.clearEndpoints();
    const slot = ct.lookupFlowNow(v);
    expect([ct.flowSrcIf, ct.flowDstIf, ct.flowIf]).toEqual([3, 5, 3]);
    expect(ct.flowPartner).toBeGreaterThanOrEqual(0);
    expect(ct.flowPartner).not.toBe(slot);
    expect(ct.flowPartner).toBe(ct.placeOf(5, v)!.slot);

    // Only the first record is refreshed (at 20 s): at 40 s the partner (expiring at 31 s) is
    // not offered, and the first still is.
    ct.clock[0] = 20_000;
    ct.lookupFlowNow(v);
    ct.setEndpoints(3, 5);
    ct.updateFlowNow(slot, 3, v);
    ct.clearEndpoints();
    ct.clock[0] = 40_000;
    expect(ct.lookupFlowNow(v)).toBe(slot);
    expect(ct.flowPartner).toBe(-1);
    expect(ct.entriesOf(5, 40_000)).toEqual([]);
    expect(ct.entriesOf(3, 40_000)).toHaveLength(1);
  });

  it('trusts no record stamped before its generations wrapped round', () => {
    const ct = new ConntrackTable({ capacity: 64 });
    const v = new PacketView();
    const frame = buildFrame({ src: '10.0.0.1', dst: '198.51.100.7', proto: 'udp', sport: 5000, dport: 53 });
    decodeFrame(LinkType.ETHERNET, frame, 0, frame.length, v, frame.length);
    ct.clock[0] = 1000;
    ct.advanceGeneration();
    ct.lookupFlowNow(v);
    ct.setEndpoints(3, -1);
    ct.lookupSameNow(3, v);
    ct.trackMissNow(3, v, { tcpEstablished: 432000, udp: 30, udpStream: 180 }, true);
    ct.clearEndpoints();
    expect(ct.lookupFlowNow(v)).toBeGreaterThanOrEqual(0);
    // Generation 1 comes round again after 2^24 - 1 changes: the record stamped at 1 must not pass.
    for (let k = 1; k < 0xffffff; k++) ct.advanceGeneration();
    expect(ct.lookupFlowNow(v)).toBe(-1);
    ct.advanceGeneration();
    expect(ct.lookupFlowNow(v)).toBe(-1);
  });
});
