// The slow paths about one decoded frame and an interface's compiled rules, for `sgfw explain` and
// the verdict and drop lines: which rules of a direction allow the frame, the match bits they give
// it, and whether its flow goes untracked (seed 001, untracked-flows.ts). The Dataplane asks them of
// the last frame it judged (explainLast, matchLast, untrackedLast), with the same classifier keys
// judgeOn computes inline on the per-packet path.
import { MATCH } from '../classify/index.js';
import { isIcmpProtocol } from '../conntrack/index.js';
import type { RuleView } from '../model/model-view.js';
import { IpProto, type PacketView } from '../packet/packet-view.js';
import type { CompiledInterface } from './interface-map.js';
import { untrackedFlow, Untracked } from './untracked-flows.js';

/** Rules of an interface's direction that allow the frame; none without the interface. */
export function explainFrame(iface: CompiledInterface | null | undefined, v: PacketView, outbound: boolean): RuleView[] {
  if (!iface) return [];
  const rules = outbound ? iface.egress : iface.ingress;
  const peer = outbound ? v.dst : v.src;
  const indexes =
    v.ipVersion === 4
      ? rules.explainV4(v.protocol, portOrTypeOf(v), icmpCodeOf(v), peer[0])
      : rules.explainV6(v.protocol, portOrTypeOf(v), icmpCodeOf(v), peer[0], peer[1], peer[2], peer[3]);
  const table = outbound ? iface.rules.egressRules : iface.rules.ingressRules;
  return [...new Set(indexes)].map((i) => table[i]);
}

/** The match bits (MATCH, MATCH_WORLD) an interface's direction gives the frame; 0 without the interface. */
export function matchFrame(iface: CompiledInterface | null | undefined, v: PacketView, outbound: boolean): number {
  if (!iface) return 0;
  const rules = outbound ? iface.egress : iface.ingress;
  const peer = outbound ? v.dst : v.src;
  return v.ipVersion === 4
    ? rules.matchV4(v.protocol, portOrTypeOf(v), icmpCodeOf(v), peer[0] | 0)
    : rules.matchV6(v.protocol, portOrTypeOf(v), icmpCodeOf(v), peer[0] | 0, peer[1] | 0, peer[2] | 0, peer[3] | 0);
}

/**
 * Is the frame's flow untracked on an interface's direction (seed 001, untracked-flows.ts)? An
 * Untracked value, as judgeOn asks it; Untracked.NO when the rules do not allow the frame.
 */
export function untrackedFrame(iface: CompiledInterface | null | undefined, v: PacketView, outbound: boolean): number {
  const m = matchFrame(iface, v, outbound);
  if (!iface || (m & MATCH) === 0) return Untracked.NO;
  return untrackedFlow(v, outbound, m, outbound ? iface.egress : iface.ingress, outbound ? iface.ingress : iface.egress);
}

/** The classifier's key for a packet (judgeOn computes it inline): TCP/UDP destination port, ICMP type, else 0. */
function portOrTypeOf(v: PacketView): number {
  const proto = v.protocol;
  if (proto === IpProto.TCP || proto === IpProto.UDP) return v.dstPort;
  return isIcmpProtocol(v.ipVersion, proto) ? v.icmpType : 0;
}

/** The ICMP code for the classifier; 0 for anything but ICMP. */
function icmpCodeOf(v: PacketView): number {
  return isIcmpProtocol(v.ipVersion, v.protocol) ? v.icmpCode : 0;
}
