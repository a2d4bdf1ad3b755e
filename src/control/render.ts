// Records → EC2 response shapes, as the AWS CLI prints them. Details idempotent tools (Terraform,
// Ansible) compare against: protocol -1 (and protocols without ports) has no FromPort/ToPort; the
// protocol reads as EC2 normalised it (`tcp`); empty descriptions are left out; group pairs carry
// UserId; all four peer lists are present even when empty.
import type { IpPermission, ManagedPrefixList, NetworkInterface, PrefixListEntry, SecurityGroup, SecurityGroupRule, UserIdGroupPair } from '../model/types.js';
import { hasPorts, isIcmp } from '../model/protocol.js';
import { ec2Arn } from '../model/arn.js';
import type { GroupRecord, InterfaceRecord, ModelState, PrefixListEntryRecord, PrefixListRecord, RuleRecord } from './records.js';
import { interfaceStatus, interfaceTags } from './host-id.js';
import { availabilityZoneOf } from './render-subnet.js';

export function isStale(r: RuleRecord, state: ModelState): boolean {
  if (r.peer.kind === 'group') return !state.groups.has(r.peer.groupId);
  if (r.peer.kind === 'prefix-list') return state.referenceablePrefixList(r.peer.prefixListId) === undefined;
  return false;
}

function showsPorts(protocol: number): boolean {
  return hasPorts(protocol) || isIcmp(protocol);
}

const PEER_KINDS = ['cidr4', 'cidr6', 'prefix-list', 'group'] as const;

/**
 * The rules as IpPermissions: one per protocol and port range, in the order the ranges first
 * appear. `order`, when given, gets the rules in the order the permissions list them (each
 * permission's IpRanges, Ipv6Ranges, PrefixListIds, then UserIdGroupPairs): the order in which
 * importing the permissions makes the rules again (state/snapshot-slices.ts).
 */
export function renderPermissions(rules: readonly RuleRecord[], state: ModelState, order?: RuleRecord[]): IpPermission[] {
  const listed = order === undefined ? undefined : new Map<string, RuleRecord[]>();
  const byKey = new Map<string, Required<Pick<IpPermission, 'IpRanges' | 'Ipv6Ranges' | 'PrefixListIds' | 'UserIdGroupPairs'>> & IpPermission>();
  for (const r of rules) {
    const key = `${r.protocolText}|${r.fromPort}|${r.toPort}`;
    let perm = byKey.get(key);
    if (perm === undefined) {
      perm = {
        IpProtocol: r.protocolText,
        ...(showsPorts(r.protocol) ? { FromPort: r.fromPort, ToPort: r.toPort } : {}),
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      };
      byKey.set(key, perm);
    }
    if (listed !== undefined) {
      const at = `${key}|${r.peer.kind}`;
      const same = listed.get(at);
      if (same === undefined) listed.set(at, [r]);
      else same.push(r);
    }
    const d = r.description !== undefined ? { Description: r.description } : {};
    const peer = r.peer;
    switch (peer.kind) {
      case 'cidr4':
        perm.IpRanges.push({ CidrIp: peer.cidr, ...d });
        break;
      case 'cidr6':
        perm.Ipv6Ranges.push({ CidrIpv6: peer.cidr, ...d });
        break;
      case 'prefix-list':
        perm.PrefixListIds.push({ PrefixListId: peer.prefixListId, ...d });
        break;
      case 'group': {
        const pair: UserIdGroupPair = { ...d, GroupId: peer.groupId, UserId: peer.userId };
        if (r.peerVpcId !== undefined) pair.VpcId = r.peerVpcId;
        if (isStale(r, state)) pair.PeeringStatus = 'deleted';
        perm.UserIdGroupPairs.push(pair);
        break;
      }
    }
  }
  if (order !== undefined && listed !== undefined) {
    for (const key of byKey.keys()) for (const kind of PEER_KINDS) order.push(...(listed.get(`${key}|${kind}`) ?? []));
  }
  return [...byKey.values()];
}

/**
 * `region` adds the group's SecurityGroupArn, as every EC2 answer carries it; state documents
 * (snapshot.ts) are rendered without one, so they stay what they always were and load anywhere.
 * `order` gets the rules as the document lists them, ingress then egress (renderPermissions).
 */
export function renderGroup(g: GroupRecord, state: ModelState, region?: string, order?: RuleRecord[]): SecurityGroup {
  return {
    Description: g.description,
    GroupName: g.groupName,
    IpPermissions: renderPermissions(g.ingress, state, order),
    OwnerId: g.ownerId,
    GroupId: g.groupId,
    IpPermissionsEgress: renderPermissions(g.egress, state, order),
    ...(g.tags.length > 0 ? { Tags: g.tags.map((t) => ({ ...t })) } : {}),
    VpcId: g.vpcId,
    ...(region !== undefined ? { SecurityGroupArn: ec2Arn(region, g.ownerId, 'security-group', g.groupId) } : {}),
  };
}

export interface RenderRuleOptions {
  /**
   * `always`: print `Tags` even when empty, as DescribeSecurityGroupRules does (`"Tags": []` in EC2's
   * describe-security-group-rules example); Authorize's answer prints it only for tagged rules.
   */
  readonly tags?: 'always' | 'when-set';
  /** adds SecurityGroupRuleArn (EC2's answers); left out of state documents */
  readonly region?: string;
}

export function renderRule(r: RuleRecord, g: GroupRecord, state: ModelState, options: RenderRuleOptions = {}): SecurityGroupRule {
  const peer = r.peer;
  const out: SecurityGroupRule = {
    SecurityGroupRuleId: r.ruleId,
    GroupId: r.groupId,
    GroupOwnerId: g.ownerId,
    IsEgress: r.egress,
    IpProtocol: r.protocolText,
    FromPort: r.fromPort,
    ToPort: r.toPort,
  };
  if (peer.kind === 'cidr4') out.CidrIpv4 = peer.cidr;
  else if (peer.kind === 'cidr6') out.CidrIpv6 = peer.cidr;
  else if (peer.kind === 'prefix-list') out.PrefixListId = peer.prefixListId;
  else {
    out.ReferencedGroupInfo = { GroupId: peer.groupId, UserId: peer.userId, ...(r.peerVpcId ? { VpcId: r.peerVpcId } : {}) };
  }
  if (r.description !== undefined) out.Description = r.description;
  if (isStale(r, state)) out.Stale = true;
  const tags = r.tags ?? [];
  if (tags.length > 0 || options.tags === 'always') out.Tags = tags.map((t) => ({ ...t }));
  if (options.region !== undefined) out.SecurityGroupRuleArn = ec2Arn(options.region, g.ownerId, 'security-group-rule', r.ruleId);
  return out;
}

/** What the API's answers add to a state document's interface: where it is and who owns it. */
export interface InterfaceAnswer {
  readonly ownerId: string;
  readonly region: string;
}

/**
 * `answer` adds the fields EC2's answers carry (OwnerId, Status, InterfaceType, AvailabilityZone,
 * TagSet even when empty, …); state documents are rendered without them.
 */
export function renderInterface(i: InterfaceRecord, state: ModelState, answer?: InterfaceAnswer): NetworkInterface {
  const tags = interfaceTags(i);
  const subnet = i.subnetId === undefined ? undefined : state.subnets.get(i.subnetId);
  return {
    NetworkInterfaceId: i.interfaceId,
    ...(i.subnetId !== undefined ? { SubnetId: i.subnetId } : {}),
    VpcId: i.vpcId,
    ...(answer !== undefined ? {
      ...(subnet !== undefined ? { AvailabilityZone: availabilityZoneOf(subnet, answer.region) } : {}),
      OwnerId: answer.ownerId,
      RequesterManaged: false,
      Status: interfaceStatus(i),
      InterfaceType: 'interface' as const,
      SourceDestCheck: true,
    } : {}),
    ...(i.description !== undefined ? { Description: i.description } : {}),
    ...(i.privateIpv4.length > 0 ? { PrivateIpAddress: i.privateIpv4[0] } : {}),
    PrivateIpAddresses: i.privateIpv4.map((a, n) => ({ PrivateIpAddress: a, Primary: n === 0 })),
    Ipv6Addresses: i.ipv6.map((a) => ({ Ipv6Address: a })),
    Groups: i.groupIds.map((id) => ({ GroupId: id, GroupName: state.groups.get(id)?.groupName ?? '' })),
    ConnectionTrackingConfiguration: {
      TcpEstablishedTimeout: i.conntrack.tcpEstablished,
      UdpStreamTimeout: i.conntrack.udpStream,
      UdpTimeout: i.conntrack.udp,
    },
    ...(answer !== undefined || (i.tags?.length ?? 0) > 0 ? { TagSet: tags } : {}),
  };
}

/** `region` adds PrefixListArn (EC2's answers); state documents are rendered without it. */
export function renderPrefixList(p: PrefixListRecord, state = 'create-complete', region?: string): ManagedPrefixList {
  return {
    PrefixListId: p.prefixListId,
    AddressFamily: p.addressFamily,
    State: state,
    ...(region !== undefined ? { PrefixListArn: ec2Arn(region, p.ownerId, 'prefix-list', p.prefixListId) } : {}),
    PrefixListName: p.name,
    MaxEntries: p.maxEntries,
    Version: p.version,
    ...(p.tags.length > 0 ? { Tags: p.tags.map((t) => ({ ...t })) } : {}),
    OwnerId: p.ownerId,
  };
}

export function renderEntries(entries: readonly PrefixListEntryRecord[]): PrefixListEntry[] {
  return entries.map((e) => ({ Cidr: e.cidr, ...(e.description !== undefined ? { Description: e.description } : {}) }));
}
