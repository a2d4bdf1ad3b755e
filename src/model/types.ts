// EC2 API shapes, as the AWS CLI prints them and as `--cli-input-json` takes them.
// Field names are EC2's own so JSON moves between sgfw and the AWS tools unchanged.

export interface IpRange { CidrIp: string; Description?: string }
export interface Ipv6Range { CidrIpv6: string; Description?: string }
export interface PrefixListIdRef { PrefixListId: string; Description?: string }
export interface UserIdGroupPair {
  GroupId?: string;
  GroupName?: string;
  UserId?: string;
  VpcId?: string;
  Description?: string;
  /** sgfw prints `deleted` here when the referenced group is not in the model (a stale rule). */
  PeeringStatus?: string;
}

export interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: IpRange[];
  Ipv6Ranges?: Ipv6Range[];
  PrefixListIds?: PrefixListIdRef[];
  UserIdGroupPairs?: UserIdGroupPair[];
}

export interface Tag { Key: string; Value: string }

export interface SecurityGroup {
  GroupId: string;
  GroupName: string;
  Description: string;
  OwnerId: string;
  VpcId: string;
  IpPermissions: IpPermission[];
  IpPermissionsEgress: IpPermission[];
  Tags?: Tag[];
  /** `arn:aws:ec2:REGION:OWNER:security-group/sg-…`, in the API's answers (not in state documents) */
  SecurityGroupArn?: string;
}

export interface ReferencedGroupInfo { GroupId: string; UserId?: string; VpcId?: string }

export interface SecurityGroupRule {
  SecurityGroupRuleId: string;
  GroupId: string;
  GroupOwnerId: string;
  IsEgress: boolean;
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupInfo?: ReferencedGroupInfo;
  Description?: string;
  /** sgfw extension: set when the referenced group or prefix list no longer exists. */
  Stale?: boolean;
  Tags?: Tag[];
  /** `arn:aws:ec2:REGION:OWNER:security-group-rule/sgr-…`, in the API's answers */
  SecurityGroupRuleArn?: string;
}

export interface ConnectionTrackingSpecification {
  TcpEstablishedTimeout?: number;
  UdpStreamTimeout?: number;
  UdpTimeout?: number;
}

export interface NetworkInterface {
  NetworkInterfaceId: string;
  /** CreateNetworkInterface's interfaces; RegisterNetworkInterface's have none */
  SubnetId?: string;
  VpcId: string;
  /** the answers' EC2 fields (state documents leave them out) */
  AvailabilityZone?: string;
  OwnerId?: string;
  RequesterManaged?: boolean;
  Status?: 'available' | 'in-use';
  InterfaceType?: 'interface';
  SourceDestCheck?: boolean;
  Description?: string;
  PrivateIpAddress?: string;
  PrivateIpAddresses: { PrivateIpAddress: string; Primary?: boolean }[];
  Ipv6Addresses: { Ipv6Address: string }[];
  Groups: { GroupId: string; GroupName: string }[];
  ConnectionTrackingConfiguration: Required<ConnectionTrackingSpecification>;
  /** its tags, `sgfw:host-id` included; always in the answers, in state documents when set */
  TagSet?: Tag[];
}

export interface ManagedPrefixList {
  PrefixListId: string;
  PrefixListName: string;
  AddressFamily: 'IPv4' | 'IPv6';
  MaxEntries: number;
  Version: number;
  State: string;
  /** `arn:aws:ec2:REGION:OWNER:prefix-list/pl-…`, in the API's answers */
  PrefixListArn?: string;
  OwnerId: string;
  Tags?: Tag[];
}

export interface PrefixListEntry { Cidr: string; Description?: string }

/** One element of `aws ec2 describe-network-interfaces` output, as a state file carries it. */
export interface ImportedNetworkInterface {
  NetworkInterfaceId: string;
  VpcId?: string;
  Description?: string;
  /** the primary private IPv4 address; also listed in PrivateIpAddresses */
  PrivateIpAddress?: string;
  PrivateIpAddresses?: { PrivateIpAddress: string; Primary?: boolean }[];
  Ipv6Addresses?: { Ipv6Address: string }[];
  Groups?: { GroupId: string; GroupName?: string }[];
  ConnectionTrackingConfiguration?: ConnectionTrackingSpecification;
  /** sgfw's own: the host that enforces it (RegisterNetworkInterface's HostId); kept by sgfw's snapshots */
  HostId?: string;
  /** kept when the document (or the model) has that subnet */
  SubnetId?: string;
  /** `sgfw:host-id` among them places the interface, as HostId does */
  TagSet?: Tag[];
}

/** A subnet as `describe-subnets` prints it; the state keeps its id, VPC, blocks, zone and tags. */
export interface ImportedSubnet {
  SubnetId: string;
  VpcId: string;
  CidrBlock: string;
  AvailabilityZone?: string;
  Ipv6CidrBlockAssociationSet?: { Ipv6CidrBlock: string; AssociationId?: string }[];
  Tags?: Tag[];
}

/** A security group as a state file carries it (`describe-security-groups`); absent lists are empty. */
export interface ImportedSecurityGroup {
  GroupId: string;
  GroupName: string;
  Description?: string;
  OwnerId?: string;
  VpcId?: string;
  IpPermissions?: IpPermission[];
  IpPermissionsEgress?: IpPermission[];
  Tags?: Tag[];
}

/** A prefix list as `describe-managed-prefix-lists` prints it, with its `Entries`. */
export interface ImportedPrefixList {
  PrefixListId: string;
  AddressFamily: 'IPv4' | 'IPv6';
  PrefixListName?: string;
  MaxEntries?: number;
  Version?: number;
  State?: string;
  OwnerId?: string;
  Tags?: Tag[];
  Entries?: PrefixListEntry[];
}

/** A VPC as `describe-vpcs` prints it; the state keeps only its id, CIDR blocks and tags. */
export interface ImportedVpc {
  VpcId: string;
  CidrBlock?: string;
  CidrBlockAssociationSet?: { CidrBlock: string; AssociationId?: string }[];
  Ipv6CidrBlockAssociationSet?: { Ipv6CidrBlock: string; AssociationId?: string }[];
  Tags?: Tag[];
}

/** What SecurityGroupService.importSnapshot takes and exportSnapshot returns. */
export interface SnapshotDocument {
  SecurityGroups?: ImportedSecurityGroup[];
  NetworkInterfaces?: ImportedNetworkInterface[];
  PrefixLists?: ImportedPrefixList[];
}

/**
 * A state document with `Vpcs` (describe-vpcs output): the VPCs with a CIDR (CreateVpc) or tags; the
 * others exist through their groups and interfaces. Apart so that `Required<SnapshotDocument>` does
 * not require it.
 */
export interface ModelDocument extends SnapshotDocument {
  Vpcs?: ImportedVpc[];
  /** the subnets (describe-subnets output) */
  Subnets?: ImportedSubnet[];
  /** the rules that have tags, as describe-security-group-rules prints them (matched by content) */
  SecurityGroupRules?: SecurityGroupRule[];
}

export interface Filter { Name: string; Values: string[] }
