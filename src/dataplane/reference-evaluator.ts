// The reference evaluator: the whole verdict (interfaces, rules, tracking, untracked flows,
// fragments) written plainly, for tests and benchmarks only. It shares the decoder (its input)
// and the documented Reason codes with the Dataplane, and nothing of the compiled path: rules are
// scanned linearly straight from the model on every packet and flows live in a Map.
import { ReferenceConntrack } from '../conntrack/reference-conntrack.js';
import type { InterfaceView, ModelView } from '../model/model-view.js';
import { decodeFrame } from '../packet/decode.js';
import { DecodeStatus, IpProto, PacketView } from '../packet/packet-view.js';
import { wordsToAddress } from './address-words.js';
import { directionRules, referenceAllowsAllToWorld, referenceMatch, type ReferencePacket } from './reference-rules.js';
import { isAllowed, Reason } from './verdict.js';

const FRAGMENT_TIMEOUT_MS = 30_000;

export class ReferenceEvaluator {
  readonly view = new PacketView();
  private readonly flows = new ReferenceConntrack();
  private readonly fragments = new Map<string, { allowed: boolean; at: number }>();
  /** stable interface numbers, so the flow model keys flows per interface */
  private readonly numbers = new Map<string, number>();

  constructor(private readonly model: ModelView) {}

  judge(linkType: number, frame: Uint8Array, offset: number, length: number, nowMs: number, wireLength = length): number {
    const v = this.view;
    const status = decodeFrame(linkType, frame, offset, length, v, wireLength);
    if (status === DecodeStatus.NOT_IP) return Reason.NOT_IP;
    if (status === DecodeStatus.MALFORMED) return Reason.MALFORMED;
    if (status !== DecodeStatus.OK) return Reason.UNSUPPORTED_LINK;
    // RFC 4861 router/neighbour discovery on the link (hop limit 255): IPv6's ARP, not judged.
    const NEIGHBOUR_DISCOVERY_TYPES = [133, 134, 135, 136, 137];
    if (v.ipVersion === 6 && v.protocol === 58 && NEIGHBOUR_DISCOVERY_TYPES.includes(v.icmpType) && frame[v.ipOffset + 7] === 255) {
      return Reason.NEIGHBOUR_DISCOVERY;
    }
    const family = v.ipVersion as 4 | 6;
    const srcAddr = wordsToAddress(family, v.src);
    const dstAddr = wordsToAddress(family, v.dst);
    const sender = this.owner(srcAddr);
    const receiver = this.owner(dstAddr);
    if (!sender && !receiver) return Reason.UNMANAGED;

    const fragKey = `${family} ${srcAddr} ${dstAddr} ${v.protocol} ${v.fragmentId}`;
    if (v.isFragment && v.fragmentOffset > 0) {
      const first = this.fragments.get(fragKey);
      const known = first && nowMs - first.at <= FRAGMENT_TIMEOUT_MS && first.allowed;
      return known ? Reason.FRAGMENT : Reason.FRAGMENT_UNKNOWN;
    }
    let reason: number = Reason.UNMANAGED;
    if (sender) reason = this.judgeOn(sender, true, dstAddr, nowMs);
    if (receiver && isAllowed(reason)) reason = this.judgeOn(receiver, false, srcAddr, nowMs);
    if (v.isFragment) this.fragments.set(fragKey, { allowed: isAllowed(reason), at: nowMs });
    return reason;
  }

  private owner(address: string): InterfaceView | undefined {
    for (const eni of this.model.interfaces()) {
      if (eni.privateIpv4.includes(address) || eni.ipv6.includes(address)) return eni;
    }
    return undefined;
  }

  private number(eni: InterfaceView): number {
    let n = this.numbers.get(eni.interfaceId);
    if (n === undefined) this.numbers.set(eni.interfaceId, (n = this.numbers.size));
    return n;
  }

  private judgeOn(eni: InterfaceView, outbound: boolean, peer: string, nowMs: number): number {
    const v = this.view;
    const n = this.number(eni);
    const tracked = this.flows.lookup(n, v, outbound, nowMs);
    if (tracked === 1) return Reason.TRACKED;
    if (tracked === 2) return Reason.RELATED;

    const family = v.ipVersion as 4 | 6;
    const packet: ReferencePacket = {
      family,
      protocol: v.protocol,
      dstPort: v.dstPort,
      icmpType: v.icmpType,
      icmpCode: v.icmpCode,
    };
    const rules = directionRules(this.model, eni, outbound);
    const other = directionRules(this.model, eni, !outbound);
    const m = referenceMatch(this.model, rules, packet, peer);
    if (!m) return outbound ? Reason.EGRESS_NO_RULE : Reason.INGRESS_NO_RULE;
    if (v.protocol === IpProto.TCP || v.protocol === IpProto.UDP) {
      // Seed 001: open to the world one way, all ports open to the world the other way: untracked.
      const reply: ReferencePacket = { ...packet, dstPort: v.srcPort };
      const requestIsThis = (m & 2) !== 0 && referenceAllowsAllToWorld(this.model, other, family, v.protocol);
      const requestIsOther =
        referenceAllowsAllToWorld(this.model, rules, family, v.protocol) &&
        (referenceMatch(this.model, other, reply, peer) & 2) !== 0;
      if (requestIsThis || requestIsOther) return Reason.RULE_UNTRACKED;
    }
    this.flows.track(n, v, outbound, nowMs, eni.conntrack);
    return Reason.RULE;
  }
}
