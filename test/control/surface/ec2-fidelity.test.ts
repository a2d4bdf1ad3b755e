// EC2 behaviours of issue 17 ("What differs from EC2 today"), each as EC2 documents it: resource
// ARNs, CreateVpc's canonical CIDR, quotas' own codes, AWS-owned managed prefix lists, malformed ids
// in parameters and filters, and ModifySecurityGroupRules' own wording.
import { describe, expect, it } from 'vitest';
import { SecurityGroupService } from '../../../src/control/service.js';
import { countingIdGenerator } from '../../../src/model/ids.js';
import { ec2Error, newService, tcp, VPC } from '../helpers.js';

const ACCOUNT = '123456789012';

describe('ARNs: SecurityGroupArn, SecurityGroupRuleArn, PrefixListArn', () => {
  it('CreateSecurityGroup answers the group ARN, and groups and rules are described with theirs', () => {
    const s = newService();
    const created = s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC });
    expect(created.SecurityGroupArn).toBe(`arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/${created.GroupId}`);
    const [g] = s.describeSecurityGroups({ GroupIds: [created.GroupId] }).SecurityGroups;
    expect(g!.SecurityGroupArn).toBe(created.SecurityGroupArn);
    const { SecurityGroupRules: added } = s.authorizeSecurityGroupIngress({ GroupId: created.GroupId, IpPermissions: [tcp(22, '10.0.0.0/8')] });
    expect(added[0]!.SecurityGroupRuleArn).toBe(`arn:aws:ec2:us-east-1:${ACCOUNT}:security-group-rule/${added[0]!.SecurityGroupRuleId}`);
    const described = s.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: [created.GroupId] }] }).SecurityGroupRules;
    for (const r of described) expect(r.SecurityGroupRuleArn).toBe(`arn:aws:ec2:us-east-1:${ACCOUNT}:security-group-rule/${r.SecurityGroupRuleId}`);
  });

  it('the region and partition are the service’s; state documents carry no ARN', () => {
    const s = new SecurityGroupService({ region: 'cn-north-1', accountId: '210987654321', idGenerator: countingIdGenerator() });
    const { SecurityGroupArn, GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC });
    expect(SecurityGroupArn).toBe(`arn:aws-cn:ec2:cn-north-1:210987654321:security-group/${GroupId}`);
    const doc = s.exportSnapshot();
    expect(doc.SecurityGroups.some((g) => 'SecurityGroupArn' in g)).toBe(false);
  });

  it('a managed prefix list has its PrefixListArn; an AWS-managed one is owned by `aws` in it', () => {
    const s = newService();
    const { PrefixList } = s.createManagedPrefixList({ PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 2 });
    expect(PrefixList.PrefixListArn).toBe(`arn:aws:ec2:us-east-1:${ACCOUNT}:prefix-list/${PrefixList.PrefixListId}`);
    const aws = s.describeManagedPrefixLists({ Filters: [{ Name: 'owner-id', Values: ['AWS'] }] }).PrefixLists;
    expect(aws[0]!.PrefixListArn).toBe(`arn:aws:ec2:us-east-1:aws:prefix-list/${aws[0]!.PrefixListId}`);
  });
});

describe('CreateVpc takes a CIDR with host bits set in its canonical form; rules keep refusing one', () => {
  it('100.68.0.18/18 becomes 100.68.0.0/18', () => {
    const s = newService();
    const { Vpc } = s.createVpc({ CidrBlock: '100.68.0.18/18' });
    expect(Vpc.CidrBlock).toBe('100.68.0.0/18');
    expect(s.describeVpcs({ VpcIds: [Vpc.VpcId] }).Vpcs[0]!.CidrBlock).toBe('100.68.0.0/18');
  });

  it('a rule with host bits set is still InvalidParameterValue, and a malformed block still is for CreateVpc', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC });
    const e = ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '10.0.0.1/8')] }));
    expect([e.code, e.message]).toEqual(['InvalidParameterValue', 'CIDR block 10.0.0.1/8 is malformed']);
    expect(ec2Error(() => s.createVpc({ CidrBlock: '10.0.0.300/16' })).code).toBe('InvalidParameterValue');
  });
});

describe('quotas answer with their own code', () => {
  it('rules per group, groups per VPC, groups per interface, entries per prefix list', () => {
    const s = newService({ inboundRulesPerGroup: 1, groupsPerVpc: 3, groupsPerInterface: 1 });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '10.0.0.0/8')] });
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(23, '10.0.0.0/8')] })).code)
      .toBe('RulesPerSecurityGroupLimitExceeded');
    const { GroupId: other } = s.createSecurityGroup({ GroupName: 'b', Description: 'b', VpcId: VPC });
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'c', Description: 'c', VpcId: VPC })).code).toBe('SecurityGroupLimitExceeded');
    expect(ec2Error(() => s.registerNetworkInterface({ VpcId: VPC, PrivateIpAddress: '10.0.0.5', Groups: [GroupId, other] })).code)
      .toBe('SecurityGroupsPerInterfaceLimitExceeded');
    const pl = s.createManagedPrefixList({ PrefixListName: 'p', AddressFamily: 'IPv4', MaxEntries: 1 }).PrefixList;
    const e = ec2Error(() => s.modifyManagedPrefixList({ PrefixListId: pl.PrefixListId, CurrentVersion: 1, AddEntries: [{ Cidr: '10.0.0.0/8' }, { Cidr: '10.1.0.0/16' }] }));
    expect(e.code).toBe('PrefixListMaxEntriesExceeded');
  });
});

describe('AWS-managed prefix lists are described with OwnerId AWS', () => {
  it('DescribeManagedPrefixLists lists them beside the account’s own, by owner-id, by id; their entries read', () => {
    const s = newService();
    const own = s.createManagedPrefixList({ PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 2 }).PrefixList;
    const all = s.describeManagedPrefixLists().PrefixLists;
    expect(all.map((p) => [p.PrefixListName, p.OwnerId])).toEqual([
      ['office', ACCOUNT],
      ['com.amazonaws.us-east-1.s3', 'AWS'],
      ['com.amazonaws.us-east-1.dynamodb', 'AWS'],
    ]);
    const mine = s.describeManagedPrefixLists({ Filters: [{ Name: 'owner-id', Values: [ACCOUNT] }] }).PrefixLists;
    expect(mine.map((p) => p.PrefixListId)).toEqual([own.PrefixListId]);
    const s3 = s.describePrefixLists({ Filters: [{ Name: 'prefix-list-name', Values: ['*.s3'] }] }).PrefixLists[0]!;
    expect(s.describeManagedPrefixLists({ PrefixListIds: [s3.PrefixListId] }).PrefixLists[0]!.OwnerId).toBe('AWS');
    expect(s.getManagedPrefixListEntries({ PrefixListId: s3.PrefixListId }).Entries.map((e) => e.Cidr)).toEqual(s3.Cidrs);
  });

  it('cannot be modified or deleted', () => {
    const s = newService();
    const s3 = s.describePrefixLists().PrefixLists[0]!;
    expect(ec2Error(() => s.deleteManagedPrefixList({ PrefixListId: s3.PrefixListId })).code).toBe('UnauthorizedOperation');
    expect(ec2Error(() => s.modifyManagedPrefixList({ PrefixListId: s3.PrefixListId, PrefixListName: 'mine' })).code).toBe('UnauthorizedOperation');
  });
});

describe('a malformed id is refused with its kind’s code, in parameters and in filters', () => {
  it('answers EC2’s wording for each kind', () => {
    const s = newService();
    const cases: [() => unknown, string, string][] = [
      [() => s.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: ['foobar'] }] }), 'InvalidGroupId.Malformed', "The security group ID 'foobar' is malformed"],
      [() => s.describeSecurityGroups({ GroupIds: ['foobar'] }), 'InvalidGroupId.Malformed', "The security group ID 'foobar' is malformed"],
      [() => s.describeSecurityGroups({ Filters: [{ Name: 'ip-permission.group-id', Values: ['sg-1'] }] }), 'InvalidGroupId.Malformed', "The security group ID 'sg-1' is malformed"],
      [() => s.describeSecurityGroupRules({ Filters: [{ Name: 'security-group-rule-id', Values: ['rule'] }] }), 'InvalidSecurityGroupRuleId.Malformed', "The security group rule ID 'rule' is malformed"],
      [() => s.describeNetworkInterfaces({ Filters: [{ Name: 'network-interface-id', Values: ['eth0'] }] }), 'InvalidNetworkInterfaceId.Malformed', "The networkInterface ID 'eth0' is malformed"],
      [() => s.describeNetworkInterfaces({ NetworkInterfaceIds: ['eth0'] }), 'InvalidNetworkInterfaceId.Malformed', "The networkInterface ID 'eth0' is malformed"],
      [() => s.describeManagedPrefixLists({ Filters: [{ Name: 'prefix-list-id', Values: ['office'] }] }), 'InvalidPrefixListId.Malformed', "The prefix list ID 'office' is malformed"],
      [() => s.describePrefixLists({ Filters: [{ Name: 'prefix-list-id', Values: ['s3'] }] }), 'InvalidPrefixListId.Malformed', "The prefix list ID 's3' is malformed"],
      [() => s.describeVpcs({ Filters: [{ Name: 'vpc-id', Values: ['main'] }] }), 'InvalidVpcId.Malformed', "The vpc ID 'main' is malformed"],
      [() => s.describeSecurityGroups({ Filters: [{ Name: 'vpc-id', Values: ['main'] }] }), 'InvalidVpcId.Malformed', "The vpc ID 'main' is malformed"],
    ];
    for (const [call, code, message] of cases) {
      const e = ec2Error(call);
      expect([e.code, e.message]).toEqual([code, message]);
    }
  });

  it('well-formed ids and wildcard patterns still filter', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC });
    expect(s.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: ['sg-0000000000000abcd'] }] }).SecurityGroupRules).toEqual([]);
    expect(s.describeSecurityGroups({ Filters: [{ Name: 'group-id', Values: ['sg-*'] }] }).SecurityGroups.map((g) => g.GroupId)).toContain(GroupId);
  });
});

describe('ModifySecurityGroupRules answers EC2’s codes for an incomplete rule', () => {
  function setUp() {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC });
    const [rule] = s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '10.0.0.0/8')] }).SecurityGroupRules;
    const modify = (r: Record<string, unknown>) => () =>
      s.modifySecurityGroupRules({ GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: rule!.SecurityGroupRuleId, SecurityGroupRule: r }] });
    return modify;
  }

  it('a missing protocol, half a TCP/UDP port range, no peer or two', () => {
    const modify = setUp();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ FromPort: 22, ToPort: 22, CidrIpv4: '10.0.0.0/8' }, 'InvalidParameterValue', "Invalid value 'null' for protocol. VPC security group rules must specify protocols explicitly."],
      [{ IpProtocol: 'tcp', FromPort: 22, CidrIpv4: '10.0.0.0/8' }, 'InvalidParameterValue', 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.'],
      [{ IpProtocol: 'udp', ToPort: 53, CidrIpv4: '10.0.0.0/8' }, 'InvalidParameterValue', 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.'],
      [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22 }, 'MissingParameter', 'The request must contain exactly one of: cidrIp, cidrIpv6, prefixListId, or referencedGroupId'],
      [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '10.0.0.0/8', CidrIpv6: '::/0' }, 'MissingParameter', 'The request must contain exactly one of: cidrIp, cidrIpv6, prefixListId, or referencedGroupId'],
    ];
    for (const [rule, code, message] of cases) {
      const e = ec2Error(modify(rule));
      expect([e.code, e.message]).toEqual([code, message]);
    }
  });

  it('a complete rule is still taken, and ICMP or all-protocol rules need no ports', () => {
    const modify = setUp();
    expect(modify({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '10.0.0.0/8' })()).toEqual({ Return: true });
    expect(modify({ IpProtocol: '-1', CidrIpv4: '10.0.0.0/8' })()).toEqual({ Return: true });
  });
});
