// VPCs as DescribeVpcs shows them. sgfw models a VPC as a namespace of groups and interfaces: one
// made by CreateVpc has the CIDR it was given; one that came to be on first use (a VpcId in
// CreateSecurityGroup) has none, so its CidrBlock is left out. The default VPC is always listed
// (any call without VpcId works in it) with EC2's default-VPC CIDR, 172.31.0.0/16.
import type { Tag } from '../model/types.js';
import { tagField } from './describe-fields.js';
import type { VpcRecord } from './records.js';

export const DEFAULT_VPC_CIDR = '172.31.0.0/16';

export interface VpcCidrBlockAssociation {
  AssociationId: string;
  CidrBlock: string;
  CidrBlockState: { State: 'associated' };
}

export interface Vpc {
  VpcId: string;
  State: 'available';
  CidrBlock?: string;
  /** sgfw models no DHCP options sets: `default`, EC2's name for "no options set" */
  DhcpOptionsId: 'default';
  CidrBlockAssociationSet?: VpcCidrBlockAssociation[];
  OwnerId: string;
  InstanceTenancy: 'default';
  IsDefault: boolean;
  Tags?: Tag[];
}

export interface VpcItem {
  readonly record: VpcRecord;
  readonly isDefault: boolean;
  readonly ownerId: string;
}

/**
 * The id of a VPC's primary CIDR association: `vpc-cidr-assoc-` and the VPC id's own hex digits, so
 * it is stable across restarts without being stored.
 */
export function cidrAssociationId(vpcId: string): string {
  return `vpc-cidr-assoc-${vpcId.slice('vpc-'.length)}`;
}

export function renderVpc(v: VpcItem): Vpc {
  const cidr = v.record.cidrBlock ?? (v.isDefault ? DEFAULT_VPC_CIDR : undefined);
  const tags = v.record.tags ?? [];
  return {
    VpcId: v.record.vpcId,
    State: 'available',
    ...(cidr !== undefined ? { CidrBlock: cidr } : {}),
    DhcpOptionsId: 'default',
    ...(cidr !== undefined
      ? { CidrBlockAssociationSet: [{ AssociationId: cidrAssociationId(v.record.vpcId), CidrBlock: cidr, CidrBlockState: { State: 'associated' as const } }] }
      : {}),
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
    case 'cidr':
    case 'cidr-block-association.cidr-block': {
      const cidr = v.record.cidrBlock ?? (v.isDefault ? DEFAULT_VPC_CIDR : undefined);
      return cidr !== undefined ? [cidr] : [];
    }
    case 'cidr-block-association.state':
      return v.record.cidrBlock !== undefined || v.isDefault ? ['associated'] : [];
    case 'dhcp-options-id':
      return ['default'];
    case 'cidr-block-association.association-id':
      return v.record.cidrBlock !== undefined || v.isDefault ? [cidrAssociationId(v.record.vpcId)] : [];
  }
  return tagField(v.record.tags ?? [], name);
}
