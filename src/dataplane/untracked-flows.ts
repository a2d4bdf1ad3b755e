// Seed 001's rule for the flows that connection tracking leaves alone: "Not all flows of traffic
// are tracked. If a security group rule permits TCP or UDP flows for all traffic (`0.0.0.0/0`)
// and there is a corresponding rule in the other direction that permits all response traffic
// (`0.0.0.0/0`) for all ports (0-65535), then that flow of traffic is not tracked. The response
// traffic is therefore allowed to flow based on the inbound or outbound rule that permits the
// response traffic, and not on tracking information."
//
// The dataplane (judging a packet the table does not know) and `sgfw explain` (saying why) both
// ask `untrackedFlow`, so they cannot disagree. "All traffic" is the world prefix however a rule
// names it: a CIDR 0.0.0.0/0 or ::/0, or a prefix list holding one (the classifier compiles both
// into MATCH_WORLD and `allowsAllToWorld`, see dataplane/interface-rules.ts).
import { MATCH_WORLD, type Classifier } from '../classify/index.js';
import { IpProto, type PacketView } from '../packet/packet-view.js';

/** `untrackedFlow`'s answers. */
export const Untracked = {
  /** tracked: the rule does not apply */
  NO: 0,
  /** this direction's world rule admitted the packet and the other direction allows all responses */
  AS_REQUEST: 1,
  /** this direction allows all to the world and the other's world rule would admit the reverse packet */
  AS_RESPONSE: 2,
} as const;

/**
 * Can a flow of `protocol` go untracked at all? Seed 001: "If a security group rule permits TCP or
 * UDP flows for all traffic (`0.0.0.0/0`) …", and "ICMP traffic is always tracked, regardless of
 * rules" (so are the other protocols: the 600-second rule, conntrack/timeouts.ts).
 */
export function mayGoUntracked(protocol: number): boolean {
  return protocol === IpProto.TCP || protocol === IpProto.UDP;
}

/**
 * Is the flow of `v`, which `rules` (the direction it crosses: egress when `outbound`) allowed
 * with match bits `match`, untracked? `other` is the interface's other direction. A packet of such
 * a flow may be its request (this direction's rule is the world rule: AS_REQUEST) or its response
 * (the other direction's world rule admitted the request, this direction allows everything:
 * AS_RESPONSE). Per packet, only when the table missed and the rules allowed: allocates nothing.
 */
export function untrackedFlow(v: PacketView, outbound: boolean, match: number, rules: Classifier, other: Classifier): number {
  const proto = v.protocol;
  if (!mayGoUntracked(proto)) return Untracked.NO;
  const family = v.ipVersion as 4 | 6;
  if ((match & MATCH_WORLD) !== 0 && other.allowsAllToWorld(family, proto)) return Untracked.AS_REQUEST;
  if (!rules.allowsAllToWorld(family, proto)) return Untracked.NO;
  // The reverse packet: from the peer's port (our srcPort when it answers) to the same peer.
  // Address words go in as int32 (`| 0`): a uint32 argument above 2^31 is a heap number.
  const peer = outbound ? v.dst : v.src;
  const back =
    family === 4
      ? other.matchV4(proto, v.srcPort, 0, peer[0] | 0)
      : other.matchV6(proto, v.srcPort, 0, peer[0] | 0, peer[1] | 0, peer[2] | 0, peer[3] | 0);
  return (back & MATCH_WORLD) !== 0 ? Untracked.AS_RESPONSE : Untracked.NO;
}
