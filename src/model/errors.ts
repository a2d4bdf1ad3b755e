// EC2's error codes with EC2-like messages, in one place so every front end (replay timelines, the
// CLI, the Query API) reports a failure the way EC2 would. Wording follows what EC2 answers where it
// is known (the seed's CannotDelete text, "CIDR block … is malformed", "The vpc ID '…' is malformed").
import { Ec2Error } from './ec2-error.js';
import { shown } from './shown.js';

export const Ec2Errors = {
  invalidParameterValue: (message: string) => new Ec2Error('InvalidParameterValue', message),
  invalidParameter: (message: string) => new Ec2Error('InvalidParameter', message),
  missingParameter: (name: string) =>
    new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`),
  /** EC2's answer to a parameter the action does not have, or a value where only members or list items can be */
  unknownParameter: (name: string) => new Ec2Error('UnknownParameter', `The parameter ${name} is not recognized`),
  invalidAction: (action: string) =>
    new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`),
  invalidFilter: (name: string) => new Ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`),

  cidrMalformed: (cidr: string) => new Ec2Error('InvalidParameterValue', `CIDR block ${cidr} is malformed`),
  unknownProtocol: (protocol: string) =>
    new Ec2Error('InvalidParameterValue', `Invalid value '${protocol}' for IP protocol. Unknown protocol.`),
  invalidPort: (field: string, value: unknown, range: string) =>
    new Ec2Error('InvalidParameterValue', `Invalid value '${shown(value)}' for ${field}. Must be ${range}.`),
  invalidPortRange: (from: number, to: number) =>
    new Ec2Error('InvalidParameterValue', `Invalid port range: FromPort ${from} is greater than ToPort ${to}.`),
  invalidIcmp: (message: string) => new Ec2Error('InvalidParameterValue', message),

  // Malformed ids: EC2's wording today ("The security group ID 'foobar' is malformed", "The vpc ID
  // vpc-012345678 is malformed"), the same for a parameter and a filter value (model/ids.ts checks).
  groupIdMalformed: (id: string) => new Ec2Error('InvalidGroupId.Malformed', `The security group ID '${id}' is malformed`),
  groupNotFound: (id: string) => new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`),
  groupNameNotFound: (name: string, vpcId: string) =>
    new Ec2Error('InvalidGroup.NotFound', `The security group '${name}' does not exist in VPC '${vpcId}'`),
  groupDuplicate: (name: string, vpcId: string) =>
    new Ec2Error('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`),
  groupIdDuplicate: (id: string) => new Ec2Error('InvalidGroup.Duplicate', `The security group '${id}' already exists`),
  // seed 001: `Client.CannotDelete: the specified group: "sg-51530134" name: "default" cannot be deleted by a user`
  cannotDeleteDefault: (id: string) =>
    new Ec2Error('CannotDelete', `the specified group: "${id}" name: "default" cannot be deleted by a user`),
  dependencyViolation: (id: string) => new Ec2Error('DependencyViolation', `resource ${id} has a dependent object`),
  // Quotas answer with their own codes and EC2's wording, as clients print it:
  // "VpcLimitExceeded: The maximum number of VPCs has been reached." (terraform-aws-modules/terraform-aws-vpc#429),
  // "SecurityGroupLimitExceeded: The maximum number of security groups for VPC 'vpc-3311ce57' has been
  // reached." (otiai10/hotsub#36), "SecurityGroupsPerInterfaceLimitExceeded … The maximum number of
  // security groups per interface has been reached." from ModifyNetworkInterfaceAttribute
  // (cloud-custodian/cloud-custodian#9787), "RulesPerSecurityGroupLimitExceeded: The maximum number of
  // rules per security group has been reached." (aws-samples/aws-cloudfront-samples#53).
  vpcLimit: () => new Ec2Error('VpcLimitExceeded', 'The maximum number of VPCs has been reached.'),
  groupLimit: (vpcId: string) =>
    new Ec2Error('SecurityGroupLimitExceeded', `The maximum number of security groups for VPC '${vpcId}' has been reached.`),
  groupsPerInterfaceLimit: () =>
    new Ec2Error(
      'SecurityGroupsPerInterfaceLimitExceeded',
      'The maximum number of security groups per interface has been reached.',
    ),
  rulesLimit: () =>
    new Ec2Error('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.'),
  // Prefix lists: "InvalidParameterValue: Must specify a max size between 1 and 1000"
  // (aws-samples/update-aws-ip-ranges#1; the VPC guide's quota: at most 1,000 entries), and "The number
  // of entries per request cannot exceeds limit (100)." (hashicorp/terraform-provider-aws#49955; the
  // API reference: at most 100 entries per CreateManagedPrefixList / ModifyManagedPrefixList request).
  prefixListMaxSize: (max: number) => new Ec2Error('InvalidParameterValue', `Must specify a max size between 1 and ${max}`),
  prefixListEntriesPerRequest: (limit: number) =>
    new Ec2Error('InvalidParameterValue', `The number of entries per request cannot exceeds limit (${limit}).`),

  permissionDuplicate: (rule: string) =>
    new Ec2Error('InvalidPermission.Duplicate', `the specified rule "${rule}" already exists`),
  // "Ensuring idempotency in Amazon EC2 API requests": the same ClientToken with other parameters
  idempotentParameterMismatch: () =>
    new Ec2Error('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).'),
  permissionNotFound: () =>
    new Ec2Error('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.'),
  permissionMalformed: (message: string) => new Ec2Error('InvalidPermission.Malformed', message),
  // ModifySecurityGroupRules' wording for a rule that lacks a protocol, half a port range or its one peer
  protocolNotExplicit: () =>
    new Ec2Error('InvalidParameterValue', "Invalid value 'null' for protocol. VPC security group rules must specify protocols explicitly."),
  portRangeIncomplete: () =>
    new Ec2Error('InvalidParameterValue', 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.'),
  rulePeerMissing: () =>
    new Ec2Error('MissingParameter', 'The request must contain exactly one of: cidrIp, cidrIpv6, prefixListId, or referencedGroupId'),
  ruleIdMalformed: (id: string) =>
    new Ec2Error('InvalidSecurityGroupRuleId.Malformed', `The security group rule ID '${id}' is malformed`),
  ruleIdNotFound: (id: string) =>
    new Ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`),

  vpcIdMalformed: (id: string) => new Ec2Error('InvalidVpcId.Malformed', `The vpc ID '${id}' is malformed`),
  vpcNotFound: (id: string) => new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`),
  vpcDependency: (id: string) =>
    new Ec2Error('DependencyViolation', `The vpc '${id}' has dependencies and cannot be deleted.`),
  vpcRange: (cidr: string) => new Ec2Error('InvalidVpc.Range', `The CIDR '${cidr}' is invalid.`),
  operationNotPermitted: (message: string) => new Ec2Error('OperationNotPermitted', message),

  invalidId: (id: string) => new Ec2Error('InvalidID', `The ID '${id}' is not valid`),
  tagLimit: (id: string) =>
    new Ec2Error('TagLimitExceeded', `The maximum number of tags (50) for resource ${id} has been reached.`),

  prefixListIdMalformed: (id: string) =>
    new Ec2Error('InvalidPrefixListId.Malformed', `The prefix list ID '${id}' is malformed`),
  prefixListNotFound: (id: string) =>
    new Ec2Error('InvalidPrefixListID.NotFound', `The prefix list ID '${id}' does not exist`),
  prefixListVersionMismatch: (id: string, current: number, given: number) =>
    new Ec2Error(
      'PrefixListVersionMismatch',
      `The prefix list ${id} is at version ${current}, not the specified version ${given}.`,
    ),
  // AWS-managed lists cannot be modified or deleted (VPC user guide); EC2 refuses what a caller may not do
  awsManagedPrefixList: (id: string) =>
    new Ec2Error('UnauthorizedOperation', `You are not authorized to perform this operation: the prefix list ${id} is managed by AWS.`),
  prefixListDuplicate: (id: string) => new Ec2Error('InvalidPrefixListId.Duplicate', `The prefix list '${id}' already exists`),
  prefixListMaxEntries: (id: string, max: number) =>
    new Ec2Error('PrefixListMaxEntriesExceeded', `The prefix list ${id} would exceed its maximum of ${max} entries.`),

  interfaceIdMalformed: (id: string) =>
    new Ec2Error('InvalidNetworkInterfaceId.Malformed', `The networkInterface ID '${id}' is malformed`),
  interfaceNotFound: (id: string) =>
    new Ec2Error('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`),
  interfaceDuplicate: (id: string) =>
    new Ec2Error('InvalidNetworkInterfaceId.Duplicate', `The networkInterface ID '${id}' already exists`),
  // Subnets and the addresses of interfaces created in them. Codes from the EC2 API reference's
  // error list (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html):
  // InvalidSubnet.Range "The CIDR block you've specified for the subnet or VPC is invalid",
  // InvalidSubnet.Conflict "The specified CIDR block conflicts with that of another subnet in your
  // VPC", InvalidSubnetID.NotFound, PrivateIpAddressLimitExceeded "You've reached the limit on the
  // number of private IP addresses that you can assign to the specified network interface",
  // InsufficientFreeAddressesInSubnet "The specified subnet does not contain enough free private IP
  // addresses". Messages are the ones EC2 answers ("The CIDR '10.0.0.0/24' conflicts with another subnet").
  subnetIdMalformed: (id: string) => new Ec2Error('InvalidSubnetID.Malformed', `The subnet ID '${id}' is malformed`),
  subnetNotFound: (id: string) => new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
  subnetRange: (cidr: string) => new Ec2Error('InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`),
  subnetConflict: (cidr: string) => new Ec2Error('InvalidSubnet.Conflict', `The CIDR '${cidr}' conflicts with another subnet`),
  subnetLimit: () => new Ec2Error('SubnetLimitExceeded', 'The maximum number of subnets has been reached.'),
  subnetDependency: (id: string) =>
    new Ec2Error('DependencyViolation', `The subnet '${id}' has dependencies and cannot be deleted.`),
  subnetFull: (id: string) =>
    new Ec2Error('InsufficientFreeAddressesInSubnet', `The specified subnet ${id} does not contain enough free private IP addresses to satisfy the request.`),
  addressOutsideSubnet: (address: string, subnetId: string, cidr: string) =>
    new Ec2Error('InvalidParameterValue', `Address ${address} does not fall within the subnet's address range (${subnetId}, ${cidr}).`),
  addressReserved: (address: string, subnetId: string) =>
    new Ec2Error('InvalidParameterValue', `Address ${address} is reserved in subnet ${subnetId}: the first four and the last address of a subnet are not available.`),
  privateIpLimit: (limit: number) =>
    new Ec2Error('PrivateIpAddressLimitExceeded', `Number of private addresses will exceed limit of ${limit} for the network interface.`),
  ipv6Limit: (limit: number) =>
    new Ec2Error('InvalidParameterValue', `Number of IPv6 addresses will exceed limit of ${limit} for the network interface.`),
  noIpv6InSubnet: (id: string) =>
    new Ec2Error('InvalidParameterValue', `The subnet ${id} has no IPv6 CIDR block: it cannot give an interface IPv6 addresses.`),
  addressNotAssigned: (address: string, interfaceId: string) =>
    new Ec2Error('InvalidParameterValue', `Some of the specified addresses are not assigned to interface ${interfaceId}: ${address}`),
  primaryAddressUnassign: (address: string) =>
    new Ec2Error('InvalidParameterValue', `The primary private IP address ${address} of a network interface cannot be unassigned.`),
  vpcCidrAssociationNotFound: (id: string) =>
    new Ec2Error('InvalidVpcCidrBlockAssociationID.NotFound', `The vpc CIDR block association ID '${id}' does not exist`),
  vpcCidrLimit: (vpcId: string) =>
    new Ec2Error('CidrLimitExceeded', `The maximum number of CIDR blocks for VPC '${vpcId}' has been reached.`),

  /** EC2 answers "Address 10.0.0.5 is in use."; sgfw adds which interface holds it, and where. */
  addressInUse: (address: string, holder: string, where: string) =>
    new Ec2Error('InvalidIPAddress.InUse', `Address ${address} is in use by ${holder} (${where}).`),
} as const;
