// VPCs as DescribeVpcs shows them. sgfw models a VPC as a namespace of groups and interfaces: one
// made by CreateVpc has the CIDR it was given; one that came to be on first use (a VpcId in
// CreateSecurityGroup) has none, so its CidrBlock is left out. The default VPC is always listed
// (any call without VpcId works in it) with EC2's default-VPC CIDR, 172.31.0.0/16.
import { createHash } from 'node:crypto';
import type { Tag } from '../model/types.js';
import { tagField } from './describe-fields.js';
import type { VpcRecord } from './records.js';

export const DEFAULT_VPC_CIDR = '172.31.0.0/16';

export interface VpcCidrBlockAssociation {
  AssociationId: string;
  CidrBlock: string;
  CidrBlockState: { State: 'associated' | 'disassociated' };
}

export interface VpcIpv6CidrBlockAssociation {
  AssociationId: string;
  Ipv6CidrBlock: string;
  Ipv6CidrBlockState: { State: 'associated' | 'disassociated' };
  /** EC2's name for where an Amazon-provided block comes from */
  NetworkBorderGroup: string;
  Ipv6Pool: 'Amazon';
}

export interface Vpc {
  VpcId: string;
  State: 'available';
  CidrBlock?: string;
  /** sgfw models no DHCP options sets: `default`, EC2's name for "no options set" */
  DhcpOptionsId: 'default';
  CidrBlockAssociationSet?: VpcCidrBlockAssociation[];
  Ipv6CidrBlockAssociationSet?: VpcIpv6CidrBlockAssociation[];
  OwnerId: string;
  InstanceTenancy: 'default';
  IsDefault: boolean;
  Tags?: Tag[];
}

export interface VpcItem {
  readonly record: VpcRecord;
  readonly isDefault: boolean;
  readonly ownerId: string;
  /** the network border group of an IPv6 block: the region */
  readonly region?: string;
}

/**
 * The id of a VPC's primary CIDR association: `vpc-cidr-assoc-` and the VPC id's own hex digits, so
 * it is stable across restarts without being stored.
 */
export function cidrAssociationId(vpcId: string): string {
  return `vpc-cidr-assoc-${vpcId.slice('vpc-'.length)}`;
}

/**
 * The id of a block associated after CreateVpc (IPv6, secondary IPv4): `vpc-cidr-assoc-` and 17 hex
 * digits of a hash of the VPC and the block, so it is stable across restarts without being stored
 * or drawn (a snapshot import draws no ids but its rules').
 */
export function blockAssociationId(vpcId: string, cidr: string): string {
  return `vpc-cidr-assoc-${createHash('sha256').update(`${vpcId} ${cidr}`).digest('hex').slice(0, 17)}`;
}

export function ipv4Associations(v: VpcItem): VpcCidrBlockAssociation[] {
  const cidr = v.record.cidrBlock ?? (v.isDefault ? DEFAULT_VPC_CIDR : undefined);
  const out: VpcCidrBlockAssociation[] = [];
  if (cidr !== undefined) out.push({ AssociationId: cidrAssociationId(v.record.vpcId), CidrBlock: cidr, CidrBlockState: { State: 'associated' } });
  for (const c of v.record.secondaryCidrs ?? []) {
    out.push({ AssociationId: blockAssociationId(v.record.vpcId, c), CidrBlock: c, CidrBlockState: { State: 'associated' } });
  }
  return out;
}

export function ipv6Associations(v: VpcItem): VpcIpv6CidrBlockAssociation[] {
  const block = v.record.ipv6CidrBlock;
  if (block === undefined) return [];
  return [{
    AssociationId: blockAssociationId(v.record.vpcId, block), Ipv6CidrBlock: block, Ipv6CidrBlockState: { State: 'associated' },
    NetworkBorderGroup: v.region ?? 'us-east-1', Ipv6Pool: 'Amazon',
  }];
}

export function renderVpc(v: VpcItem): Vpc {
  const cidr = v.record.cidrBlock ?? (v.isDefault ? DEFAULT_VPC_CIDR : undefined);
  const tags = v.record.tags ?? [];
  const ipv4 = ipv4Associations(v);
  const ipv6 = ipv6Associations(v);
  return {
    VpcId: v.record.vpcId,
    State: 'available',
    ...(cidr !== undefined ? { CidrBlock: cidr } : {}),
    DhcpOptionsId: 'default',
    ...(ipv4.length > 0 ? { CidrBlockAssociationSet: ipv4 } : {}),
    ...(ipv6.length > 0 ? { Ipv6CidrBlockAssociationSet: ipv6 } : {}),
    OwnerId: v.ownerId,
    InstanceTenancy: 'default',
    IsDefault: v.isDefault,
    ...(tags.length > 0 ? { Tags: tags.map((t) => ({ ...t })) } : {}),
  };
}

export function vpcFields(v: VpcItem, name: string): readonly string[] | undefined {
  switch (name) {
    case 'vpc-id':
      return [v.record.vpcId];
    case 'is-default':
      return [String(v.isDefault)];
    case 'owner-id':
      return [v.ownerId];
    case 'state':
      return ['available'];
    case 'cidr': {
      const cidr = v.record.cidrBlock ?? (v.isDefault ? DEFAULT_VPC_CIDR : undefined);
      return cidr !== undefined ? [cidr] : [];
    }
    case 'cidr-block-association.cidr-block':
      return ipv4Associations(v).map((a) => a.CidrBlock);
    case 'cidr-block-association.state':
      return ipv4Associations(v).map(() => 'associated');
    case 'dhcp-options-id':
      return ['default'];
    case 'cidr-block-association.association-id':
      return ipv4Associations(v).map((a) => a.AssociationId);
    case 'ipv6-cidr-block-association.ipv6-cidr-block':
      return ipv6Associations(v).map((a) => a.Ipv6CidrBlock);
    case 'ipv6-cidr-block-association.association-id':
      return ipv6Associations(v).map((a) => a.AssociationId);
    case 'ipv6-cidr-block-association.state':
      return ipv6Associations(v).map(() => 'associated');
    case 'ipv6-cidr-block-association.ipv6-pool':
      return ipv6Associations(v).map(() => 'Amazon');
  }
  return tagField(v.record.tags ?? [], name);
}
