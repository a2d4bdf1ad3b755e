// What the security groups of an AWS CLI state document allow, worked out here from the JSON
// alone (not with sgfw's classifier), so an end-to-end test's expectations cannot share a bug with
// the product: the sender's egress and the receiver's ingress must both allow (seed 001:
// "security groups are stateful"; rules from all groups of an interface are aggregated).
import ipaddr from 'ipaddr.js';

interface Permission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: { CidrIp: string }[];
  Ipv6Ranges?: { CidrIpv6: string }[];
  UserIdGroupPairs?: { GroupId: string }[];
}
interface Group {
  GroupId: string;
  GroupName?: string;
  IpPermissions: Permission[];
  IpPermissionsEgress: Permission[];
}
interface Eni {
  NetworkInterfaceId: string;
  Groups: { GroupId: string }[];
  PrivateIpAddresses?: { PrivateIpAddress: string }[];
  PrivateIpAddress?: string;
  Ipv6Addresses?: { Ipv6Address: string }[];
}
export interface StateDoc {
  SecurityGroups: Group[];
  NetworkInterfaces: Eni[];
}

const PROTOCOL_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

function addressesOf(eni: Eni): string[] {
  const v4 = (eni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress);
  if (eni.PrivateIpAddress && !v4.includes(eni.PrivateIpAddress)) v4.push(eni.PrivateIpAddress);
  return [...v4, ...(eni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address)];
}

function same(a: string, b: string): boolean {
  return ipaddr.parse(a).toNormalizedString() === ipaddr.parse(b).toNormalizedString();
}

/** The interface holding `address`, or null when the address is no managed interface's. */
export function interfaceOf(state: StateDoc, address: string): Eni | null {
  return state.NetworkInterfaces.find((e) => addressesOf(e).some((a) => same(a, address))) ?? null;
}

function inCidr(address: string, cidr: string): boolean {
  const a = ipaddr.parse(address);
  const [net, bits] = ipaddr.parseCIDR(cidr);
  return a.kind() === net.kind() && a.match(net, bits);
}

/** Does one permission let `peer` use protocol `proto` (number) and port `port`? */
function permits(state: StateDoc, p: Permission, peer: string, proto: number, port: number): boolean {
  const pp = p.IpProtocol === '-1' ? -1 : (PROTOCOL_NUMBERS[p.IpProtocol.toLowerCase()] ?? Number(p.IpProtocol));
  if (pp !== -1 && pp !== proto) return false;
  if (pp !== -1 && (proto === 6 || proto === 17) && p.FromPort !== undefined && p.FromPort !== -1) {
    if (port < p.FromPort || port > (p.ToPort ?? p.FromPort)) return false;
  }
  if ((p.IpRanges ?? []).some((r) => inCidr(peer, r.CidrIp))) return true;
  if ((p.Ipv6Ranges ?? []).some((r) => inCidr(peer, r.CidrIpv6))) return true;
  // A group reference admits the private IPv4 addresses of the group's members (seed 001).
  const peerEni = ipaddr.parse(peer).kind() === 'ipv4' ? interfaceOf(state, peer) : null;
  return (p.UserIdGroupPairs ?? []).some((g) => peerEni !== null && peerEni.Groups.some((m) => m.GroupId === g.GroupId));
}

function sideAllows(state: StateDoc, eni: Eni, outbound: boolean, peer: string, proto: number, port: number): boolean {
  const groups = state.SecurityGroups.filter((g) => eni.Groups.some((m) => m.GroupId === g.GroupId));
  return groups.some((g) => (outbound ? g.IpPermissionsEgress : g.IpPermissions).some((p) => permits(state, p, peer, proto, port)));
}

/** Would a new flow `src` → `dst` (protocol number, destination port) be admitted? */
export function allowsNewFlow(state: StateDoc, src: string, dst: string, proto: number, port: number): boolean {
  const from = interfaceOf(state, src);
  const to = interfaceOf(state, dst);
  if (from !== null && !sideAllows(state, from, true, dst, proto, port)) return false;
  if (to !== null && !sideAllows(state, to, false, src, proto, port)) return false;
  return true;
}

/** The TCP ports among `ports` a connection from `src` to `dst` may open, ascending. */
export function allowedTcpPorts(state: StateDoc, src: string, dst: string, ports: readonly number[]): number[] {
  return ports.filter((p) => allowsNewFlow(state, src, dst, 6, p)).sort((a, b) => a - b);
}

/** Every TCP port a rule of the state names (each range's ends), ascending. */
export function tcpPortsNamed(state: StateDoc): number[] {
  const ports = new Set<number>();
  for (const g of state.SecurityGroups) {
    for (const p of [...g.IpPermissions, ...g.IpPermissionsEgress]) {
      if (p.IpProtocol !== 'tcp' && p.IpProtocol !== '6') continue;
      if (p.FromPort !== undefined) ports.add(p.FromPort);
      if (p.ToPort !== undefined) ports.add(p.ToPort);
    }
  }
  return [...ports].sort((a, b) => a - b);
}
