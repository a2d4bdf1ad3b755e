// Subnets as DescribeSubnets shows them (botocore's Subnet shape). sgfw has no Availability Zones
// of its own: a subnet is in the zone CreateSubnet named, or the region's `a` zone. The count of
// free addresses is EC2's: the block's size less the five reserved addresses and those the
// interfaces made in the subnet hold.
import type { Tag } from '../model/types.js';
import { ec2Arn } from '../model/arn.js';
import { cidrRange } from '../model/cidr-range.js';
import { tagField } from './describe-fields.js';
import type { ModelState, SubnetRecord } from './records.js';

export interface Subnet {
  AvailabilityZone: string;
  AvailableIpAddressCount: number;
  CidrBlock: string;
  DefaultForAz: false;
  MapPublicIpOnLaunch: false;
  State: 'available';
  SubnetId: string;
  VpcId: string;
  OwnerId: string;
  AssignIpv6AddressOnCreation: false;
  Ipv6CidrBlockAssociationSet: { AssociationId: string; Ipv6CidrBlock: string; Ipv6CidrBlockState: { State: 'associated' } }[];
  Tags?: Tag[];
  SubnetArn: string;
}

/** The id of a subnet's IPv6 association: `subnet-cidr-assoc-` and the subnet id's hex, stable without being stored. */
export function subnetIpv6AssociationId(subnetId: string): string {
  return `subnet-cidr-assoc-${subnetId.slice('subnet-'.length)}`;
}

export function availabilityZoneOf(s: SubnetRecord, region: string): string {
  return s.availabilityZone ?? `${region}a`;
}

export function availableAddresses(s: SubnetRecord, state: ModelState): number {
  const range = cidrRange(s.cidrBlock);
  let used = 0;
  for (const i of state.interfaces.values()) if (i.subnetId === s.subnetId) used += i.privateIpv4.length;
  return Number(range.last - range.first + 1n) - 5 - used;
}

export function renderSubnet(s: SubnetRecord, state: ModelState, ownerId: string, region: string): Subnet {
  return {
    AvailabilityZone: availabilityZoneOf(s, region),
    AvailableIpAddressCount: availableAddresses(s, state),
    CidrBlock: s.cidrBlock,
    DefaultForAz: false,
    MapPublicIpOnLaunch: false,
    State: 'available',
    SubnetId: s.subnetId,
    VpcId: s.vpcId,
    OwnerId: ownerId,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: s.ipv6CidrBlock === undefined ? [] : [{
      AssociationId: subnetIpv6AssociationId(s.subnetId), Ipv6CidrBlock: s.ipv6CidrBlock, Ipv6CidrBlockState: { State: 'associated' },
    }],
    ...(s.tags.length > 0 ? { Tags: s.tags.map((t) => ({ ...t })) } : {}),
    SubnetArn: ec2Arn(region, ownerId, 'subnet', s.subnetId),
  };
}

export function subnetFields(s: SubnetRecord, name: string, region: string, ownerId: string): readonly string[] | undefined {
  switch (name) {
    case 'subnet-id':
      return [s.subnetId];
    case 'vpc-id':
      return [s.vpcId];
    case 'cidr':
    case 'cidr-block':
    case 'cidrBlock':
    case 'cidr-block-association.cidr-block':
      return [s.cidrBlock];
    case 'ipv6-cidr-block-association.ipv6-cidr-block':
      return s.ipv6CidrBlock === undefined ? [] : [s.ipv6CidrBlock];
    case 'ipv6-cidr-block-association.association-id':
      return s.ipv6CidrBlock === undefined ? [] : [subnetIpv6AssociationId(s.subnetId)];
    case 'ipv6-cidr-block-association.state':
      return s.ipv6CidrBlock === undefined ? [] : ['associated'];
    case 'availability-zone':
    case 'availabilityZone':
      return [availabilityZoneOf(s, region)];
    case 'state':
      return ['available'];
    case 'owner-id':
      return [ownerId];
    case 'default-for-az':
    case 'defaultForAz':
      return ['false'];
    case 'subnet-arn':
      return [ec2Arn(region, ownerId, 'subnet', s.subnetId)];
  }
  return tagField(s.tags, name);
}
