// What the AWS CLI prints for EC2's documented examples, transcribed by hand: key names, which keys
// are there, and empty lists present as EC2 prints them. `$NAME` stands for an id sgfw makes up.
//
// Sources (the AWS CLI's own examples, shipped with it as awscli/examples/ec2/*.rst):
//   https://docs.aws.amazon.com/cli/latest/reference/ec2/describe-security-groups.html (example 1)
//   https://docs.aws.amazon.com/cli/latest/reference/ec2/describe-security-group-rules.html (example 1)
//   https://docs.aws.amazon.com/cli/latest/reference/ec2/describe-vpcs.html, describe-tags.html,
//   describe-prefix-lists.html, describe-stale-security-groups.html

/**
 * describe-security-groups example 1, "MySecurityGroup" (sg-903004f8). One addition: `Ipv6Ranges: []`
 * in each permission. The CLI example predates IPv6 rules; EC2 prints `<ipv6Ranges/>` today (API
 * reference DescribeSecurityGroups example 4), which the CLI shows as an empty list.
 */
export const MY_SECURITY_GROUP = {
  Description: 'My security group',
  GroupName: 'MySecurityGroup',
  IpPermissions: [
    { IpProtocol: '-1', IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [{ GroupId: '$GROUP', UserId: '$OWNER' }] },
    {
      FromPort: 22, IpProtocol: 'tcp', IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'Access from NY office' }], Ipv6Ranges: [], PrefixListIds: [], ToPort: 22,
      UserIdGroupPairs: [],
    },
  ],
  OwnerId: '$OWNER',
  GroupId: '$GROUP',
  IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }],
  Tags: [{ Key: 'Name', Value: 'SG1' }],
  VpcId: '$VPC',
};

/**
 * describe-security-group-rules example 1: a default group in an IPv6 VPC. FromPort/ToPort -1 are
 * printed here (unlike in IpPermissions), `Tags` is always there, `[]` when untagged.
 */
export const DEFAULT_GROUP_RULES = [
  {
    SecurityGroupRuleId: '$RULE', GroupId: '$GROUP', GroupOwnerId: '$OWNER', IsEgress: false, IpProtocol: '-1', FromPort: -1, ToPort: -1,
    ReferencedGroupInfo: { GroupId: '$GROUP', UserId: '$OWNER' }, Tags: [],
  },
  { SecurityGroupRuleId: '$RULE', GroupId: '$GROUP', GroupOwnerId: '$OWNER', IsEgress: true, IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv6: '::/0', Tags: [] },
  { SecurityGroupRuleId: '$RULE', GroupId: '$GROUP', GroupOwnerId: '$OWNER', IsEgress: true, IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: '0.0.0.0/0', Tags: [] },
];

/** describe-vpcs example 2 (a VPC with a tag): the keys of one VPC. */
export const VPC_KEYS = ['CidrBlock', 'CidrBlockAssociationSet', 'DhcpOptionsId', 'InstanceTenancy', 'IsDefault', 'OwnerId', 'State', 'Tags', 'VpcId'];
export const VPC_CIDR_ASSOCIATION_KEYS = ['AssociationId', 'CidrBlock', 'CidrBlockState'];

/** describe-tags example 1: the keys of one tag description. */
export const TAG_KEYS = ['Key', 'ResourceId', 'ResourceType', 'Value'];

/** describe-prefix-lists: the keys of one AWS-managed list. */
export const PREFIX_LIST_KEYS = ['Cidrs', 'PrefixListId', 'PrefixListName'];

/** describe-stale-security-groups: the keys of one stale group and of one stale permission. */
export const STALE_GROUP_KEYS = ['Description', 'GroupId', 'GroupName', 'StaleIpPermissions', 'StaleIpPermissionsEgress', 'VpcId'];
export const STALE_PERMISSION_KEYS = ['FromPort', 'IpProtocol', 'ToPort', 'UserIdGroupPairs'];

/** Replaces `$NAME` strings anywhere in a JSON-like value. */
export function fill<T>(value: T, ids: Record<string, string>): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'string' && v.startsWith('$') && ids[v.slice(1)] !== undefined ? ids[v.slice(1)] : v)) as T;
}
