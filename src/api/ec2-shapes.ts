// GENERATED from botocore 1.43.11's EC2 model (2016-11-15) by scripts/gen-ec2-shapes.ts:
// do not edit. `npm run gen:ec2-shapes` rewrites it from scripts/ec2-model-subset.json (the part of
// the model the served actions reach); `npm run gen:ec2-shapes -- --extract` first refreshes that
// extract from python3's pip botocore. A test checks both are what the generator writes.
//
// The request and response shapes of the EC2 actions sgfw serves, every member the model has:
// members, `locationName`, `queryName`, types and required members (api/shape-kinds.ts says how
// they name parameters and elements). Members keep botocore's order, except where EC2 prints
// another (scripts/ec2-shapes-gen.ts PRINTED_ORDER): the XML renderer prints in table order.
// sgfw's own actions are in api/served-shapes.ts, which merges both.
import { list, struct, type StructShape } from './shape-kinds.js';

const S = 'string';
const I = 'integer';
const B = 'boolean';
const T = 'timestamp';

const Tag = struct({
  Key: [S, 'key'],
  Value: [S, 'value'],
});
const TagSpecification = struct({
  ResourceType: [S, 'resourceType'],
  Tags: [list(Tag), 'Tag'],
});
const CreateSecurityGroupRequest = struct({
  Description: [S, 'GroupDescription'],
  GroupName: S,
  VpcId: S,
  TagSpecifications: [list(TagSpecification), 'TagSpecification'],
  DryRun: [B, 'dryRun'],
}, ['Description', 'GroupName']);
const CreateSecurityGroupResult = struct({
  GroupId: [S, 'groupId'],
  Tags: [list(Tag), 'tagSet'],
  SecurityGroupArn: [S, 'securityGroupArn'],
});
const DeleteSecurityGroupRequest = struct({
  GroupId: S,
  GroupName: S,
  DryRun: [B, 'dryRun'],
});
const DeleteSecurityGroupResult = struct({
  Return: [B, 'return'],
  GroupId: [S, 'groupId'],
});
const UserIdGroupPair = struct({
  UserId: [S, 'userId'],
  GroupId: [S, 'groupId'],
  GroupName: [S, 'groupName'],
  VpcId: [S, 'vpcId'],
  VpcPeeringConnectionId: [S, 'vpcPeeringConnectionId'],
  PeeringStatus: [S, 'peeringStatus'],
  Description: [S, 'description'],
});
const IpRange = struct({
  CidrIp: [S, 'cidrIp'],
  Description: [S, 'description'],
});
const Ipv6Range = struct({
  CidrIpv6: [S, 'cidrIpv6'],
  Description: [S, 'description'],
});
const PrefixListId = struct({
  PrefixListId: [S, 'prefixListId'],
  Description: [S, 'description'],
});
const IpPermission = struct({
  IpProtocol: [S, 'ipProtocol'],
  FromPort: [I, 'fromPort'],
  ToPort: [I, 'toPort'],
  UserIdGroupPairs: [list(UserIdGroupPair), 'groups'],
  IpRanges: [list(IpRange), 'ipRanges'],
  Ipv6Ranges: [list(Ipv6Range), 'ipv6Ranges'],
  PrefixListIds: [list(PrefixListId), 'prefixListIds'],
});
const AuthorizeSecurityGroupIngressRequest = struct({
  CidrIp: S,
  FromPort: I,
  GroupId: S,
  GroupName: S,
  IpPermissions: list(IpPermission),
  IpProtocol: S,
  SourceSecurityGroupName: S,
  SourceSecurityGroupOwnerId: S,
  ToPort: I,
  TagSpecifications: [list(TagSpecification), 'TagSpecification'],
  DryRun: [B, 'dryRun'],
});
const ReferencedSecurityGroup = struct({
  GroupId: [S, 'groupId'],
  PeeringStatus: [S, 'peeringStatus'],
  UserId: [S, 'userId'],
  VpcId: [S, 'vpcId'],
  VpcPeeringConnectionId: [S, 'vpcPeeringConnectionId'],
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
  ReferencedGroupInfo: [ReferencedSecurityGroup, 'referencedGroupInfo'],
  Description: [S, 'description'],
  Tags: [list(Tag), 'tagSet'],
  SecurityGroupRuleArn: [S, 'securityGroupRuleArn'],
});
const AuthorizeSecurityGroupIngressResult = struct({
  Return: [B, 'return'],
  SecurityGroupRules: [list(SecurityGroupRule), 'securityGroupRuleSet'],
});
const AuthorizeSecurityGroupEgressRequest = struct({
  TagSpecifications: [list(TagSpecification), 'TagSpecification'],
  DryRun: [B, 'dryRun'],
  GroupId: [S, 'groupId'],
  SourceSecurityGroupName: [S, 'sourceSecurityGroupName'],
  SourceSecurityGroupOwnerId: [S, 'sourceSecurityGroupOwnerId'],
  IpProtocol: [S, 'ipProtocol'],
  FromPort: [I, 'fromPort'],
  ToPort: [I, 'toPort'],
  CidrIp: [S, 'cidrIp'],
  IpPermissions: [list(IpPermission), 'ipPermissions'],
}, ['GroupId']);
const AuthorizeSecurityGroupEgressResult = struct({
  Return: [B, 'return'],
  SecurityGroupRules: [list(SecurityGroupRule), 'securityGroupRuleSet'],
});
const RevokeSecurityGroupIngressRequest = struct({
  CidrIp: S,
  FromPort: I,
  GroupId: S,
  GroupName: S,
  IpPermissions: list(IpPermission),
  IpProtocol: S,
  SourceSecurityGroupName: S,
  SourceSecurityGroupOwnerId: S,
  ToPort: I,
  SecurityGroupRuleIds: [list(S), 'SecurityGroupRuleId'],
  DryRun: [B, 'dryRun'],
});
const RevokedSecurityGroupRule = struct({
  SecurityGroupRuleId: [S, 'securityGroupRuleId'],
  GroupId: [S, 'groupId'],
  IsEgress: [B, 'isEgress'],
  IpProtocol: [S, 'ipProtocol'],
  FromPort: [I, 'fromPort'],
  ToPort: [I, 'toPort'],
  CidrIpv4: [S, 'cidrIpv4'],
  CidrIpv6: [S, 'cidrIpv6'],
  PrefixListId: [S, 'prefixListId'],
  ReferencedGroupId: [S, 'referencedGroupId'],
  Description: [S, 'description'],
});
const RevokeSecurityGroupIngressResult = struct({
  Return: [B, 'return'],
  UnknownIpPermissions: [list(IpPermission), 'unknownIpPermissionSet'],
  RevokedSecurityGroupRules: [list(RevokedSecurityGroupRule), 'revokedSecurityGroupRuleSet'],
});
const RevokeSecurityGroupEgressRequest = struct({
  SecurityGroupRuleIds: [list(S), 'SecurityGroupRuleId'],
  DryRun: [B, 'dryRun'],
  GroupId: [S, 'groupId'],
  SourceSecurityGroupName: [S, 'sourceSecurityGroupName'],
  SourceSecurityGroupOwnerId: [S, 'sourceSecurityGroupOwnerId'],
  IpProtocol: [S, 'ipProtocol'],
  FromPort: [I, 'fromPort'],
  ToPort: [I, 'toPort'],
  CidrIp: [S, 'cidrIp'],
  IpPermissions: [list(IpPermission), 'ipPermissions'],
}, ['GroupId']);
const RevokeSecurityGroupEgressResult = struct({
  Return: [B, 'return'],
  UnknownIpPermissions: [list(IpPermission), 'unknownIpPermissionSet'],
  RevokedSecurityGroupRules: [list(RevokedSecurityGroupRule), 'revokedSecurityGroupRuleSet'],
});
const Filter = struct({
  Name: S,
  Values: [list(S), 'Value'],
});
const DescribeSecurityGroupsRequest = struct({
  GroupIds: [list(S), 'GroupId'],
  GroupNames: [list(S), 'GroupName'],
  NextToken: S,
  MaxResults: I,
  DryRun: [B, 'dryRun'],
  Filters: [list(Filter), 'Filter'],
});
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
const DescribeSecurityGroupsResult = struct({
  NextToken: [S, 'nextToken'],
  SecurityGroups: [list(SecurityGroup), 'securityGroupInfo'],
});
const DescribeSecurityGroupRulesRequest = struct({
  Filters: [list(Filter), 'Filter'],
  SecurityGroupRuleIds: [list(S), 'SecurityGroupRuleId'],
  DryRun: B,
  NextToken: S,
  MaxResults: I,
});
const DescribeSecurityGroupRulesResult = struct({
  SecurityGroupRules: [list(SecurityGroupRule), 'securityGroupRuleSet'],
  NextToken: [S, 'nextToken'],
});
const SecurityGroupRuleDescription = struct({
  SecurityGroupRuleId: S,
  Description: S,
});
const UpdateSecurityGroupRuleDescriptionsIngressRequest = struct({
  DryRun: B,
  GroupId: S,
  GroupName: S,
  IpPermissions: list(IpPermission),
  SecurityGroupRuleDescriptions: [list(SecurityGroupRuleDescription), 'SecurityGroupRuleDescription'],
});
const UpdateSecurityGroupRuleDescriptionsIngressResult = struct({
  Return: [B, 'return'],
});
const UpdateSecurityGroupRuleDescriptionsEgressRequest = struct({
  DryRun: B,
  GroupId: S,
  GroupName: S,
  IpPermissions: list(IpPermission),
  SecurityGroupRuleDescriptions: [list(SecurityGroupRuleDescription), 'SecurityGroupRuleDescription'],
});
const UpdateSecurityGroupRuleDescriptionsEgressResult = struct({
  Return: [B, 'return'],
});
const SecurityGroupRuleRequest = struct({
  IpProtocol: S,
  FromPort: I,
  ToPort: I,
  CidrIpv4: S,
  CidrIpv6: S,
  PrefixListId: S,
  ReferencedGroupId: S,
  Description: S,
});
const SecurityGroupRuleUpdate = struct({
  SecurityGroupRuleId: S,
  SecurityGroupRule: SecurityGroupRuleRequest,
}, ['SecurityGroupRuleId']);
const ModifySecurityGroupRulesRequest = struct({
  GroupId: S,
  SecurityGroupRules: [list(SecurityGroupRuleUpdate), 'SecurityGroupRule'],
  DryRun: B,
}, ['GroupId', 'SecurityGroupRules']);
const ModifySecurityGroupRulesResult = struct({
  Return: [B, 'return'],
});
const EnaSrdUdpSpecification = struct({
  EnaSrdUdpEnabled: B,
});
const EnaSrdSpecification = struct({
  EnaSrdEnabled: B,
  EnaSrdUdpSpecification: EnaSrdUdpSpecification,
});
const ConnectionTrackingSpecificationRequest = struct({
  TcpEstablishedTimeout: I,
  UdpStreamTimeout: I,
  UdpTimeout: I,
});
const AttributeValue = struct({
  Value: [S, 'value'],
});
const AttributeBooleanValue = struct({
  Value: [B, 'value'],
});
const NetworkInterfaceAttachmentChanges = struct({
  DefaultEnaQueueCount: B,
  EnaQueueCount: I,
  AttachmentId: [S, 'attachmentId'],
  DeleteOnTermination: [B, 'deleteOnTermination'],
});
const ModifyNetworkInterfaceAttributeRequest = struct({
  EnaSrdSpecification: EnaSrdSpecification,
  EnablePrimaryIpv6: B,
  ConnectionTrackingSpecification: ConnectionTrackingSpecificationRequest,
  AssociatePublicIpAddress: B,
  AssociatedSubnetIds: [list(S), 'AssociatedSubnetId'],
  DryRun: [B, 'dryRun'],
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  Description: [AttributeValue, 'description'],
  SourceDestCheck: [AttributeBooleanValue, 'sourceDestCheck'],
  Groups: [list(S), 'SecurityGroupId'],
  Attachment: [NetworkInterfaceAttachmentChanges, 'attachment'],
}, ['NetworkInterfaceId']);
const AddPrefixListEntry = struct({
  Cidr: S,
  Description: S,
}, ['Cidr']);
const CreateManagedPrefixListRequest = struct({
  DryRun: B,
  PrefixListName: S,
  Entries: [list(AddPrefixListEntry), 'Entry'],
  MaxEntries: I,
  TagSpecifications: [list(TagSpecification), 'TagSpecification'],
  AddressFamily: S,
  ClientToken: S,
}, ['PrefixListName', 'MaxEntries', 'AddressFamily']);
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
  IpamPrefixListResolverTargetId: [S, 'ipamPrefixListResolverTargetId'],
  IpamPrefixListResolverSyncEnabled: [B, 'ipamPrefixListResolverSyncEnabled'],
});
const CreateManagedPrefixListResult = struct({
  PrefixList: [ManagedPrefixList, 'prefixList'],
});
const RemovePrefixListEntry = struct({
  Cidr: S,
}, ['Cidr']);
const ModifyManagedPrefixListRequest = struct({
  DryRun: B,
  PrefixListId: S,
  CurrentVersion: I,
  PrefixListName: S,
  AddEntries: [list(AddPrefixListEntry), 'AddEntry'],
  RemoveEntries: [list(RemovePrefixListEntry), 'RemoveEntry'],
  MaxEntries: I,
  IpamPrefixListResolverSyncEnabled: B,
}, ['PrefixListId']);
const ModifyManagedPrefixListResult = struct({
  PrefixList: [ManagedPrefixList, 'prefixList'],
});
const GetManagedPrefixListEntriesRequest = struct({
  DryRun: B,
  PrefixListId: S,
  TargetVersion: I,
  MaxResults: I,
  NextToken: S,
}, ['PrefixListId']);
const PrefixListEntry = struct({
  Cidr: [S, 'cidr'],
  Description: [S, 'description'],
});
const GetManagedPrefixListEntriesResult = struct({
  Entries: [list(PrefixListEntry), 'entrySet'],
  NextToken: [S, 'nextToken'],
});
const DescribeManagedPrefixListsRequest = struct({
  DryRun: B,
  Filters: [list(Filter), 'Filter'],
  MaxResults: I,
  NextToken: S,
  PrefixListIds: [list(S), 'PrefixListId'],
});
const DescribeManagedPrefixListsResult = struct({
  NextToken: [S, 'nextToken'],
  PrefixLists: [list(ManagedPrefixList), 'prefixListSet'],
});
const DeleteManagedPrefixListRequest = struct({
  DryRun: B,
  PrefixListId: S,
}, ['PrefixListId']);
const DeleteManagedPrefixListResult = struct({
  PrefixList: [ManagedPrefixList, 'prefixList'],
});
const DescribeNetworkInterfacesRequest = struct({
  NextToken: S,
  MaxResults: I,
  IncludeManagedResources: B,
  DryRun: [B, 'dryRun'],
  NetworkInterfaceIds: [list(S), 'NetworkInterfaceId'],
  Filters: [list(Filter), 'filter'],
});
const NetworkInterfaceAssociation = struct({
  AllocationId: [S, 'allocationId'],
  AssociationId: [S, 'associationId'],
  IpOwnerId: [S, 'ipOwnerId'],
  PublicDnsName: [S, 'publicDnsName'],
  PublicIp: [S, 'publicIp'],
  CustomerOwnedIp: [S, 'customerOwnedIp'],
  CarrierIp: [S, 'carrierIp'],
});
const AttachmentEnaSrdUdpSpecification = struct({
  EnaSrdUdpEnabled: [B, 'enaSrdUdpEnabled'],
});
const AttachmentEnaSrdSpecification = struct({
  EnaSrdEnabled: [B, 'enaSrdEnabled'],
  EnaSrdUdpSpecification: [AttachmentEnaSrdUdpSpecification, 'enaSrdUdpSpecification'],
});
const NetworkInterfaceAttachment = struct({
  AttachTime: [T, 'attachTime'],
  AttachmentId: [S, 'attachmentId'],
  DeleteOnTermination: [B, 'deleteOnTermination'],
  DeviceIndex: [I, 'deviceIndex'],
  NetworkCardIndex: [I, 'networkCardIndex'],
  InstanceId: [S, 'instanceId'],
  InstanceOwnerId: [S, 'instanceOwnerId'],
  Status: [S, 'status'],
  EnaSrdSpecification: [AttachmentEnaSrdSpecification, 'enaSrdSpecification'],
  EnaQueueCount: [I, 'enaQueueCount'],
});
const ConnectionTrackingConfiguration = struct({
  TcpEstablishedTimeout: [I, 'tcpEstablishedTimeout'],
  UdpStreamTimeout: [I, 'udpStreamTimeout'],
  UdpTimeout: [I, 'udpTimeout'],
});
const GroupIdentifier = struct({
  GroupId: [S, 'groupId'],
  GroupName: [S, 'groupName'],
});
const NetworkInterfaceIpv6Address = struct({
  Ipv6Address: [S, 'ipv6Address'],
  PublicIpv6DnsName: [S, 'publicIpv6DnsName'],
  IsPrimaryIpv6: [B, 'isPrimaryIpv6'],
});
const PublicIpDnsNameOptions = struct({
  DnsHostnameType: [S, 'dnsHostnameType'],
  PublicIpv4DnsName: [S, 'publicIpv4DnsName'],
  PublicIpv6DnsName: [S, 'publicIpv6DnsName'],
  PublicDualStackDnsName: [S, 'publicDualStackDnsName'],
});
const NetworkInterfacePrivateIpAddress = struct({
  Association: [NetworkInterfaceAssociation, 'association'],
  Primary: [B, 'primary'],
  PrivateDnsName: [S, 'privateDnsName'],
  PrivateIpAddress: [S, 'privateIpAddress'],
});
const Ipv4PrefixSpecification = struct({
  Ipv4Prefix: [S, 'ipv4Prefix'],
});
const Ipv6PrefixSpecification = struct({
  Ipv6Prefix: [S, 'ipv6Prefix'],
});
const OperatorResponse = struct({
  Managed: [B, 'managed'],
  Principal: [S, 'principal'],
  HiddenByDefault: [B, 'hiddenByDefault'],
});
export const NetworkInterface = struct({
  Association: [NetworkInterfaceAssociation, 'association'],
  Attachment: [NetworkInterfaceAttachment, 'attachment'],
  AvailabilityZone: [S, 'availabilityZone'],
  ConnectionTrackingConfiguration: [ConnectionTrackingConfiguration, 'connectionTrackingConfiguration'],
  Description: [S, 'description'],
  Groups: [list(GroupIdentifier), 'groupSet'],
  InterfaceType: [S, 'interfaceType'],
  Ipv6Addresses: [list(NetworkInterfaceIpv6Address), 'ipv6AddressesSet'],
  MacAddress: [S, 'macAddress'],
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  OutpostArn: [S, 'outpostArn'],
  OwnerId: [S, 'ownerId'],
  PrivateDnsName: [S, 'privateDnsName'],
  PublicDnsName: [S, 'publicDnsName'],
  PublicIpDnsNameOptions: [PublicIpDnsNameOptions, 'publicIpDnsNameOptions'],
  PrivateIpAddress: [S, 'privateIpAddress'],
  PrivateIpAddresses: [list(NetworkInterfacePrivateIpAddress), 'privateIpAddressesSet'],
  Ipv4Prefixes: [list(Ipv4PrefixSpecification), 'ipv4PrefixSet'],
  Ipv6Prefixes: [list(Ipv6PrefixSpecification), 'ipv6PrefixSet'],
  RequesterId: [S, 'requesterId'],
  RequesterManaged: [B, 'requesterManaged'],
  SourceDestCheck: [B, 'sourceDestCheck'],
  Status: [S, 'status'],
  SubnetId: [S, 'subnetId'],
  TagSet: [list(Tag), 'tagSet'],
  VpcId: [S, 'vpcId'],
  DenyAllIgwTraffic: [B, 'denyAllIgwTraffic'],
  Ipv6Native: [B, 'ipv6Native'],
  Ipv6Address: [S, 'ipv6Address'],
  Operator: [OperatorResponse, 'operator'],
  AssociatedSubnets: [list(S), 'associatedSubnetSet'],
  AvailabilityZoneId: [S, 'availabilityZoneId'],
});
const DescribeNetworkInterfacesResult = struct({
  NetworkInterfaces: [list(NetworkInterface), 'networkInterfaceSet'],
  NextToken: [S, 'nextToken'],
});
const CreateTagsRequest = struct({
  DryRun: [B, 'dryRun'],
  Resources: [list(S), 'ResourceId'],
  Tags: [list(Tag), 'Tag'],
}, ['Resources', 'Tags']);
const DeleteTagsRequest = struct({
  DryRun: [B, 'dryRun'],
  Resources: [list(S), 'resourceId'],
  Tags: [list(Tag), 'tag'],
}, ['Resources']);
const DescribeTagsRequest = struct({
  DryRun: [B, 'dryRun'],
  Filters: [list(Filter), 'Filter'],
  MaxResults: [I, 'maxResults'],
  NextToken: [S, 'nextToken'],
});
const TagDescription = struct({
  Key: [S, 'key'],
  ResourceId: [S, 'resourceId'],
  ResourceType: [S, 'resourceType'],
  Value: [S, 'value'],
});
const DescribeTagsResult = struct({
  NextToken: [S, 'nextToken'],
  Tags: [list(TagDescription), 'tagSet'],
});
const VpcEncryptionControlConfiguration = struct({
  Mode: S,
  InternetGatewayExclusion: S,
  EgressOnlyInternetGatewayExclusion: S,
  NatGatewayExclusion: S,
  VirtualPrivateGatewayExclusion: S,
  VpcPeeringExclusion: S,
  LambdaExclusion: S,
  VpcLatticeExclusion: S,
  ElasticFileSystemExclusion: S,
}, ['Mode']);
const CreateVpcRequest = struct({
  CidrBlock: S,
  Ipv6Pool: S,
  Ipv6CidrBlock: S,
  Ipv4IpamPoolId: S,
  Ipv4NetmaskLength: I,
  Ipv6IpamPoolId: S,
  Ipv6NetmaskLength: I,
  Ipv6CidrBlockNetworkBorderGroup: S,
  VpcEncryptionControl: VpcEncryptionControlConfiguration,
  TagSpecifications: [list(TagSpecification), 'TagSpecification'],
  DryRun: [B, 'dryRun'],
  InstanceTenancy: [S, 'instanceTenancy'],
  AmazonProvidedIpv6CidrBlock: [B, 'amazonProvidedIpv6CidrBlock'],
});
const VpcCidrBlockState = struct({
  State: [S, 'state'],
  StatusMessage: [S, 'statusMessage'],
});
const VpcIpv6CidrBlockAssociation = struct({
  AssociationId: [S, 'associationId'],
  Ipv6CidrBlock: [S, 'ipv6CidrBlock'],
  Ipv6CidrBlockState: [VpcCidrBlockState, 'ipv6CidrBlockState'],
  NetworkBorderGroup: [S, 'networkBorderGroup'],
  Ipv6Pool: [S, 'ipv6Pool'],
  Ipv6AddressAttribute: [S, 'ipv6AddressAttribute'],
  IpSource: [S, 'ipSource'],
});
const VpcCidrBlockAssociation = struct({
  AssociationId: [S, 'associationId'],
  CidrBlock: [S, 'cidrBlock'],
  CidrBlockState: [VpcCidrBlockState, 'cidrBlockState'],
});
const VpcEncryptionControlExclusion = struct({
  State: [S, 'state'],
  StateMessage: [S, 'stateMessage'],
});
const VpcEncryptionControlExclusions = struct({
  InternetGateway: [VpcEncryptionControlExclusion, 'internetGateway'],
  EgressOnlyInternetGateway: [VpcEncryptionControlExclusion, 'egressOnlyInternetGateway'],
  NatGateway: [VpcEncryptionControlExclusion, 'natGateway'],
  VirtualPrivateGateway: [VpcEncryptionControlExclusion, 'virtualPrivateGateway'],
  VpcPeering: [VpcEncryptionControlExclusion, 'vpcPeering'],
  Lambda: [VpcEncryptionControlExclusion, 'lambda'],
  VpcLattice: [VpcEncryptionControlExclusion, 'vpcLattice'],
  ElasticFileSystem: [VpcEncryptionControlExclusion, 'elasticFileSystem'],
});
const VpcEncryptionControl = struct({
  VpcId: [S, 'vpcId'],
  VpcEncryptionControlId: [S, 'vpcEncryptionControlId'],
  Mode: [S, 'mode'],
  State: [S, 'state'],
  StateMessage: [S, 'stateMessage'],
  ResourceExclusions: [VpcEncryptionControlExclusions, 'resourceExclusions'],
  Tags: [list(Tag), 'tagSet'],
});
const BlockPublicAccessStates = struct({
  InternetGatewayBlockMode: [S, 'internetGatewayBlockMode'],
});
const Vpc = struct({
  OwnerId: [S, 'ownerId'],
  InstanceTenancy: [S, 'instanceTenancy'],
  Ipv6CidrBlockAssociationSet: [list(VpcIpv6CidrBlockAssociation), 'ipv6CidrBlockAssociationSet'],
  CidrBlockAssociationSet: [list(VpcCidrBlockAssociation), 'cidrBlockAssociationSet'],
  IsDefault: [B, 'isDefault'],
  EncryptionControl: [VpcEncryptionControl, 'encryptionControl'],
  Tags: [list(Tag), 'tagSet'],
  BlockPublicAccessStates: [BlockPublicAccessStates, 'blockPublicAccessStates'],
  VpcId: [S, 'vpcId'],
  State: [S, 'state'],
  CidrBlock: [S, 'cidrBlock'],
  DhcpOptionsId: [S, 'dhcpOptionsId'],
});
const CreateVpcResult = struct({
  Vpc: [Vpc, 'vpc'],
});
const DeleteVpcRequest = struct({
  VpcId: S,
  DryRun: [B, 'dryRun'],
}, ['VpcId']);
const DescribeVpcsRequest = struct({
  Filters: [list(Filter), 'Filter'],
  VpcIds: [list(S), 'VpcId'],
  NextToken: S,
  MaxResults: I,
  DryRun: [B, 'dryRun'],
});
const DescribeVpcsResult = struct({
  NextToken: [S, 'nextToken'],
  Vpcs: [list(Vpc), 'vpcSet'],
});
const AssociateVpcCidrBlockRequest = struct({
  CidrBlock: S,
  Ipv6CidrBlockNetworkBorderGroup: S,
  Ipv6Pool: S,
  Ipv6CidrBlock: S,
  Ipv4IpamPoolId: S,
  Ipv4NetmaskLength: I,
  Ipv6IpamPoolId: S,
  Ipv6NetmaskLength: I,
  VpcId: [S, 'vpcId'],
  AmazonProvidedIpv6CidrBlock: [B, 'amazonProvidedIpv6CidrBlock'],
}, ['VpcId']);
const AssociateVpcCidrBlockResult = struct({
  Ipv6CidrBlockAssociation: [VpcIpv6CidrBlockAssociation, 'ipv6CidrBlockAssociation'],
  CidrBlockAssociation: [VpcCidrBlockAssociation, 'cidrBlockAssociation'],
  VpcId: [S, 'vpcId'],
});
const DisassociateVpcCidrBlockRequest = struct({
  AssociationId: [S, 'associationId'],
}, ['AssociationId']);
const DisassociateVpcCidrBlockResult = struct({
  Ipv6CidrBlockAssociation: [VpcIpv6CidrBlockAssociation, 'ipv6CidrBlockAssociation'],
  CidrBlockAssociation: [VpcCidrBlockAssociation, 'cidrBlockAssociation'],
  VpcId: [S, 'vpcId'],
});
const DescribePrefixListsRequest = struct({
  DryRun: B,
  Filters: [list(Filter), 'Filter'],
  MaxResults: I,
  NextToken: S,
  PrefixListIds: [list(S), 'PrefixListId'],
});
const PrefixList = struct({
  Cidrs: [list(S), 'cidrSet'],
  PrefixListId: [S, 'prefixListId'],
  PrefixListName: [S, 'prefixListName'],
});
const DescribePrefixListsResult = struct({
  NextToken: [S, 'nextToken'],
  PrefixLists: [list(PrefixList), 'prefixListSet'],
});
const DescribeStaleSecurityGroupsRequest = struct({
  DryRun: B,
  MaxResults: I,
  NextToken: S,
  VpcId: S,
}, ['VpcId']);
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
const DescribeStaleSecurityGroupsResult = struct({
  NextToken: [S, 'nextToken'],
  StaleSecurityGroupSet: [list(StaleSecurityGroup), 'staleSecurityGroupSet'],
});
const CreateSubnetRequest = struct({
  TagSpecifications: [list(TagSpecification), 'TagSpecification'],
  AvailabilityZone: S,
  AvailabilityZoneId: S,
  CidrBlock: S,
  Ipv6CidrBlock: S,
  OutpostArn: S,
  VpcId: S,
  Ipv6Native: B,
  Ipv4IpamPoolId: S,
  Ipv4NetmaskLength: I,
  Ipv6IpamPoolId: S,
  Ipv6NetmaskLength: I,
  DryRun: [B, 'dryRun'],
}, ['VpcId']);
const SubnetCidrBlockState = struct({
  State: [S, 'state'],
  StatusMessage: [S, 'statusMessage'],
});
const SubnetIpv6CidrBlockAssociation = struct({
  AssociationId: [S, 'associationId'],
  Ipv6CidrBlock: [S, 'ipv6CidrBlock'],
  Ipv6CidrBlockState: [SubnetCidrBlockState, 'ipv6CidrBlockState'],
  Ipv6AddressAttribute: [S, 'ipv6AddressAttribute'],
  IpSource: [S, 'ipSource'],
});
const PrivateDnsNameOptionsOnLaunch = struct({
  HostnameType: [S, 'hostnameType'],
  EnableResourceNameDnsARecord: [B, 'enableResourceNameDnsARecord'],
  EnableResourceNameDnsAAAARecord: [B, 'enableResourceNameDnsAAAARecord'],
});
const Subnet = struct({
  AvailabilityZoneId: [S, 'availabilityZoneId'],
  EnableLniAtDeviceIndex: [I, 'enableLniAtDeviceIndex'],
  MapCustomerOwnedIpOnLaunch: [B, 'mapCustomerOwnedIpOnLaunch'],
  CustomerOwnedIpv4Pool: [S, 'customerOwnedIpv4Pool'],
  OwnerId: [S, 'ownerId'],
  AssignIpv6AddressOnCreation: [B, 'assignIpv6AddressOnCreation'],
  Ipv6CidrBlockAssociationSet: [list(SubnetIpv6CidrBlockAssociation), 'ipv6CidrBlockAssociationSet'],
  Tags: [list(Tag), 'tagSet'],
  SubnetArn: [S, 'subnetArn'],
  OutpostArn: [S, 'outpostArn'],
  EnableDns64: [B, 'enableDns64'],
  Ipv6Native: [B, 'ipv6Native'],
  PrivateDnsNameOptionsOnLaunch: [PrivateDnsNameOptionsOnLaunch, 'privateDnsNameOptionsOnLaunch'],
  BlockPublicAccessStates: [BlockPublicAccessStates, 'blockPublicAccessStates'],
  Type: [S, 'type'],
  SubnetId: [S, 'subnetId'],
  State: [S, 'state'],
  VpcId: [S, 'vpcId'],
  CidrBlock: [S, 'cidrBlock'],
  AvailableIpAddressCount: [I, 'availableIpAddressCount'],
  AvailabilityZone: [S, 'availabilityZone'],
  DefaultForAz: [B, 'defaultForAz'],
  MapPublicIpOnLaunch: [B, 'mapPublicIpOnLaunch'],
});
const CreateSubnetResult = struct({
  Subnet: [Subnet, 'subnet'],
});
const DeleteSubnetRequest = struct({
  SubnetId: S,
  DryRun: [B, 'dryRun'],
}, ['SubnetId']);
const DescribeSubnetsRequest = struct({
  Filters: [list(Filter), 'Filter'],
  SubnetIds: [list(S), 'SubnetId'],
  NextToken: S,
  MaxResults: I,
  DryRun: [B, 'dryRun'],
});
const DescribeSubnetsResult = struct({
  NextToken: [S, 'nextToken'],
  Subnets: [list(Subnet), 'subnetSet'],
});
const Ipv4PrefixSpecificationRequest = struct({
  Ipv4Prefix: S,
});
const Ipv6PrefixSpecificationRequest = struct({
  Ipv6Prefix: S,
});
const OperatorRequest = struct({
  Principal: S,
});
const PrivateIpAddressSpecification = struct({
  Primary: [B, 'primary'],
  PrivateIpAddress: [S, 'privateIpAddress'],
});
const InstanceIpv6Address = struct({
  Ipv6Address: [S, 'ipv6Address'],
  IsPrimaryIpv6: [B, 'isPrimaryIpv6'],
});
const CreateNetworkInterfaceRequest = struct({
  Ipv4Prefixes: [list(Ipv4PrefixSpecificationRequest), 'Ipv4Prefix'],
  Ipv4PrefixCount: I,
  Ipv6Prefixes: [list(Ipv6PrefixSpecificationRequest), 'Ipv6Prefix'],
  Ipv6PrefixCount: I,
  InterfaceType: S,
  TagSpecifications: [list(TagSpecification), 'TagSpecification'],
  ClientToken: S,
  EnablePrimaryIpv6: B,
  ConnectionTrackingSpecification: ConnectionTrackingSpecificationRequest,
  Operator: OperatorRequest,
  SubnetId: [S, 'subnetId'],
  Description: [S, 'description'],
  PrivateIpAddress: [S, 'privateIpAddress'],
  Groups: [list(S), 'SecurityGroupId'],
  PrivateIpAddresses: [list(PrivateIpAddressSpecification), 'privateIpAddresses'],
  SecondaryPrivateIpAddressCount: [I, 'secondaryPrivateIpAddressCount'],
  Ipv6Addresses: [list(InstanceIpv6Address), 'ipv6Addresses'],
  Ipv6AddressCount: [I, 'ipv6AddressCount'],
  DryRun: [B, 'dryRun'],
}, ['SubnetId']);
const CreateNetworkInterfaceResult = struct({
  NetworkInterface: [NetworkInterface, 'networkInterface'],
  ClientToken: [S, 'clientToken'],
});
const DeleteNetworkInterfaceRequest = struct({
  DryRun: [B, 'dryRun'],
  NetworkInterfaceId: [S, 'networkInterfaceId'],
}, ['NetworkInterfaceId']);
const AssignPrivateIpAddressesRequest = struct({
  Ipv4Prefixes: [list(S), 'Ipv4Prefix'],
  Ipv4PrefixCount: I,
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  PrivateIpAddresses: [list(S), 'privateIpAddress'],
  SecondaryPrivateIpAddressCount: [I, 'secondaryPrivateIpAddressCount'],
  AllowReassignment: [B, 'allowReassignment'],
}, ['NetworkInterfaceId']);
const AssignedPrivateIpAddress = struct({
  PrivateIpAddress: [S, 'privateIpAddress'],
});
const AssignPrivateIpAddressesResult = struct({
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  AssignedPrivateIpAddresses: [list(AssignedPrivateIpAddress), 'assignedPrivateIpAddressesSet'],
  AssignedIpv4Prefixes: [list(Ipv4PrefixSpecification), 'assignedIpv4PrefixSet'],
});
const UnassignPrivateIpAddressesRequest = struct({
  Ipv4Prefixes: [list(S), 'Ipv4Prefix'],
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  PrivateIpAddresses: [list(S), 'privateIpAddress'],
}, ['NetworkInterfaceId']);
const AssignIpv6AddressesRequest = struct({
  Ipv6PrefixCount: I,
  Ipv6Prefixes: [list(S), 'Ipv6Prefix'],
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  Ipv6Addresses: [list(S), 'ipv6Addresses'],
  Ipv6AddressCount: [I, 'ipv6AddressCount'],
}, ['NetworkInterfaceId']);
const AssignIpv6AddressesResult = struct({
  AssignedIpv6Addresses: [list(S), 'assignedIpv6Addresses'],
  AssignedIpv6Prefixes: [list(S), 'assignedIpv6PrefixSet'],
  NetworkInterfaceId: [S, 'networkInterfaceId'],
});
const UnassignIpv6AddressesRequest = struct({
  Ipv6Prefixes: [list(S), 'Ipv6Prefix'],
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  Ipv6Addresses: [list(S), 'ipv6Addresses'],
}, ['NetworkInterfaceId']);
const UnassignIpv6AddressesResult = struct({
  NetworkInterfaceId: [S, 'networkInterfaceId'],
  UnassignedIpv6Addresses: [list(S), 'unassignedIpv6Addresses'],
  UnassignedIpv6Prefixes: [list(S), 'unassignedIpv6PrefixSet'],
});

// EC2 answers `<return>true</return>` for the actions botocore models no output for
// (ModifyNetworkInterfaceAttribute, CreateTags, DeleteVpc, …).
const ReturnOnly = struct({ Return: [B, 'return'] });

export const EC2_REQUEST_SHAPES: Readonly<Record<string, StructShape>> = {
  CreateSecurityGroup: CreateSecurityGroupRequest,
  DeleteSecurityGroup: DeleteSecurityGroupRequest,
  AuthorizeSecurityGroupIngress: AuthorizeSecurityGroupIngressRequest,
  AuthorizeSecurityGroupEgress: AuthorizeSecurityGroupEgressRequest,
  RevokeSecurityGroupIngress: RevokeSecurityGroupIngressRequest,
  RevokeSecurityGroupEgress: RevokeSecurityGroupEgressRequest,
  DescribeSecurityGroups: DescribeSecurityGroupsRequest,
  DescribeSecurityGroupRules: DescribeSecurityGroupRulesRequest,
  UpdateSecurityGroupRuleDescriptionsIngress: UpdateSecurityGroupRuleDescriptionsIngressRequest,
  UpdateSecurityGroupRuleDescriptionsEgress: UpdateSecurityGroupRuleDescriptionsEgressRequest,
  ModifySecurityGroupRules: ModifySecurityGroupRulesRequest,
  ModifyNetworkInterfaceAttribute: ModifyNetworkInterfaceAttributeRequest,
  CreateManagedPrefixList: CreateManagedPrefixListRequest,
  ModifyManagedPrefixList: ModifyManagedPrefixListRequest,
  GetManagedPrefixListEntries: GetManagedPrefixListEntriesRequest,
  DescribeManagedPrefixLists: DescribeManagedPrefixListsRequest,
  DeleteManagedPrefixList: DeleteManagedPrefixListRequest,
  DescribeNetworkInterfaces: DescribeNetworkInterfacesRequest,
  CreateTags: CreateTagsRequest,
  DeleteTags: DeleteTagsRequest,
  DescribeTags: DescribeTagsRequest,
  CreateVpc: CreateVpcRequest,
  DeleteVpc: DeleteVpcRequest,
  DescribeVpcs: DescribeVpcsRequest,
  AssociateVpcCidrBlock: AssociateVpcCidrBlockRequest,
  DisassociateVpcCidrBlock: DisassociateVpcCidrBlockRequest,
  DescribePrefixLists: DescribePrefixListsRequest,
  DescribeStaleSecurityGroups: DescribeStaleSecurityGroupsRequest,
  CreateSubnet: CreateSubnetRequest,
  DeleteSubnet: DeleteSubnetRequest,
  DescribeSubnets: DescribeSubnetsRequest,
  CreateNetworkInterface: CreateNetworkInterfaceRequest,
  DeleteNetworkInterface: DeleteNetworkInterfaceRequest,
  AssignPrivateIpAddresses: AssignPrivateIpAddressesRequest,
  UnassignPrivateIpAddresses: UnassignPrivateIpAddressesRequest,
  AssignIpv6Addresses: AssignIpv6AddressesRequest,
  UnassignIpv6Addresses: UnassignIpv6AddressesRequest,
};

export const EC2_RESPONSE_SHAPES: Readonly<Record<string, StructShape>> = {
  CreateSecurityGroup: CreateSecurityGroupResult,
  DeleteSecurityGroup: DeleteSecurityGroupResult,
  AuthorizeSecurityGroupIngress: AuthorizeSecurityGroupIngressResult,
  AuthorizeSecurityGroupEgress: AuthorizeSecurityGroupEgressResult,
  RevokeSecurityGroupIngress: RevokeSecurityGroupIngressResult,
  RevokeSecurityGroupEgress: RevokeSecurityGroupEgressResult,
  DescribeSecurityGroups: DescribeSecurityGroupsResult,
  DescribeSecurityGroupRules: DescribeSecurityGroupRulesResult,
  UpdateSecurityGroupRuleDescriptionsIngress: UpdateSecurityGroupRuleDescriptionsIngressResult,
  UpdateSecurityGroupRuleDescriptionsEgress: UpdateSecurityGroupRuleDescriptionsEgressResult,
  ModifySecurityGroupRules: ModifySecurityGroupRulesResult,
  ModifyNetworkInterfaceAttribute: ReturnOnly,
  CreateManagedPrefixList: CreateManagedPrefixListResult,
  ModifyManagedPrefixList: ModifyManagedPrefixListResult,
  GetManagedPrefixListEntries: GetManagedPrefixListEntriesResult,
  DescribeManagedPrefixLists: DescribeManagedPrefixListsResult,
  DeleteManagedPrefixList: DeleteManagedPrefixListResult,
  DescribeNetworkInterfaces: DescribeNetworkInterfacesResult,
  CreateTags: ReturnOnly,
  DeleteTags: ReturnOnly,
  DescribeTags: DescribeTagsResult,
  CreateVpc: CreateVpcResult,
  DeleteVpc: ReturnOnly,
  DescribeVpcs: DescribeVpcsResult,
  AssociateVpcCidrBlock: AssociateVpcCidrBlockResult,
  DisassociateVpcCidrBlock: DisassociateVpcCidrBlockResult,
  DescribePrefixLists: DescribePrefixListsResult,
  DescribeStaleSecurityGroups: DescribeStaleSecurityGroupsResult,
  CreateSubnet: CreateSubnetResult,
  DeleteSubnet: ReturnOnly,
  DescribeSubnets: DescribeSubnetsResult,
  CreateNetworkInterface: CreateNetworkInterfaceResult,
  DeleteNetworkInterface: ReturnOnly,
  AssignPrivateIpAddresses: AssignPrivateIpAddressesResult,
  UnassignPrivateIpAddresses: ReturnOnly,
  AssignIpv6Addresses: AssignIpv6AddressesResult,
  UnassignIpv6Addresses: UnassignIpv6AddressesResult,
};
