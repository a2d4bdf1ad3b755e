// The read side of the model that the dataplane compiles from. The control-plane service
// implements it; the classifier compiler and the dataplane read only through it.

/** Protocol number: -1 means all protocols (EC2's "-1"). */
export type ProtocolNumber = number;

export type RulePeer =
  | { kind: 'cidr4'; cidr: string }
  | { kind: 'cidr6'; cidr: string }
  | { kind: 'prefix-list'; prefixListId: string }
  | { kind: 'group'; groupId: string; userId: string };

/** One rule: one protocol/port range and exactly one peer, as EC2's SecurityGroupRule. */
export interface RuleView {
  readonly ruleId: string; // sgr-…
  readonly groupId: string;
  readonly egress: boolean;
  /** -1 (all) or 0..255 */
  readonly protocol: ProtocolNumber;
  /**
   * TCP/UDP: port range (0..65535). ICMP/ICMPv6: fromPort = type, toPort = code, -1 = any.
   * Other protocols and -1: both -1 (all).
   */
  readonly fromPort: number;
  readonly toPort: number;
  readonly peer: RulePeer;
  readonly description?: string;
}

export interface GroupView {
  readonly groupId: string;
  readonly groupName: string;
  readonly vpcId: string;
  readonly ownerId: string;
  readonly description: string;
  readonly ingress: readonly RuleView[];
  readonly egress: readonly RuleView[];
}

export interface ConntrackTimeouts {
  /** seconds */
  readonly tcpEstablished: number;
  readonly udpStream: number;
  readonly udp: number;
}

export interface InterfaceView {
  readonly interfaceId: string; // eni-…
  readonly vpcId: string;
  /** private IPv4 addresses, primary first, secondary included */
  readonly privateIpv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly groupIds: readonly string[];
  readonly conntrack: ConntrackTimeouts;
}

export interface PrefixListView {
  readonly prefixListId: string;
  readonly name: string;
  readonly addressFamily: 'IPv4' | 'IPv6';
  readonly version: number;
  readonly entries: readonly { cidr: string; description?: string }[];
}

export interface ModelView {
  /** increases by one with every accepted change */
  readonly version: number;
  groups(): Iterable<GroupView>;
  group(groupId: string): GroupView | undefined;
  interfaces(): Iterable<InterfaceView>;
  prefixList(prefixListId: string): PrefixListView | undefined;
}
