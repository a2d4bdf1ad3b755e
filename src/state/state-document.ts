// The shape of a state file: JSON exactly as the AWS CLI prints `describe-security-groups`
// (`SecurityGroups`), `describe-network-interfaces` (`NetworkInterfaces`) and
// `describe-managed-prefix-lists` (`PrefixLists`, each optionally with the `Entries` that
// `get-managed-prefix-list-entries` prints). Only the structure is checked here; what the values
// mean (ports in range, CIDRs, references) is the model's job, in SecurityGroupService.importSnapshot.
// Fields we do not know are ignored, so real AWS output with its extra fields loads as is.

import type {
  ConnectionTrackingSpecification,
  ImportedNetworkInterface,
  ImportedPrefixList,
  ImportedSecurityGroup,
  ImportedSubnet,
  IpPermission,
  ImportedVpc,
  IpRange,
  Ipv6Range,
  ModelDocument,
  PrefixListEntry,
  PrefixListIdRef,
  SecurityGroupRule,
  Tag,
  UserIdGroupPair,
} from '../model/types.js';
import {
  ShapeError,
  opt,
  readBoolean,
  readInteger,
  readList,
  readObject,
  readOneOf,
  readRecord,
  readString,
  req,
  type Reader,
} from './json-shape.js';

// The model owns these shapes (model/types.ts); the state reader produces exactly them.
export type StateSecurityGroup = ImportedSecurityGroup;
export type StateNetworkInterface = ImportedNetworkInterface;
export type StatePrefixList = ImportedPrefixList;
/**
 * What importSnapshot takes: every key optional, arrays in file order. `Vpcs`, `Subnets` and
 * `SecurityGroupRules` (the tagged rules) are what sgfw's own snapshots add to the AWS CLI keys.
 */
export type StateDocument = ModelDocument;

export const STATE_KEYS = ['SecurityGroups', 'NetworkInterfaces', 'PrefixLists'] as const;
export type StateKey = (typeof STATE_KEYS)[number];

const readTag = readRecord<Tag>({ Key: req(readString), Value: req(readString) });
const readIpRange = readRecord<IpRange>({ CidrIp: req(readString), Description: opt(readString) });
const readIpv6Range = readRecord<Ipv6Range>({ CidrIpv6: req(readString), Description: opt(readString) });
const readPrefixListRef = readRecord<PrefixListIdRef>({ PrefixListId: req(readString), Description: opt(readString) });
const readGroupPair = readRecord<UserIdGroupPair>({
  // describe-security-groups always prints GroupId; a name alone cannot name a VPC group
  GroupId: req(readString),
  GroupName: opt(readString),
  UserId: opt(readString),
  VpcId: opt(readString),
  Description: opt(readString),
});

const readPermission = readRecord<IpPermission>({
  IpProtocol: req(readString),
  FromPort: opt(readInteger),
  ToPort: opt(readInteger),
  IpRanges: opt(readList(readIpRange)),
  Ipv6Ranges: opt(readList(readIpv6Range)),
  PrefixListIds: opt(readList(readPrefixListRef)),
  UserIdGroupPairs: opt(readList(readGroupPair)),
});

const readSecurityGroup = readRecord<StateSecurityGroup>({
  GroupId: req(readString),
  GroupName: req(readString),
  Description: opt(readString),
  OwnerId: opt(readString),
  VpcId: opt(readString),
  IpPermissions: opt(readList(readPermission)),
  IpPermissionsEgress: opt(readList(readPermission)),
  Tags: opt(readList(readTag)),
});

const readAwsInterface = readRecord<StateNetworkInterface>({
  NetworkInterfaceId: req(readString),
  VpcId: opt(readString),
  Description: opt(readString),
  PrivateIpAddress: opt(readString),
  PrivateIpAddresses: opt(readList(readRecord({ PrivateIpAddress: req(readString), Primary: opt(readBoolean) }))),
  Ipv6Addresses: opt(readList(readRecord({ Ipv6Address: req(readString) }))),
  Groups: opt(readList(readRecord({ GroupId: req(readString), GroupName: opt(readString) }))),
  ConnectionTrackingConfiguration: opt(
    readRecord<ConnectionTrackingSpecification>({
      TcpEstablishedTimeout: opt(readInteger),
      UdpStreamTimeout: opt(readInteger),
      UdpTimeout: opt(readInteger),
    }),
  ),
  HostId: opt(readString),
  SubnetId: opt(readString),
  TagSet: opt(readList(readTag)),
});

const readNetworkInterface: Reader<StateNetworkInterface> = (v, p) => {
  const n = readAwsInterface(v, p);
  // A hand-written file may give only the top-level primary address, as `aws ec2` also prints it.
  if (n.PrivateIpAddresses === undefined && n.PrivateIpAddress !== undefined) {
    n.PrivateIpAddresses = [{ PrivateIpAddress: n.PrivateIpAddress, Primary: true }];
  }
  return n;
};

const readPrefixList = readRecord<StatePrefixList>({
  PrefixListId: req(readString),
  AddressFamily: req(readOneOf(['IPv4', 'IPv6'] as const)),
  PrefixListName: opt(readString),
  MaxEntries: opt(readInteger),
  Version: opt(readInteger),
  State: opt(readString),
  OwnerId: opt(readString),
  Tags: opt(readList(readTag)),
  Entries: opt(readList(readRecord<PrefixListEntry>({ Cidr: req(readString), Description: opt(readString) }))),
});

const readVpc = readRecord<ImportedVpc>({
  VpcId: req(readString),
  CidrBlock: opt(readString),
  CidrBlockAssociationSet: opt(readList(readRecord({ CidrBlock: req(readString), AssociationId: opt(readString) }))),
  Ipv6CidrBlockAssociationSet: opt(readList(readRecord({ Ipv6CidrBlock: req(readString), AssociationId: opt(readString) }))),
  Tags: opt(readList(readTag)),
});

const readSubnet = readRecord<ImportedSubnet>({
  SubnetId: req(readString),
  VpcId: req(readString),
  CidrBlock: req(readString),
  AvailabilityZone: opt(readString),
  Ipv6CidrBlockAssociationSet: opt(readList(readRecord({ Ipv6CidrBlock: req(readString), AssociationId: opt(readString) }))),
  Tags: opt(readList(readTag)),
});

const readRule = readRecord<SecurityGroupRule>({
  SecurityGroupRuleId: req(readString),
  GroupId: req(readString),
  GroupOwnerId: req(readString),
  IsEgress: req(readBoolean),
  IpProtocol: req(readString),
  FromPort: req(readInteger),
  ToPort: req(readInteger),
  CidrIpv4: opt(readString),
  CidrIpv6: opt(readString),
  PrefixListId: opt(readString),
  ReferencedGroupInfo: opt(readRecord({ GroupId: req(readString), UserId: opt(readString), VpcId: opt(readString) })),
  Description: opt(readString),
  Tags: opt(readList(readTag)),
});

const readTopLevel = readRecord<StateDocument>({
  SecurityGroups: opt(readList(readSecurityGroup)),
  NetworkInterfaces: opt(readList(readNetworkInterface)),
  PrefixLists: opt(readList(readPrefixList)),
  Vpcs: opt(readList(readVpc)),
  Subnets: opt(readList(readSubnet)),
  SecurityGroupRules: opt(readList(readRule)),
});

/** Checks the structure of one parsed state file; throws ShapeError naming the JSON path. */
export function readStateDocument(value: unknown): StateDocument {
  const o = readObject(value, '');
  if (!STATE_KEYS.some((k) => Object.prototype.hasOwnProperty.call(o, k))) {
    throw new ShapeError('(top level)', `expected at least one of ${STATE_KEYS.join(', ')} (the output of aws ec2 describe-*)`);
  }
  return readTopLevel(o, '');
}
