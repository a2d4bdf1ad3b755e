// The EC2 API shapes of the actions sgfw serves, written by hand from botocore's EC2 model
// (data/ec2/2016-11-15/service-2.json): member names, `locationName`, `queryName`, types and
// required members, for only the members sgfw reads or prints.
//
// One table drives both directions, as botocore's does (serialize.py EC2Serializer, parsers.py
// EC2QueryParser):
// - request parameter name = `queryName`, else `locationName` with its first letter capitalised,
//   else the member name; lists are `Name.N` (1-based, flattened, no `member`).
// - response element name = `locationName`, else the member name; lists are `<name><item>…</item></name>`.
//
// Members are listed in the order EC2 prints their elements where EC2's API reference shows it
// (the DescribeSecurityGroups examples: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html),
// botocore's order elsewhere: the XML renderer prints them in this order, and the request decoder
// does not care.

export type Scalar = 'string' | 'integer' | 'boolean';
export interface ListShape { readonly kind: 'list'; readonly member: Shape }
export interface StructShape {
  readonly kind: 'structure';
  readonly members: Readonly<Record<string, Member>>;
  readonly required: readonly string[];
}
export type Shape = Scalar | ListShape | StructShape;
export interface Member { readonly shape: Shape; readonly loc?: string; readonly query?: string }

/** A member: its shape, then botocore's `locationName` and `queryName` when the model has them. */
type MemberSpec = Shape | readonly [Shape, string?, string?];

const S = 'string';
const I = 'integer';
const B = 'boolean';

function list(member: Shape): ListShape {
  return { kind: 'list', member };
}

function struct(members: Record<string, MemberSpec>, required: readonly string[] = []): StructShape {
  const out: Record<string, Member> = {};
  for (const [name, spec] of Object.entries(members)) {
    if (typeof spec === 'string' || !Array.isArray(spec)) out[name] = { shape: spec as Shape };
    else {
      const [shape, loc, query] = spec as readonly [Shape, string?, string?];
      out[name] = { shape, ...(loc !== undefined ? { loc } : {}), ...(query !== undefined ? { query } : {}) };
    }
  }
  return { kind: 'structure', members: out, required };
}

/** The parameter name a member has in an EC2 Query request. */
export function queryName(name: string, m: Member): string {
  if (m.query !== undefined) return m.query;
  if (m.loc !== undefined) return m.loc[0]!.toUpperCase() + m.loc.slice(1);
  return name;
}

/** The element name a member has in an EC2 XML response. */
export function xmlName(name: string, m: Member): string {
  return m.loc ?? name;
}

// ---- shared structures ---------------------------------------------------------------------------

const Tag = struct({ Key: [S, 'key'], Value: [S, 'value'] });
const TagSpecification = struct({ ResourceType: [S, 'resourceType'], Tags: [list(Tag), 'Tag'] });
const TagSpecifications: MemberSpec = [list(TagSpecification), undefined, 'TagSpecification'];
const Filter = struct({ Name: S, Values: [list(S), 'Value'] });
const Filters: MemberSpec = [list(Filter), 'Filter'];
const DryRun: MemberSpec = [B, 'dryRun'];

// EC2 prints userId, groupId, vpcId, vpcPeeringConnectionId, peeringStatus (API reference
// DescribeSecurityGroups examples 1 and 4); where groupName and description go it does not show:
// after the ids, as description follows cidrIp in an ip range.
const UserIdGroupPair = struct({
  UserId: [S, 'userId'],
  GroupId: [S, 'groupId'],
  GroupName: [S, 'groupName'],
  VpcId: [S, 'vpcId'],
  VpcPeeringConnectionId: [S, 'vpcPeeringConnectionId'],
  PeeringStatus: [S, 'peeringStatus'],
  Description: [S, 'description'],
});
const IpPermission = struct({
  IpProtocol: [S, 'ipProtocol'],
  FromPort: [I, 'fromPort'],
  ToPort: [I, 'toPort'],
  // the EC2 protocol calls group pairs `Groups` (locationName `groups`), not UserIdGroupPairs
  UserIdGroupPairs: [list(UserIdGroupPair), 'groups'],
  // <cidrIp> then <description> (API reference DescribeSecurityGroups example 4)
  IpRanges: [list(struct({ CidrIp: [S, 'cidrIp'], Description: [S, 'description'] })), 'ipRanges'],
  Ipv6Ranges: [list(struct({ CidrIpv6: [S, 'cidrIpv6'], Description: [S, 'description'] })), 'ipv6Ranges'],
  PrefixListIds: [list(struct({ PrefixListId: [S, 'prefixListId'], Description: [S, 'description'] })), 'prefixListIds'],
});

const SecurityGroupRule = struct({
  SecurityGroupRuleId: [S, 'securityGroupRuleId'],
  GroupId: [S, 'groupId'],
  GroupOwnerId: [S, 'groupOwnerId'],
  IsEgress: [B, 'isEgress'],
  IpProtocol: [S, 'ipProtocol'],
  FromPort: [I, 'fromPort'],
  ToPort: [I, 'toPort'],
  CidrIpv4: [S, 'cidrIpv4'],
  CidrIpv6: [S, 'cidrIpv6'],
  PrefixListId: [S, 'prefixListId'],
  ReferencedGroupInfo: [struct({
    GroupId: [S, 'groupId'], PeeringStatus: [S, 'peeringStatus'], UserId: [S, 'userId'], VpcId: [S, 'vpcId'],
    VpcPeeringConnectionId: [S, 'vpcPeeringConnectionId'],
  }), 'referencedGroupInfo'],
  Description: [S, 'description'],
  Tags: [list(Tag), 'tagSet'],
  SecurityGroupRuleArn: [S, 'securityGroupRuleArn'],
});

// ownerId, groupId, groupName, groupDescription, vpcId, ipPermissions, ipPermissionsEgress as in every
// example of the API reference; tagSet (absent there: untagged groups) after them
const SecurityGroup = struct({
  OwnerId: [S, 'ownerId'],
  GroupId: [S, 'groupId'],
  GroupName: [S, 'groupName'],
  Description: [S, 'groupDescription'],
  VpcId: [S, 'vpcId'],
  IpPermissions: [list(IpPermission), 'ipPermissions'],
  IpPermissionsEgress: [list(IpPermission), 'ipPermissionsEgress'],
  Tags: [list(Tag), 'tagSet'],
  SecurityGroupArn: [S, 'securityGroupArn'],
});

const StaleIpPermission = struct({
  FromPort: [I, 'fromPort'],
  IpProtocol: [S, 'ipProtocol'],
  IpRanges: [list(S), 'ipRanges'],
  PrefixListIds: [list(S), 'prefixListIds'],
  ToPort: [I, 'toPort'],
  UserIdGroupPairs: [list(UserIdGroupPair), 'groups'],
});

const StaleSecurityGroup = struct({
  Description: [S, 'description'],
  GroupId: [S, 'groupId'],
  GroupName: [S, 'groupName'],
  StaleIpPermissions: [list(StaleIpPermission), 'staleIpPermissions'],
  StaleIpPermissionsEgress: [list(StaleIpPermission), 'staleIpPermissionsEgress'],
  VpcId: [S, 'vpcId'],
});

const ManagedPrefixList = struct({
  PrefixListId: [S, 'prefixListId'],
  AddressFamily: [S, 'addressFamily'],
  State: [S, 'state'],
  StateMessage: [S, 'stateMessage'],
  PrefixListArn: [S, 'prefixListArn'],
  PrefixListName: [S, 'prefixListName'],
  MaxEntries: [I, 'maxEntries'],
  Version: [I, 'version'],
  Tags: [list(Tag), 'tagSet'],
  OwnerId: [S, 'ownerId'],
});

const ConnectionTracking = struct({ TcpEstablishedTimeout: I, UdpStreamTimeout: I, UdpTimeout: I });

const NetworkInterface = struct({
  AvailabilityZone: [S, 'availabilityZone'],
  ConnectionTrackingConfiguration: [struct({
    TcpEstablishedTimeout: [I, 'tcpEstablishedTimeout'], UdpStreamTimeout: [I, 'udpStreamTimeout'], UdpTimeout: [I, 'udpTimeout'],
  }), 'connectionTrackingConfiguration'],
  Description: [S, 'description'],
  Groups: [list(struct({ GroupId: [S, 'groupId'], GroupName: [S, 'groupName'] })), 'groupSet'],
  InterfaceType: [S, 'interfaceType'],
  Ipv6Addresses: [list(struct({ Ipv6Address: [S, 'ipv6Address'], IsPrimaryIpv6: [B, 'isPrimaryIpv6'] })), 'ipv6AddressesSet'],
  MacAddress: [S, 'macAddress'],
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  OwnerId: [S, 'ownerId'],
  PrivateIpAddress: [S, 'privateIpAddress'],
  PrivateIpAddresses: [list(struct({ Primary: [B, 'primary'], PrivateIpAddress: [S, 'privateIpAddress'] })), 'privateIpAddressesSet'],
  SourceDestCheck: [B, 'sourceDestCheck'],
  Status: [S, 'status'],
  SubnetId: [S, 'subnetId'],
  TagSet: [list(Tag), 'tagSet'],
  VpcId: [S, 'vpcId'],
});

const Vpc = struct({
  CidrBlock: [S, 'cidrBlock'],
  DhcpOptionsId: [S, 'dhcpOptionsId'],
  State: [S, 'state'],
  VpcId: [S, 'vpcId'],
  OwnerId: [S, 'ownerId'],
  InstanceTenancy: [S, 'instanceTenancy'],
  CidrBlockAssociationSet: [list(struct({
    AssociationId: [S, 'associationId'], CidrBlock: [S, 'cidrBlock'], CidrBlockState: [struct({ State: [S, 'state'] }), 'cidrBlockState'],
  })), 'cidrBlockAssociationSet'],
  IsDefault: [B, 'isDefault'],
  Tags: [list(Tag), 'tagSet'],
});

// ---- requests --------------------------------------------------------------------------------------

/** The legacy single-rule members and IpPermissions of Authorize/Revoke (GroupId required on egress). */
function permissionRequest(egress: boolean, revoke: boolean): StructShape {
  const members: Record<string, MemberSpec> = {
    GroupId: [S, egress ? 'groupId' : undefined],
    IpPermissions: [list(IpPermission), egress ? 'ipPermissions' : undefined],
    CidrIp: [S, egress ? 'cidrIp' : undefined],
    FromPort: [I, egress ? 'fromPort' : undefined],
    ToPort: [I, egress ? 'toPort' : undefined],
    IpProtocol: [S, egress ? 'ipProtocol' : undefined],
    SourceSecurityGroupName: [S, egress ? 'sourceSecurityGroupName' : undefined],
    SourceSecurityGroupOwnerId: [S, egress ? 'sourceSecurityGroupOwnerId' : undefined],
    DryRun,
  };
  if (!egress) members.GroupName = S;
  if (revoke) members.SecurityGroupRuleIds = [list(S), undefined, 'SecurityGroupRuleId'];
  else members.TagSpecifications = TagSpecifications;
  return struct(members, egress ? ['GroupId'] : []);
}

function ruleDescriptionsRequest(): StructShape {
  return struct({
    DryRun: B,
    GroupId: S,
    GroupName: S,
    IpPermissions: list(IpPermission),
    SecurityGroupRuleDescriptions: [list(struct({ SecurityGroupRuleId: S, Description: S })), undefined, 'SecurityGroupRuleDescription'],
  });
}

const PrefixListEntry = struct({ Cidr: S, Description: S }, ['Cidr']);

/**
 * sgfw's own RegisterNetworkInterface has no botocore model; its parameters follow EC2's
 * CreateNetworkInterface, whose members it mirrors (minus SubnetId):
 *   NetworkInterfaceId, VpcId, Description, PrivateIpAddress,
 *   PrivateIpAddresses.N.PrivateIpAddress / PrivateIpAddresses.N.Primary,
 *   Ipv6Addresses.N.Ipv6Address, SecurityGroupId.N (the Groups list),
 *   ConnectionTrackingSpecification.TcpEstablishedTimeout / .UdpStreamTimeout / .UdpTimeout,
 * and sgfw's HostId (the fleet agent that enforces the interface; also a
 * ModifyNetworkInterfaceAttribute attribute, `HostId.Value`, '' to unregister).
 * DeregisterNetworkInterface takes NetworkInterfaceId. Responses: `networkInterface` (the item shape
 * of DescribeNetworkInterfaces) and `return`.
 */
const RegisterNetworkInterfaceRequest = struct({
  NetworkInterfaceId: S,
  VpcId: S,
  Description: [S, 'description'],
  PrivateIpAddress: [S, 'privateIpAddress'],
  PrivateIpAddresses: [list(struct({ Primary: [B, 'primary'], PrivateIpAddress: [S, 'privateIpAddress'] })), 'privateIpAddresses'],
  Ipv6Addresses: [list(struct({ Ipv6Address: [S, 'ipv6Address'] })), 'ipv6Addresses'],
  Groups: [list(S), 'SecurityGroupId'],
  ConnectionTrackingSpecification: ConnectionTracking,
  HostId: S,
  DryRun,
});

// ec2-hosts: hand-written until the generated shapes land
// Issue 17's subnets, interfaces made in them and IPv6 VPCs, from botocore's model (service-2.json,
// ec2 2016-11-15): the members sgfw reads or prints.
const SubnetShape = struct({
  AvailabilityZone: [S, 'availabilityZone'],
  AvailableIpAddressCount: [I, 'availableIpAddressCount'],
  CidrBlock: [S, 'cidrBlock'],
  DefaultForAz: [B, 'defaultForAz'],
  MapPublicIpOnLaunch: [B, 'mapPublicIpOnLaunch'],
  State: [S, 'state'],
  SubnetId: [S, 'subnetId'],
  VpcId: [S, 'vpcId'],
  OwnerId: [S, 'ownerId'],
  AssignIpv6AddressOnCreation: [B, 'assignIpv6AddressOnCreation'],
  Ipv6CidrBlockAssociationSet: [list(struct({
    AssociationId: [S, 'associationId'], Ipv6CidrBlock: [S, 'ipv6CidrBlock'], Ipv6CidrBlockState: [struct({ State: [S, 'state'] }), 'ipv6CidrBlockState'],
  })), 'ipv6CidrBlockAssociationSet'],
  Tags: [list(Tag), 'tagSet'],
  SubnetArn: [S, 'subnetArn'],
});
const VpcCidrAssociation = struct({
  AssociationId: [S, 'associationId'], CidrBlock: [S, 'cidrBlock'], CidrBlockState: [struct({ State: [S, 'state'] }), 'cidrBlockState'],
});
const VpcIpv6CidrAssociation = struct({
  AssociationId: [S, 'associationId'],
  Ipv6CidrBlock: [S, 'ipv6CidrBlock'],
  Ipv6CidrBlockState: [struct({ State: [S, 'state'] }), 'ipv6CidrBlockState'],
  NetworkBorderGroup: [S, 'networkBorderGroup'],
  Ipv6Pool: [S, 'ipv6Pool'],
});
const VpcWithIpv6: StructShape = {
  kind: 'structure',
  members: { ...Vpc.members, Ipv6CidrBlockAssociationSet: { shape: list(VpcIpv6CidrAssociation), loc: 'ipv6CidrBlockAssociationSet' } },
  required: [],
};
const NetworkInterfaceWithRequester: StructShape = {
  kind: 'structure',
  members: { ...NetworkInterface.members, RequesterManaged: { shape: B, loc: 'requesterManaged' } },
  required: [],
};
const VpcCidrBlockAnswer = struct({
  Ipv6CidrBlockAssociation: [VpcIpv6CidrAssociation, 'ipv6CidrBlockAssociation'],
  CidrBlockAssociation: [VpcCidrAssociation, 'cidrBlockAssociation'],
  VpcId: [S, 'vpcId'],
});
/** Answers of existing actions that gain IPv6 blocks (VPCs) and RequesterManaged (interfaces). */
const HOSTS_RESPONSE_OVERRIDES: Readonly<Record<string, StructShape>> = {
  CreateVpc: struct({ Vpc: [VpcWithIpv6, 'vpc'] }),
  DescribeVpcs: struct({ Vpcs: [list(VpcWithIpv6), 'vpcSet'], NextToken: [S, 'nextToken'] }),
  DescribeNetworkInterfaces: struct({ NetworkInterfaces: [list(NetworkInterfaceWithRequester), 'networkInterfaceSet'], NextToken: [S, 'nextToken'] }),
  RegisterNetworkInterface: struct({ NetworkInterface: [NetworkInterfaceWithRequester, 'networkInterface'] }),
};
// ec2-hosts: end

export const REQUEST_SHAPES: Readonly<Record<string, StructShape>> = {
  CreateSecurityGroup: struct({
    Description: [S, 'GroupDescription', 'GroupDescription'],
    GroupName: S,
    VpcId: S,
    TagSpecifications,
    DryRun,
  }, ['Description', 'GroupName']),
  DeleteSecurityGroup: struct({ GroupId: S, GroupName: S, DryRun }),
  AuthorizeSecurityGroupIngress: permissionRequest(false, false),
  AuthorizeSecurityGroupEgress: permissionRequest(true, false),
  RevokeSecurityGroupIngress: permissionRequest(false, true),
  RevokeSecurityGroupEgress: permissionRequest(true, true),
  DescribeSecurityGroups: struct({
    GroupIds: [list(S), undefined, 'GroupId'],
    GroupNames: [list(S), undefined, 'GroupName'],
    NextToken: S,
    MaxResults: I,
    DryRun,
    Filters,
  }),
  DescribeSecurityGroupRules: struct({
    Filters,
    SecurityGroupRuleIds: [list(S), undefined, 'SecurityGroupRuleId'],
    DryRun: B,
    NextToken: S,
    MaxResults: I,
  }),
  UpdateSecurityGroupRuleDescriptionsIngress: ruleDescriptionsRequest(),
  UpdateSecurityGroupRuleDescriptionsEgress: ruleDescriptionsRequest(),
  ModifySecurityGroupRules: struct({
    GroupId: S,
    SecurityGroupRules: [list(struct({
      SecurityGroupRuleId: S,
      SecurityGroupRule: struct({
        IpProtocol: S, FromPort: I, ToPort: I, CidrIpv4: S, CidrIpv6: S, PrefixListId: S, ReferencedGroupId: S, Description: S,
      }),
    }, ['SecurityGroupRuleId'])), undefined, 'SecurityGroupRule'],
    DryRun: B,
  }, ['GroupId', 'SecurityGroupRules']),
  ModifyNetworkInterfaceAttribute: struct({
    ConnectionTrackingSpecification: ConnectionTracking,
    DryRun,
    NetworkInterfaceId: [S, 'networkInterfaceId'],
    Description: [struct({ Value: [S, 'value'] }), 'description'],
    SourceDestCheck: [struct({ Value: [B, 'value'] }), 'sourceDestCheck'],
    Groups: [list(S), 'SecurityGroupId'],
    HostId: [struct({ Value: [S, 'value'] }), 'hostId'],
  }, ['NetworkInterfaceId']),
  CreateManagedPrefixList: struct({
    DryRun: B,
    PrefixListName: S,
    Entries: [list(PrefixListEntry), undefined, 'Entry'],
    MaxEntries: I,
    TagSpecifications,
    AddressFamily: S,
    ClientToken: S,
  }, ['PrefixListName', 'MaxEntries', 'AddressFamily']),
  ModifyManagedPrefixList: struct({
    DryRun: B,
    PrefixListId: S,
    CurrentVersion: I,
    PrefixListName: S,
    AddEntries: [list(PrefixListEntry), undefined, 'AddEntry'],
    RemoveEntries: [list(struct({ Cidr: S }, ['Cidr'])), undefined, 'RemoveEntry'],
    MaxEntries: I,
  }, ['PrefixListId']),
  GetManagedPrefixListEntries: struct({ DryRun: B, PrefixListId: S, TargetVersion: I, MaxResults: I, NextToken: S }, ['PrefixListId']),
  DescribeManagedPrefixLists: struct({
    DryRun: B, Filters: [list(Filter), undefined, 'Filter'], MaxResults: I, NextToken: S,
    PrefixListIds: [list(S), undefined, 'PrefixListId'],
  }),
  DeleteManagedPrefixList: struct({ DryRun: B, PrefixListId: S }, ['PrefixListId']),
  DescribeNetworkInterfaces: struct({
    NextToken: S, MaxResults: I, DryRun,
    NetworkInterfaceIds: [list(S), undefined, 'NetworkInterfaceId'],
    Filters: [list(Filter), 'filter'],
  }),
  RegisterNetworkInterface: RegisterNetworkInterfaceRequest,
  DeregisterNetworkInterface: struct({ NetworkInterfaceId: S, DryRun }, ['NetworkInterfaceId']),
  CreateTags: struct({ DryRun, Resources: [list(S), 'ResourceId'], Tags: [list(Tag), 'Tag'] }, ['Resources', 'Tags']),
  DeleteTags: struct({ DryRun, Resources: [list(S), 'resourceId'], Tags: [list(Tag), 'tag'] }, ['Resources']),
  DescribeTags: struct({ DryRun, Filters, MaxResults: [I, 'maxResults'], NextToken: [S, 'nextToken'] }),
  CreateVpc: struct({
    CidrBlock: S,
    AmazonProvidedIpv6CidrBlock: [B, 'amazonProvidedIpv6CidrBlock'],
    DryRun,
    InstanceTenancy: [S, 'instanceTenancy'],
    TagSpecifications,
  }),
  DeleteVpc: struct({ VpcId: S, DryRun }, ['VpcId']),
  DescribeVpcs: struct({ Filters, VpcIds: [list(S), 'VpcId'], DryRun, NextToken: S, MaxResults: I }),
  DescribePrefixLists: struct({ DryRun: B, Filters, MaxResults: I, NextToken: S, PrefixListIds: [list(S), 'PrefixListId'] }),
  DescribeStaleSecurityGroups: struct({ DryRun: B, MaxResults: I, NextToken: S, VpcId: S }, ['VpcId']),
  // ec2-hosts: hand-written until the generated shapes land
  CreateSubnet: struct({
    TagSpecifications, AvailabilityZone: S, AvailabilityZoneId: S, CidrBlock: S, Ipv6CidrBlock: S, VpcId: S, DryRun,
  }, ['VpcId']),
  DeleteSubnet: struct({ SubnetId: S, DryRun }, ['SubnetId']),
  DescribeSubnets: struct({ Filters, SubnetIds: [list(S), 'SubnetId'], NextToken: S, MaxResults: I, DryRun }),
  CreateNetworkInterface: struct({
    TagSpecifications,
    ClientToken: S,
    ConnectionTrackingSpecification: ConnectionTracking,
    SubnetId: [S, 'subnetId'],
    Description: [S, 'description'],
    PrivateIpAddress: [S, 'privateIpAddress'],
    Groups: [list(S), 'SecurityGroupId'],
    PrivateIpAddresses: [list(struct({ Primary: [B, 'primary'], PrivateIpAddress: [S, 'privateIpAddress'] })), 'privateIpAddresses'],
    SecondaryPrivateIpAddressCount: [I, 'secondaryPrivateIpAddressCount'],
    Ipv6Addresses: [list(struct({ Ipv6Address: [S, 'ipv6Address'] })), 'ipv6Addresses'],
    Ipv6AddressCount: [I, 'ipv6AddressCount'],
    DryRun,
  }, ['SubnetId']),
  DeleteNetworkInterface: struct({ DryRun, NetworkInterfaceId: [S, 'networkInterfaceId'] }, ['NetworkInterfaceId']),
  AssignPrivateIpAddresses: struct({
    NetworkInterfaceId: [S, 'networkInterfaceId'],
    PrivateIpAddresses: [list(S), 'privateIpAddress'],
    SecondaryPrivateIpAddressCount: [I, 'secondaryPrivateIpAddressCount'],
    AllowReassignment: [B, 'allowReassignment'],
  }, ['NetworkInterfaceId']),
  UnassignPrivateIpAddresses: struct({ NetworkInterfaceId: [S, 'networkInterfaceId'], PrivateIpAddresses: [list(S), 'privateIpAddress'] }, ['NetworkInterfaceId']),
  AssignIpv6Addresses: struct({
    NetworkInterfaceId: [S, 'networkInterfaceId'], Ipv6Addresses: [list(S), 'ipv6Addresses'], Ipv6AddressCount: [I, 'ipv6AddressCount'],
  }, ['NetworkInterfaceId']),
  UnassignIpv6Addresses: struct({ NetworkInterfaceId: [S, 'networkInterfaceId'], Ipv6Addresses: [list(S), 'ipv6Addresses'] }, ['NetworkInterfaceId']),
  AssociateVpcCidrBlock: struct({
    CidrBlock: S, VpcId: [S, 'vpcId'], AmazonProvidedIpv6CidrBlock: [B, 'amazonProvidedIpv6CidrBlock'],
  }, ['VpcId']),
  DisassociateVpcCidrBlock: struct({ AssociationId: [S, 'associationId'] }, ['AssociationId']),
  // ec2-hosts: end
};

// ---- responses -------------------------------------------------------------------------------------

const ReturnOnly = struct({ Return: [B, 'return'] });

export const RESPONSE_SHAPES: Readonly<Record<string, StructShape>> = {
  CreateSecurityGroup: struct({ GroupId: [S, 'groupId'], Tags: [list(Tag), 'tagSet'], SecurityGroupArn: [S, 'securityGroupArn'] }),
  DeleteSecurityGroup: struct({ Return: [B, 'return'], GroupId: [S, 'groupId'] }),
  AuthorizeSecurityGroupIngress: struct({ Return: [B, 'return'], SecurityGroupRules: [list(SecurityGroupRule), 'securityGroupRuleSet'] }),
  AuthorizeSecurityGroupEgress: struct({ Return: [B, 'return'], SecurityGroupRules: [list(SecurityGroupRule), 'securityGroupRuleSet'] }),
  RevokeSecurityGroupIngress: struct({ Return: [B, 'return'], UnknownIpPermissions: [list(IpPermission), 'unknownIpPermissionSet'] }),
  RevokeSecurityGroupEgress: struct({ Return: [B, 'return'], UnknownIpPermissions: [list(IpPermission), 'unknownIpPermissionSet'] }),
  DescribeSecurityGroups: struct({ NextToken: [S, 'nextToken'], SecurityGroups: [list(SecurityGroup), 'securityGroupInfo'] }),
  DescribeSecurityGroupRules: struct({ SecurityGroupRules: [list(SecurityGroupRule), 'securityGroupRuleSet'], NextToken: [S, 'nextToken'] }),
  UpdateSecurityGroupRuleDescriptionsIngress: ReturnOnly,
  UpdateSecurityGroupRuleDescriptionsEgress: ReturnOnly,
  ModifySecurityGroupRules: ReturnOnly,
  // EC2 answers `<return>true</return>` although botocore models no output for this action
  ModifyNetworkInterfaceAttribute: ReturnOnly,
  CreateManagedPrefixList: struct({ PrefixList: [ManagedPrefixList, 'prefixList'] }),
  ModifyManagedPrefixList: struct({ PrefixList: [ManagedPrefixList, 'prefixList'] }),
  DeleteManagedPrefixList: struct({ PrefixList: [ManagedPrefixList, 'prefixList'] }),
  GetManagedPrefixListEntries: struct({
    Entries: [list(struct({ Cidr: [S, 'cidr'], Description: [S, 'description'] })), 'entrySet'], NextToken: [S, 'nextToken'],
  }),
  DescribeManagedPrefixLists: struct({ NextToken: [S, 'nextToken'], PrefixLists: [list(ManagedPrefixList), 'prefixListSet'] }),
  DescribeNetworkInterfaces: struct({ NetworkInterfaces: [list(NetworkInterface), 'networkInterfaceSet'], NextToken: [S, 'nextToken'] }),
  RegisterNetworkInterface: struct({ NetworkInterface: [NetworkInterface, 'networkInterface'] }),
  DeregisterNetworkInterface: ReturnOnly,
  // botocore models no output for CreateTags / DeleteTags / DeleteVpc; EC2 answers `<return>true</return>`
  CreateTags: ReturnOnly,
  DeleteTags: ReturnOnly,
  DeleteVpc: ReturnOnly,
  DescribeTags: struct({
    NextToken: [S, 'nextToken'],
    Tags: [list(struct({ Key: [S, 'key'], ResourceId: [S, 'resourceId'], ResourceType: [S, 'resourceType'], Value: [S, 'value'] })), 'tagSet'],
  }),
  CreateVpc: struct({ Vpc: [Vpc, 'vpc'] }),
  DescribeVpcs: struct({ Vpcs: [list(Vpc), 'vpcSet'], NextToken: [S, 'nextToken'] }),
  DescribePrefixLists: struct({
    NextToken: [S, 'nextToken'],
    PrefixLists: [list(struct({ Cidrs: [list(S), 'cidrSet'], PrefixListId: [S, 'prefixListId'], PrefixListName: [S, 'prefixListName'] })), 'prefixListSet'],
  }),
  DescribeStaleSecurityGroups: struct({ NextToken: [S, 'nextToken'], StaleSecurityGroupSet: [list(StaleSecurityGroup), 'staleSecurityGroupSet'] }),
  // ec2-hosts: hand-written until the generated shapes land (the spread replaces four entries above)
  CreateSubnet: struct({ Subnet: [SubnetShape, 'subnet'] }),
  // botocore models no output for DeleteSubnet / DeleteNetworkInterface / UnassignPrivateIpAddresses; EC2 answers `<return>true</return>`
  DeleteSubnet: ReturnOnly,
  DescribeSubnets: struct({ NextToken: [S, 'nextToken'], Subnets: [list(SubnetShape), 'subnetSet'] }),
  CreateNetworkInterface: struct({ NetworkInterface: [NetworkInterfaceWithRequester, 'networkInterface'], ClientToken: [S, 'clientToken'] }),
  DeleteNetworkInterface: ReturnOnly,
  AssignPrivateIpAddresses: struct({
    NetworkInterfaceId: [S, 'networkInterfaceId'],
    AssignedPrivateIpAddresses: [list(struct({ PrivateIpAddress: [S, 'privateIpAddress'] })), 'assignedPrivateIpAddressesSet'],
  }),
  UnassignPrivateIpAddresses: ReturnOnly,
  AssignIpv6Addresses: struct({ AssignedIpv6Addresses: [list(S), 'assignedIpv6Addresses'], NetworkInterfaceId: [S, 'networkInterfaceId'] }),
  UnassignIpv6Addresses: struct({ NetworkInterfaceId: [S, 'networkInterfaceId'], UnassignedIpv6Addresses: [list(S), 'unassignedIpv6Addresses'] }),
  AssociateVpcCidrBlock: VpcCidrBlockAnswer,
  DisassociateVpcCidrBlock: VpcCidrBlockAnswer,
  ...HOSTS_RESPONSE_OVERRIDES,
  // ec2-hosts: end
};
