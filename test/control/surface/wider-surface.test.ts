import { describe, expect, it } from 'vitest';
import { newService, ec2Error, tcp, VPC } from '../helpers.js';
import { DEFAULT_VPC_ID, SecurityGroupService } from '../../../src/control/service.js';
import { isReadOnlyAction } from '../../../src/state/store-front.js';

function groupWithRule() {
  const s = newService();
  const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC });
  const { SecurityGroupRules } = s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '10.0.0.0/8'), tcp(80, '10.0.0.0/8')] });
  return { s, GroupId, ssh: SecurityGroupRules[0]!.SecurityGroupRuleId, http: SecurityGroupRules[1]!.SecurityGroupRuleId };
}

describe('modify-security-group-rules rewrites a rule by its id', () => {
  it('replaces protocol, ports, peer and description and keeps the id', () => {
    const { s, GroupId, ssh } = groupWithRule();
    s.modifySecurityGroupRules({
      GroupId,
      SecurityGroupRules: [{ SecurityGroupRuleId: ssh, SecurityGroupRule: { IpProtocol: 'udp', FromPort: 53, ToPort: 53, CidrIpv6: '2001:db8::/32', Description: 'dns' } }],
    });
    const [rule] = s.describeSecurityGroupRules({ SecurityGroupRuleIds: [ssh] }).SecurityGroupRules;
    expect(rule).toMatchObject({ SecurityGroupRuleId: ssh, IpProtocol: 'udp', FromPort: 53, ToPort: 53, CidrIpv6: '2001:db8::/32', Description: 'dns', IsEgress: false });
    expect(rule!.CidrIpv4).toBeUndefined();
  });

  it('can point a rule at another group', () => {
    const { s, GroupId, ssh } = groupWithRule();
    s.modifySecurityGroupRules({ GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: ssh, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, ReferencedGroupId: GroupId } }] });
    const [rule] = s.describeSecurityGroupRules({ SecurityGroupRuleIds: [ssh] }).SecurityGroupRules;
    expect(rule!.ReferencedGroupInfo).toMatchObject({ GroupId, UserId: s.accountId });
  });

  it('is all or nothing: a bad second item leaves the first rule unchanged', () => {
    const { s, GroupId, ssh } = groupWithRule();
    const before = s.describeSecurityGroups({ GroupIds: [GroupId] });
    const e = ec2Error(() => s.modifySecurityGroupRules({
      GroupId,
      SecurityGroupRules: [
        { SecurityGroupRuleId: ssh, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 2222, ToPort: 2222, CidrIpv4: '10.0.0.0/8' } },
        { SecurityGroupRuleId: 'sgr-0000000000000ffff', SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 1, ToPort: 1, CidrIpv4: '10.0.0.0/8' } },
      ],
    }));
    expect(e.code).toBe('InvalidSecurityGroupRuleId.NotFound');
    expect(s.describeSecurityGroups({ GroupIds: [GroupId] })).toEqual(before);
  });

  it('answers EC2 error codes for a malformed id, two peers, and a duplicate result', () => {
    const { s, GroupId, ssh } = groupWithRule();
    const item = (id: string, rule: Record<string, unknown>) => ({ GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: id, SecurityGroupRule: rule }] });
    expect(ec2Error(() => s.modifySecurityGroupRules(item('rule-1', { IpProtocol: 'tcp', CidrIpv4: '1.2.3.4/32' }))).code).toBe('InvalidSecurityGroupRuleId.Malformed');
    expect(ec2Error(() => s.modifySecurityGroupRules(item(ssh, { IpProtocol: '-1', CidrIpv4: '1.2.3.4/32', CidrIpv6: '::/0' }))).code).toBe('MissingParameter');
    expect(ec2Error(() => s.modifySecurityGroupRules(item(ssh, { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIpv4: '10.0.0.0/8' }))).code).toBe('InvalidPermission.Duplicate');
    expect(ec2Error(() => s.modifySecurityGroupRules({ GroupId: 'sg-zz', SecurityGroupRules: [] })).code).toBe('InvalidGroupId.Malformed');
  });
});

describe('tags on groups, prefix lists and VPCs', () => {
  it('create-tags, describe-tags with filters, and tag filters on describe-security-groups', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC, TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'a' }] }] });
    const { GroupId: other } = s.createSecurityGroup({ GroupName: 'b', Description: 'b', VpcId: VPC });
    s.call('CreateTags', { Resources: [GroupId, other, VPC], Tags: [{ Key: 'env', Value: 'prod' }] });
    s.call('CreateTags', { Resources: [other], Tags: [{ Key: 'env', Value: 'dev' }] });
    expect(s.describeSecurityGroups({ GroupIds: [GroupId] }).SecurityGroups[0]!.Tags).toEqual([{ Key: 'Name', Value: 'a' }, { Key: 'env', Value: 'prod' }]);
    const byTag = s.describeSecurityGroups({ Filters: [{ Name: 'tag:env', Values: ['prod'] }] }).SecurityGroups.map((g) => g.GroupId);
    expect(byTag).toEqual([GroupId]);
    expect(s.describeSecurityGroups({ Filters: [{ Name: 'tag-key', Values: ['Name'] }] }).SecurityGroups.map((g) => g.GroupId)).toEqual([GroupId]);
    const tags = s.describeTags({ Filters: [{ Name: 'key', Values: ['env'] }, { Name: 'resource-type', Values: ['security-group'] }] }).Tags;
    expect(tags).toEqual([
      { Key: 'env', ResourceId: GroupId, ResourceType: 'security-group', Value: 'prod' },
      { Key: 'env', ResourceId: other, ResourceType: 'security-group', Value: 'dev' },
    ]);
    expect(s.describeTags({ Filters: [{ Name: 'resource-id', Values: [VPC] }] }).Tags).toEqual([{ Key: 'env', ResourceId: VPC, ResourceType: 'vpc', Value: 'prod' }]);
  });

  it('a prefix list takes tags at creation and later, and is found by them', () => {
    const s = newService();
    const { PrefixList } = s.createManagedPrefixList({
      PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 2, TagSpecifications: [{ ResourceType: 'prefix-list', Tags: [{ Key: 'site', Value: 'hq' }] }],
    });
    s.createTags({ Resources: [PrefixList.PrefixListId], Tags: [{ Key: 'site', Value: 'branch' }, { Key: 'owner', Value: 'net' }] });
    expect(s.describeManagedPrefixLists({ Filters: [{ Name: 'tag:site', Values: ['branch'] }] }).PrefixLists[0]!.Tags).toEqual([{ Key: 'site', Value: 'branch' }, { Key: 'owner', Value: 'net' }]);
    expect(s.describeTags({ Filters: [{ Name: 'resource-type', Values: ['prefix-list'] }, { Name: 'tag:owner', Values: ['n*'] }] }).Tags)
      .toEqual([{ Key: 'owner', ResourceId: PrefixList.PrefixListId, ResourceType: 'prefix-list', Value: 'net' }]);
    expect(ec2Error(() => s.describeTags({ Filters: [{ Name: 'colour', Values: ['x'] }] })).code).toBe('InvalidParameterValue');
  });

  it('refuses a 51st tag on a resource', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC });
    s.createTags({ Resources: [GroupId], Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: '' })) });
    s.createTags({ Resources: [GroupId], Tags: [{ Key: 'k0', Value: 'overwritten' }] });
    expect(ec2Error(() => s.createTags({ Resources: [GroupId], Tags: [{ Key: 'k50', Value: '' }] })).code).toBe('TagLimitExceeded');
    expect(s.describeTags({ Filters: [{ Name: 'key', Values: ['k0'] }] }).Tags[0]!.Value).toBe('overwritten');
  });

  it('delete-tags by key, by key and value, and all of them', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC });
    s.createTags({ Resources: [GroupId], Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }] });
    s.deleteTags({ Resources: [GroupId], Tags: [{ Key: 'b', Value: 'not-2' }] });
    s.deleteTags({ Resources: [GroupId], Tags: [{ Key: 'a' }] });
    expect(s.describeSecurityGroups({ GroupIds: [GroupId] }).SecurityGroups[0]!.Tags).toEqual([{ Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }]);
    s.deleteTags({ Resources: [GroupId], Tags: [{ Key: 'b', Value: '2' }] });
    expect(s.describeSecurityGroups({ GroupIds: [GroupId] }).SecurityGroups[0]!.Tags).toEqual([{ Key: 'c', Value: '3' }]);
    s.deleteTags({ Resources: [GroupId] });
    expect(s.describeSecurityGroups({ GroupIds: [GroupId] }).SecurityGroups[0]!.Tags).toBeUndefined();
  });

  it('refuses unknown resources, reserved keys and a wrong TagSpecification type, changing nothing', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC });
    const v = s.version;
    expect(ec2Error(() => s.createTags({ Resources: [GroupId, 'sg-0000000000000ffff'], Tags: [{ Key: 'k', Value: 'v' }] })).code).toBe('InvalidGroup.NotFound');
    expect(ec2Error(() => s.createTags({ Resources: ['i-1234'], Tags: [{ Key: 'k', Value: 'v' }] })).code).toBe('InvalidID');
    expect(ec2Error(() => s.createTags({ Resources: [GroupId], Tags: [{ Key: 'aws:x', Value: 'v' }] })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.createTags({ Resources: ['vpc-abcdef'], Tags: [{ Key: 'k', Value: 'v' }] })).code).toBe('InvalidVpcID.NotFound');
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'b', Description: 'b', TagSpecifications: [{ ResourceType: 'vpc', Tags: [] }] })).code).toBe('InvalidParameterValue');
    expect(s.version).toBe(v);
    expect(s.describeTags().Tags).toEqual([]);
  });
});

describe('create-vpc, delete-vpc and describe-vpcs', () => {
  it('a new VPC has its default group and shows in describe-vpcs beside the default VPC', () => {
    const s = newService();
    const { Vpc } = s.createVpc({ CidrBlock: '10.1.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'lab' }] }] });
    expect(Vpc).toEqual({
      VpcId: Vpc.VpcId, State: 'available', CidrBlock: '10.1.0.0/16', DhcpOptionsId: 'default',
      CidrBlockAssociationSet: [{ AssociationId: `vpc-cidr-assoc-${Vpc.VpcId.slice(4)}`, CidrBlock: '10.1.0.0/16', CidrBlockState: { State: 'associated' } }],
      OwnerId: s.accountId, InstanceTenancy: 'default', IsDefault: false, Tags: [{ Key: 'Name', Value: 'lab' }],
    });
    expect(Vpc.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    const groups = s.describeSecurityGroups({ Filters: [{ Name: 'vpc-id', Values: [Vpc.VpcId] }] }).SecurityGroups;
    expect(groups.map((g) => g.GroupName)).toEqual(['default']);
    expect(s.describeVpcs().Vpcs.map((v) => [v.VpcId, v.IsDefault])).toEqual([[DEFAULT_VPC_ID, true], [Vpc.VpcId, false]]);
    expect(s.describeVpcs({ Filters: [{ Name: 'is-default', Values: ['true'] }] }).Vpcs.map((v) => v.VpcId)).toEqual([DEFAULT_VPC_ID]);
    expect(s.describeVpcs({ VpcIds: [Vpc.VpcId] }).Vpcs).toEqual([Vpc]);
    expect(s.describeVpcs({ Filters: [{ Name: 'tag:Name', Values: ['lab'] }] }).Vpcs.map((v) => v.VpcId)).toEqual([Vpc.VpcId]);
    expect(s.describeVpcs({ Filters: [{ Name: 'cidr', Values: ['10.1.*'] }, { Name: 'state', Values: ['available'] }] }).Vpcs.map((v) => v.VpcId)).toEqual([Vpc.VpcId]);
    // no DHCP options sets in sgfw: every VPC shows EC2's `default`
    expect(s.describeVpcs({ Filters: [{ Name: 'dhcp-options-id', Values: ['dopt-*'] }] }).Vpcs).toEqual([]);
    expect(s.describeVpcs({ Filters: [{ Name: 'dhcp-options-id', Values: ['default'] }] }).Vpcs).toHaveLength(2);
    expect(s.describeVpcs({ Filters: [{ Name: 'cidr-block-association.association-id', Values: [`vpc-cidr-assoc-${Vpc.VpcId.slice(4)}`] }] }).Vpcs.map((v) => v.VpcId)).toEqual([Vpc.VpcId]);
    expect(ec2Error(() => s.describeVpcs({ Filters: [{ Name: 'colour', Values: ['x'] }] })).code).toBe('InvalidParameterValue');
  });

  it('refuses to delete a VPC with groups or interfaces, then deletes it with its default group', () => {
    const s = newService();
    const { Vpc } = s.createVpc({ CidrBlock: '10.2.0.0/24' });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'app', Description: 'app', VpcId: Vpc.VpcId });
    expect(ec2Error(() => s.deleteVpc({ VpcId: Vpc.VpcId })).code).toBe('DependencyViolation');
    s.deleteSecurityGroup({ GroupId });
    s.registerNetworkInterface({ VpcId: Vpc.VpcId, PrivateIpAddress: '10.2.0.5' });
    expect(ec2Error(() => s.deleteVpc({ VpcId: Vpc.VpcId })).code).toBe('DependencyViolation');
    const eni = s.describeNetworkInterfaces().NetworkInterfaces[0]!.NetworkInterfaceId;
    s.deregisterNetworkInterface({ NetworkInterfaceId: eni });
    expect(s.deleteVpc({ VpcId: Vpc.VpcId })).toEqual({ Return: true });
    expect(s.describeSecurityGroups({ Filters: [{ Name: 'vpc-id', Values: [Vpc.VpcId] }] }).SecurityGroups).toEqual([]);
    expect(ec2Error(() => s.describeVpcs({ VpcIds: [Vpc.VpcId] })).code).toBe('InvalidVpcID.NotFound');
  });

  it('holds five VPCs by default, the default VPC among them (VpcLimitExceeded); the quota is a Limit', () => {
    const s = newService();
    for (let i = 0; i < 4; i++) s.createVpc({ CidrBlock: `10.${i}.0.0/16` });
    const e = ec2Error(() => s.createVpc({ CidrBlock: '10.9.0.0/16' }));
    expect([e.code, e.message]).toEqual(['VpcLimitExceeded', 'The maximum number of VPCs has been reached.']);
    expect(s.describeVpcs().Vpcs).toHaveLength(5);
    // a VPC that came to be on first use counts as well, and a deleted one frees its place
    const t = newService();
    t.createSecurityGroup({ GroupName: 'g', Description: 'g', VpcId: VPC });
    const made = [0, 1, 2].map((i) => t.createVpc({ CidrBlock: `10.${i}.0.0/16` }).Vpc.VpcId);
    expect(ec2Error(() => t.createVpc({ CidrBlock: '10.9.0.0/16' })).code).toBe('VpcLimitExceeded');
    t.deleteVpc({ VpcId: made[0] });
    t.createVpc({ CidrBlock: '10.9.0.0/16' });
    const raised = newService({ vpcsPerRegion: 50 });
    for (let i = 0; i < 49; i++) raised.createVpc({ CidrBlock: `10.${i}.0.0/16` });
    expect(ec2Error(() => raised.createVpc({ CidrBlock: '10.99.0.0/16' })).code).toBe('VpcLimitExceeded');
  });

  it('answers EC2 errors for a bad CIDR, a malformed or unknown id', () => {
    const s = newService();
    expect(ec2Error(() => s.createVpc({ CidrBlock: '10.0.0.0/8' })).code).toBe('InvalidVpc.Range');
    expect(ec2Error(() => s.createVpc({})).code).toBe('MissingParameter');
    expect(ec2Error(() => s.deleteVpc({ VpcId: 'vpc-xyz' })).code).toBe('InvalidVpcId.Malformed');
    expect(ec2Error(() => s.deleteVpc({ VpcId: 'vpc-12345' })).code).toBe('InvalidVpcID.NotFound');
  });
});

describe('describe-prefix-lists shows the region’s AWS-managed stand-in lists', () => {
  it('lists s3 and dynamodb for us-east-1 with documentation ranges, and filters by name', () => {
    const s = newService();
    const all = s.describePrefixLists().PrefixLists;
    expect(all.map((p) => p.PrefixListName)).toEqual(['com.amazonaws.us-east-1.s3', 'com.amazonaws.us-east-1.dynamodb']);
    for (const p of all) {
      expect(p.PrefixListId).toMatch(/^pl-[0-9a-f]{8}$/);
      for (const c of p.Cidrs) expect(c).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\./);
    }
    const s3 = s.describePrefixLists({ Filters: [{ Name: 'prefix-list-name', Values: ['*.s3'] }] }).PrefixLists;
    expect(s3.map((p) => p.PrefixListId)).toEqual([all[0]!.PrefixListId]);
    expect(ec2Error(() => s.describePrefixLists({ PrefixListIds: ['pl-00000000'] })).code).toBe('InvalidPrefixListID.NotFound');
  });
});

describe('a rule may reference an AWS-managed prefix list', () => {
  it('the s3 list resolves for the dataplane, is not stale, and survives export and import', () => {
    const s = newService();
    const s3 = s.describePrefixLists({ Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.us-east-1.s3'] }] }).PrefixLists[0]!;
    const { GroupId } = s.createSecurityGroup({ GroupName: 'to-s3', Description: 'to-s3', VpcId: VPC });
    const { SecurityGroupRules } = s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: s3.PrefixListId }] }] });
    expect(SecurityGroupRules[0]).toMatchObject({ PrefixListId: s3.PrefixListId });
    expect(SecurityGroupRules[0]!.Stale).toBeUndefined();
    expect(s.prefixList(s3.PrefixListId)?.entries.map((e) => e.cidr)).toEqual(s3.Cidrs);
    const copy = newService();
    copy.importSnapshot(structuredClone(s.exportSnapshot()));
    expect(copy.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: [GroupId] }] }).SecurityGroupRules.some((r) => r.Stale)).toBe(false);
    expect(s.exportSnapshot().PrefixLists).toEqual([]);
    // EC2 describes AWS-managed lists with the account's own (owner AWS: ec2-fidelity.test.ts), and refuses to delete them
    expect(s.describeManagedPrefixLists().PrefixLists.map((p) => p.OwnerId)).toEqual(['AWS', 'AWS']);
    expect(ec2Error(() => s.deleteManagedPrefixList({ PrefixListId: s3.PrefixListId })).code).toBe('UnauthorizedOperation');
  });

  it('a service made for another region has that region’s lists', () => {
    const s = new SecurityGroupService({ region: 'eu-west-1' });
    expect(s.describePrefixLists().PrefixLists.map((p) => p.PrefixListName)).toEqual(['com.amazonaws.eu-west-1.s3', 'com.amazonaws.eu-west-1.dynamodb']);
  });
});

describe('every describe-security-groups filter EC2 documents', () => {
  it('ip-permission.group-name and egress.ip-permission.* match referenced groups and ranges', () => {
    const s = newService();
    const { GroupId: db } = s.createSecurityGroup({ GroupName: 'db', Description: 'db', VpcId: VPC });
    const { GroupId: app } = s.createSecurityGroup({ GroupName: 'app', Description: 'app', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId: db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: app }] }] });
    s.authorizeSecurityGroupEgress({ GroupId: app, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] });
    const ids = (name: string, value: string) => s.describeSecurityGroups({ Filters: [{ Name: name, Values: [value] }] }).SecurityGroups.map((g) => g.GroupId);
    expect(ids('ip-permission.group-name', 'app')).toEqual([db]);
    expect(ids('ip-permission.group-id', app)).toEqual([db]);
    expect(ids('ip-permission.user-id', s.accountId)).toContain(db);
    expect(ids('egress.ip-permission.ipv6-cidr', '::/0')).toEqual([app]);
    expect(ids('egress.ip-permission.to-port', '443')).toEqual([app]);
    expect(ids('egress.ip-permission.protocol', 'tcp')).toEqual([app]);
    expect(ids('egress.ip-permission.group-name', 'app')).toEqual([]);
    for (const name of ['owner-id', 'vpc-id', 'group-name', 'group-id', 'description', 'tag:x', 'tag-key', 'ip-permission.cidr', 'ip-permission.from-port',
      'ip-permission.prefix-list-id', 'egress.ip-permission.cidr', 'egress.ip-permission.from-port', 'egress.ip-permission.group-id',
      'egress.ip-permission.prefix-list-id', 'egress.ip-permission.user-id', 'ip-permission.ipv6-cidr', 'ip-permission.protocol', 'ip-permission.to-port']) {
      expect(() => s.describeSecurityGroups({ Filters: [{ Name: name, Values: ['*'] }] }), name).not.toThrow();
    }
  });
});

describe('the durable store journals the new mutating actions and not the reads', () => {
  it('read-only: DescribeTags, DescribeVpcs, DescribePrefixLists; mutating: the rest', () => {
    for (const a of ['DescribeTags', 'DescribeVpcs', 'DescribePrefixLists']) expect(isReadOnlyAction(a)).toBe(true);
    for (const a of ['CreateTags', 'DeleteTags', 'CreateVpc', 'DeleteVpc', 'ModifySecurityGroupRules']) expect(isReadOnlyAction(a)).toBe(false);
  });
});

describe('tags on security group rules (as Terraform’s per-rule resources use them)', () => {
  it('authorize with TagSpecifications, tag and untag by rule id, filter, and keep them through modify and export', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'r', Description: 'r', VpcId: VPC });
    const { SecurityGroupRules } = s.authorizeSecurityGroupIngress({
      GroupId, IpPermissions: [tcp(22, '10.0.0.0/8'), { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId }] }],
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'Name', Value: 'ssh' }] }],
    });
    expect(SecurityGroupRules.map((r) => r.Tags)).toEqual([[{ Key: 'Name', Value: 'ssh' }], [{ Key: 'Name', Value: 'ssh' }]]);
    const [ssh, self] = SecurityGroupRules.map((r) => r.SecurityGroupRuleId) as [string, string];
    s.createTags({ Resources: [self], Tags: [{ Key: 'Name', Value: 'self' }] });
    s.deleteTags({ Resources: [ssh], Tags: [{ Key: 'Name', Value: 'other' }] });
    const named = (v: string) => s.describeSecurityGroupRules({ Filters: [{ Name: 'tag:Name', Values: [v] }] }).SecurityGroupRules.map((r) => r.SecurityGroupRuleId);
    expect(named('ssh')).toEqual([ssh]);
    expect(named('self')).toEqual([self]);
    expect(s.describeTags({ Filters: [{ Name: 'resource-type', Values: ['security-group-rule'] }] }).Tags.map((t) => [t.ResourceId, t.Value])).toEqual([[ssh, 'ssh'], [self, 'self']]);
    s.modifySecurityGroupRules({ GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: ssh, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 23, ToPort: 23, CidrIpv4: '10.0.0.0/8' } }] });
    expect(named('ssh')).toEqual([ssh]);
    const copy = newService();
    copy.importSnapshot(structuredClone(s.exportSnapshot()));
    const tagsOf = (svc: SecurityGroupService) => svc.describeSecurityGroupRules().SecurityGroupRules.map((r) => [r.IpProtocol, r.FromPort, r.Tags]);
    expect(tagsOf(copy)).toEqual(tagsOf(s));
    expect(ec2Error(() => s.createTags({ Resources: ['sgr-0000000000000ffff'], Tags: [{ Key: 'k', Value: 'v' }] })).code).toBe('InvalidSecurityGroupRuleId.NotFound');
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(25, '10.0.0.0/8')], TagSpecifications: [{ ResourceType: 'security-group', Tags: [] }] })).code).toBe('InvalidParameterValue');
  });
});
