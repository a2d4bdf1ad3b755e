// The types of sgfw's JS API (`import { replay } from 'sgfw'`): what a test suite passes and gets
// back. Self-contained (imports nothing), so the package's .d.ts is this file and index.d.ts: the
// API's promise of stability covers these shapes only, not sgfw's internals.

/** An AWS CLI JSON document (describe-security-groups, -network-interfaces, -managed-prefix-lists output). */
export type StateDocument = Record<string, unknown>;

/** One control-plane call of a timeline, as a `--timeline` line writes it. */
export interface TimelineCall {
  /** applied just before this frame (counting from 1) */
  beforeFrame: number;
  /** an EC2 action: AuthorizeSecurityGroupIngress, RevokeSecurityGroupEgress, ModifyNetworkInterfaceAttribute, … */
  Action: string;
  /** its parameters, as `aws ec2 <action> --cli-input-json` takes them */
  Parameters?: Record<string, unknown>;
}

export interface ReplayInput {
  /** a pcap or pcapng capture: a file path, or its bytes */
  capture: string | Uint8Array;
  /** the groups, interfaces and prefix lists: file paths (strings) or parsed documents, merged in order */
  state: string | StateDocument | readonly (string | StateDocument)[];
  /** control-plane calls between frames: a JSON Lines file path, or the calls */
  timeline?: string | readonly TimelineCall[];
}

/** The addresses and ports of a judged frame (its outer IP packet). */
export interface FlowSummary {
  /** 'tcp', 'udp', 'icmp', 'icmpv6', or the IP protocol number as text */
  protocol: string;
  source: string;
  destination: string;
  /** TCP and UDP; null for other protocols */
  sourcePort: number | null;
  destinationPort: number | null;
  /** ICMP and ICMPv6; null for other protocols */
  icmpType: number | null;
  icmpCode: number | null;
}

/** What sgfw decided about one frame, as `sgfw replay --verdicts` writes it, and its flow. */
export interface FrameVerdict {
  /** counting from 1, as Wireshark does */
  frame: number;
  verdict: 'allow' | 'drop';
  /**
   * allowed: 'rule', 'rule-untracked', 'tracked', 'related', 'fragment', 'unmanaged', 'not-ip',
   * 'neighbour-discovery'; dropped: 'ingress-no-rule', 'egress-no-rule', 'malformed',
   * 'fragment-unknown', 'unsupported-link'
   */
  reason: string;
  /** the managed interfaces (eni-…) the frame left or reached */
  interfaces: string[];
  /** the security group rules (sgr-…) that allowed it, when a rule decided */
  rules: string[];
  /** null for frames that are not IP, or could not be decoded */
  flow: FlowSummary | null;
}

export interface ReplayResult {
  /** one per frame of the capture, in order */
  frames: FrameVerdict[];
  allowed: number;
  dropped: number;
  /** frames by reason (only reasons that occurred) */
  byReason: Record<string, number>;
}
