import { describe, expect, it } from 'vitest';
import { DEFAULT_VPC_ID } from '../../src/control/service.js';
import { ec2Error, newService, OTHER_VPC, tcp, VPC } from './helpers.js';

describe('every VPC has a default group', () => {
  it('the first use of a VPC id creates it with a default group: inbound from itself, all outbound', () => {
    const s = newService();
    s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC });
    const [dflt] = s.describeSecurityGroups({ Filters: [{ Name: 'vpc-id', Values: [VPC] }, { Name: 'group-name', Values: ['default'] }] }).SecurityGroups;
    expect(dflt).toBeDefined();
    expect(dflt!.IpPermissions).toEqual([
      { IpProtocol: '-1', IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [{ GroupId: dflt!.GroupId, UserId: '123456789012' }] },
    ]);
    expect(dflt!.IpPermissionsEgress).toEqual([
      { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
    expect(dflt!.OwnerId).toBe('123456789012');
  });

  it('an omitted VpcId means the default VPC, whose groups are found by name', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'web' });
    expect(s.group(GroupId)!.vpcId).toBe(DEFAULT_VPC_ID);
    const byName = s.describeSecurityGroups({ GroupNames: ['web', 'default'] }).SecurityGroups.map((g) => g.GroupName);
    expect(byName.sort()).toEqual(['default', 'web']);
    // names resolve in the default VPC only
    s.createSecurityGroup({ GroupName: 'db', Description: 'db', VpcId: VPC });
    expect(ec2Error(() => s.describeSecurityGroups({ GroupNames: ['db'] })).code).toBe('InvalidGroup.NotFound');
  });

  it('the default group cannot be deleted, with the seed message', () => {
    const s = newService();
    s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC });
    const dflt = [...s.groups()].find((g) => g.groupName === 'default')!;
    const e = ec2Error(() => s.deleteSecurityGroup({ GroupId: dflt.groupId }));
    expect(e.code).toBe('CannotDelete');
    expect(e.message).toBe(`the specified group: "${dflt.groupId}" name: "default" cannot be deleted by a user`);
  });

  it('the default group can have its rules changed', () => {
    const s = newService();
    s.createSecurityGroup({ GroupName: 'web', Description: 'web' });
    const dflt = [...s.groups()].find((g) => g.groupName === 'default')!;
    s.revokeSecurityGroupEgress({ GroupId: dflt.groupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    expect(s.group(dflt.groupId)!.egress).toHaveLength(0);
  });
});

describe('a new group allows no inbound and all outbound', () => {
  it('shows its allow-all egress at once', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'Web servers', VpcId: VPC });
    const [g] = s.describeSecurityGroups({ GroupIds: [GroupId] }).SecurityGroups;
    expect(g).toMatchObject({ GroupId, GroupName: 'web', Description: 'Web servers', VpcId: VPC, OwnerId: '123456789012', IpPermissions: [] });
    expect(g!.IpPermissionsEgress).toEqual([{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    expect(GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
  });

  it('names are unique per VPC, not across VPCs', () => {
    const s = newService();
    s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    const e = ec2Error(() => s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC }));
    expect(e.code).toBe('InvalidGroup.Duplicate');
    expect(e.message).toContain(VPC);
    expect(() => s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: OTHER_VPC })).not.toThrow();
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'default', Description: 'd', VpcId: VPC })).code).toBe('InvalidGroup.Duplicate');
  });

  it('refuses bad names and descriptions', () => {
    const s = newService();
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'sg-web', Description: 'w' })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'web', Description: 'ü' })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'web' })).code).toBe('MissingParameter');
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: 'vpc-nope' })).code).toBe('InvalidVpcId.Malformed');
  });
});

describe('authorizing rules', () => {
  it('an IpPermission with several peers becomes one rule per peer, each with its own id', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const { GroupId: app } = s.createSecurityGroup({ GroupName: 'app', Description: 'a' });
    const out = s.authorizeSecurityGroupIngress({
      GroupId,
      IpPermissions: [{
        IpProtocol: 'tcp', FromPort: 443, ToPort: 443,
        IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'office' }, { CidrIp: '198.51.100.7/32' }],
        Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }],
        UserIdGroupPairs: [{ GroupId: app }],
      }],
    });
    expect(out.Return).toBe(true);
    expect(out.SecurityGroupRules).toHaveLength(4);
    expect(new Set(out.SecurityGroupRules.map((r) => r.SecurityGroupRuleId)).size).toBe(4);
    const view = s.group(GroupId)!;
    expect(view.ingress.map((r) => r.peer)).toEqual([
      { kind: 'cidr4', cidr: '203.0.113.0/24' },
      { kind: 'cidr4', cidr: '198.51.100.7/32' },
      { kind: 'cidr6', cidr: '2001:db8::/32' },
      { kind: 'group', groupId: app, userId: '123456789012' },
    ]);
    expect(view.ingress.every((r) => r.protocol === 6 && r.fromPort === 443 && r.toPort === 443)).toBe(true);
    // describe folds them back into one permission, descriptions per peer
    const [g] = s.describeSecurityGroups({ GroupIds: [GroupId] }).SecurityGroups;
    expect(g!.IpPermissions).toEqual([{
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443,
      IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'office' }, { CidrIp: '198.51.100.7/32' }],
      Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }],
      PrefixListIds: [],
      UserIdGroupPairs: [{ GroupId: app, UserId: '123456789012' }],
    }]);
  });

  it('overlapping rules stay distinct (the union is the dataplane\'s job)', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32'), tcp(22, '0.0.0.0/0')] });
    expect(s.group(GroupId)!.ingress).toHaveLength(2);
  });

  it('normalises protocols and ports as EC2 prints them', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({
      GroupId,
      IpPermissions: [
        { IpProtocol: '6', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: 'ICMP', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: '-1', FromPort: 5, ToPort: 9, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        { IpProtocol: '50', IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ],
    });
    const perms = s.describeSecurityGroups({ GroupIds: [GroupId] }).SecurityGroups[0]!.IpPermissions;
    expect(perms.map((p) => [p.IpProtocol, p.FromPort, p.ToPort])).toEqual([
      ['tcp', 80, 80], ['icmp', 8, -1], ['-1', undefined, undefined], ['50', undefined, undefined],
    ]);
    expect(perms[2]).not.toHaveProperty('FromPort');
    const rules = s.group(GroupId)!.ingress;
    expect(rules.map((r) => [r.protocol, r.fromPort, r.toPort])).toEqual([[6, 80, 80], [1, 8, -1], [-1, -1, -1], [50, -1, -1]]);
  });

  it('takes the legacy top-level form the CLI sends for --protocol/--port/--cidr', () => {
    const s = newService();
    s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupName: 'web', IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '203.0.113.1/32' });
    const g = [...s.groups()].find((x) => x.groupName === 'web')!;
    expect(g.ingress[0]).toMatchObject({ protocol: 6, fromPort: 22, peer: { kind: 'cidr4', cidr: '203.0.113.1/32' } });
  });

  it('a duplicate rule gives InvalidPermission.Duplicate, in the same call or against existing rules', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32')] });
    const e = ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32', { Description: 'other' })] }));
    expect(e.code).toBe('InvalidPermission.Duplicate');
    expect(e.message).toBe('the specified rule "peer: 203.0.113.1/32, TCP, from port: 22, to port: 22, ALLOW" already exists');
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(80, '0.0.0.0/0'), tcp(80, '0.0.0.0/0')] })).code)
      .toBe('InvalidPermission.Duplicate');
    // the same rule outbound is a different rule
    expect(() => s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32')] })).not.toThrow();
  });

  it('refuses CIDRs with host bits set, bad protocols and bad ports', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const e = ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '10.0.0.1/24')] }));
    expect([e.code, e.message]).toEqual(['InvalidParameterValue', 'CIDR block 10.0.0.1/24 is malformed']);
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcpx', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(70000, '0.0.0.0/0')] })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, Ipv6Ranges: [{ CidrIpv6: '10.0.0.0/8' }] }] })).code).toBe('InvalidParameterValue');
  });

  it('unknown and malformed groups and peers are refused with EC2 codes', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const nf = ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId: 'sg-0000000000000abcd', IpPermissions: [tcp(22, '0.0.0.0/0')] }));
    expect([nf.code, nf.message]).toEqual(['InvalidGroup.NotFound', "The security group 'sg-0000000000000abcd' does not exist"]);
    const bad = ec2Error(() => s.deleteSecurityGroup({ GroupId: 'x' }));
    expect([bad.code, bad.message]).toEqual(['InvalidGroupId.Malformed', "The security group ID 'x' is malformed"]);
    const peer = { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-0000000000000abcd' }] };
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [peer] })).code).toBe('InvalidGroup.NotFound');
    const pl = { IpProtocol: '-1', PrefixListIds: [{ PrefixListId: 'pl-0000000000000abcd' }] };
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [pl] })).code).toBe('InvalidPrefixListID.NotFound');
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: '-1' }] })).code).toBe('InvalidParameterValue');
  });

  it('a group can reference itself', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId }] }] });
    expect(s.group(GroupId)!.ingress[0]!.peer).toEqual({ kind: 'group', groupId: GroupId, userId: '123456789012' });
    // and a self-reference does not block deleting it
    expect(() => s.deleteSecurityGroup({ GroupId })).not.toThrow();
  });
});

describe('revoking rules', () => {
  it('removes a rule by its content, without needing its description', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32', { Description: 'ssh' }), tcp(80, '0.0.0.0/0')] });
    const ruleId = s.group(GroupId)!.ingress[0]!.ruleId;
    // EC2 lists what it revoked (revokedSecurityGroupRuleSet), the description included
    expect(s.revokeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32')] })).toEqual({
      Return: true,
      RevokedSecurityGroupRules: [{
        SecurityGroupRuleId: ruleId, GroupId, IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '203.0.113.1/32', Description: 'ssh',
      }],
    });
    expect(s.group(GroupId)!.ingress.map((r) => r.fromPort)).toEqual([80]);
  });

  it('revoking a rule that is not there gives InvalidPermission.NotFound in a non-default VPC', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32')] });
    expect(ec2Error(() => s.revokeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(23, '203.0.113.1/32')] })).code).toBe('InvalidPermission.NotFound');
    // inbound rules are not revoked from the outbound side
    expect(ec2Error(() => s.revokeSecurityGroupEgress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32')] })).code).toBe('InvalidPermission.NotFound');
  });

  it('in the default VPC, revokes the rules that exist and answers the others as UnknownIpPermissions (EC2 API reference)', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32'), tcp(80, '0.0.0.0/0')] });
    const ruleId = s.group(GroupId)!.ingress[0]!.ruleId;
    const version = s.version;
    const missing = { IpProtocol: 'tcp', FromPort: 23, ToPort: 23, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
    // only missing rules: success, nothing changes (not even the version)
    expect(s.revokeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(23, '203.0.113.1/32')] })).toEqual({
      Return: true, RevokedSecurityGroupRules: [], UnknownIpPermissions: [{ ...missing, IpRanges: [{ CidrIp: '203.0.113.1/32' }] }],
    });
    expect(s.version).toBe(version);
    expect(s.group(GroupId)!.ingress).toHaveLength(2);
    // one present, one missing: the present one goes
    expect(s.revokeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32'), tcp(23, '198.51.100.0/24')] })).toEqual({
      Return: true,
      RevokedSecurityGroupRules: [{ SecurityGroupRuleId: ruleId, GroupId, IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '203.0.113.1/32' }],
      UnknownIpPermissions: [{ ...missing, IpRanges: [{ CidrIp: '198.51.100.0/24' }] }],
    });
    expect(s.group(GroupId)!.ingress.map((r) => r.fromPort)).toEqual([80]);
    // outbound too; a rule id that names nothing is still an error
    expect(s.revokeSecurityGroupEgress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32')] })).toMatchObject({ Return: true, RevokedSecurityGroupRules: [] });
    expect(ec2Error(() => s.revokeSecurityGroupIngress({ GroupId, SecurityGroupRuleIds: [ruleId] })).code).toBe('InvalidSecurityGroupRuleId.NotFound');
  });

  it('removes rules by SecurityGroupRuleIds', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const { SecurityGroupRules } = s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32'), tcp(80, '0.0.0.0/0')] });
    const id = SecurityGroupRules[0]!.SecurityGroupRuleId;
    s.revokeSecurityGroupIngress({ GroupId, SecurityGroupRuleIds: [id] });
    expect(s.group(GroupId)!.ingress.map((r) => r.ruleId)).not.toContain(id);
    expect(ec2Error(() => s.revokeSecurityGroupIngress({ GroupId, SecurityGroupRuleIds: [id] })).code).toBe('InvalidSecurityGroupRuleId.NotFound');
    expect(ec2Error(() => s.revokeSecurityGroupIngress({ GroupId, SecurityGroupRuleIds: ['r-1'] })).code).toBe('InvalidSecurityGroupRuleId.Malformed');
  });
});

describe('deleting groups', () => {
  it('a group other groups reference cannot be deleted', () => {
    const s = newService();
    const { GroupId: web } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const { GroupId: app } = s.createSecurityGroup({ GroupName: 'app', Description: 'a' });
    s.authorizeSecurityGroupIngress({ GroupId: app, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: web }] }] });
    const e = ec2Error(() => s.deleteSecurityGroup({ GroupId: web }));
    expect([e.code, e.message]).toEqual(['DependencyViolation', `resource ${web} has a dependent object`]);
    s.deleteSecurityGroup({ GroupId: app });
    expect(s.deleteSecurityGroup({ GroupId: web })).toEqual({ Return: true, GroupId: web });
    expect(s.group(web)).toBeUndefined();
  });

  it('a group interfaces use cannot be deleted', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.registerNetworkInterface({ NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5' }], Groups: [GroupId] });
    expect(ec2Error(() => s.deleteSecurityGroup({ GroupId })).code).toBe('DependencyViolation');
    s.deregisterNetworkInterface({ NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001' });
    expect(() => s.deleteSecurityGroup({ GroupName: 'web' })).not.toThrow();
  });
});

describe('quotas', () => {
  it('rules per group, per direction, give RulesPerSecurityGroupLimitExceeded', () => {
    const s = newService({ inboundRulesPerGroup: 3, outboundRulesPerGroup: 2 });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(1, '0.0.0.0/0'), tcp(2, '0.0.0.0/0'), tcp(3, '0.0.0.0/0')] });
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(4, '0.0.0.0/0')] })).code).toBe('RulesPerSecurityGroupLimitExceeded');
    // egress already holds the allow-all rule: one more fits, two do not
    s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [tcp(5, '0.0.0.0/0')] });
    expect(ec2Error(() => s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [tcp(6, '0.0.0.0/0')] })).code).toBe('RulesPerSecurityGroupLimitExceeded');
  });

  it('the default quotas are 60 inbound rules and 2500 groups per VPC', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const ranges = Array.from({ length: 60 }, (_, i) => ({ CidrIp: `10.0.${i}.0/24` }));
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: ranges }] });
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(23, '0.0.0.0/0')] })).code).toBe('RulesPerSecurityGroupLimitExceeded');
    expect(s.limits.groupsPerVpc).toBe(2500);
    expect(s.limits.groupsPerInterface).toBe(5);
  });

  it('groups per VPC give SecurityGroupLimitExceeded (the default group counts)', () => {
    const s = newService({ groupsPerVpc: 3 });
    s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC });
    s.createSecurityGroup({ GroupName: 'b', Description: 'b', VpcId: VPC });
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'c', Description: 'c', VpcId: VPC })).code).toBe('SecurityGroupLimitExceeded');
    expect(() => s.createSecurityGroup({ GroupName: 'c', Description: 'c', VpcId: OTHER_VPC })).not.toThrow();
  });
});

describe('a failing call changes nothing', () => {
  it('an authorize whose second permission is invalid leaves the group as it was', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const before = s.describeSecurityGroups({ GroupIds: [GroupId] });
    const version = s.version;
    const e = ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '0.0.0.0/0'), tcp(80, '10.0.0.1/8')] }));
    expect(e.code).toBe('InvalidParameterValue');
    expect(s.describeSecurityGroups({ GroupIds: [GroupId] })).toEqual(before);
    expect(s.version).toBe(version);
    expect(s.group(GroupId)!.ingress).toHaveLength(0);
  });

  it('a revoke of one present and one missing rule removes neither (outside the default VPC)', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '0.0.0.0/0')] });
    expect(ec2Error(() => s.revokeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '0.0.0.0/0'), tcp(23, '0.0.0.0/0')] })).code).toBe('InvalidPermission.NotFound');
    expect(s.group(GroupId)!.ingress).toHaveLength(1);
  });

  it('a create in a new VPC that fails does not leave the VPC\'s default group behind', () => {
    const s = newService();
    expect(ec2Error(() => s.createSecurityGroup({ GroupName: 'sg-bad', Description: 'x', VpcId: VPC })).code).toBe('InvalidParameterValue');
    expect([...s.groups()]).toHaveLength(0);
    // here the failure comes after the VPC's default group was made in the draft
    const tight = newService({ groupsPerVpc: 1 });
    expect(ec2Error(() => tight.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC })).code).toBe('SecurityGroupLimitExceeded');
    expect([...tight.groups()]).toHaveLength(0);
    expect(tight.version).toBe(0);
  });
});

describe('rule descriptions can be updated', () => {
  it('by permission and by rule id', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const { SecurityGroupRules } = s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32'), tcp(80, '0.0.0.0/0')] });
    s.updateSecurityGroupRuleDescriptionsIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32', { Description: 'office ssh' })] });
    s.updateSecurityGroupRuleDescriptionsIngress({
      GroupId, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: SecurityGroupRules[1]!.SecurityGroupRuleId, Description: 'http' }],
    });
    expect(s.group(GroupId)!.ingress.map((r) => r.description)).toEqual(['office ssh', 'http']);
    expect(ec2Error(() => s.updateSecurityGroupRuleDescriptionsEgress({ GroupId, IpPermissions: [tcp(22, '203.0.113.1/32', { Description: 'x' })] })).code)
      .toBe('InvalidPermission.NotFound');
  });
});

describe('describing groups and rules', () => {
  function fixture() {
    const s = newService();
    const { GroupId: web } = s.createSecurityGroup({ GroupName: 'web-prod', Description: 'Web tier', VpcId: VPC });
    const { GroupId: db } = s.createSecurityGroup({ GroupName: 'db-prod', Description: 'Database', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId: web, IpPermissions: [tcp(443, '0.0.0.0/0')] });
    s.authorizeSecurityGroupIngress({ GroupId: db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: web }] }] });
    return { s, web, db };
  }
  const names = (r: { SecurityGroups: { GroupName: string }[] }) => r.SecurityGroups.map((g) => g.GroupName).sort();

  it('filters by name with wildcards, by vpc, description and rule fields', () => {
    const { s, web } = fixture();
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'group-name', Values: ['*-prod'] }] }))).toEqual(['db-prod', 'web-prod']);
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'group-name', Values: ['we?-prod'] }] }))).toEqual(['web-prod']);
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'description', Values: ['Data*'] }] }))).toEqual(['db-prod']);
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'ip-permission.cidr', Values: ['0.0.0.0/0'] }] }))).toEqual(['web-prod']);
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'ip-permission.from-port', Values: ['5432'] }] }))).toEqual(['db-prod']);
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'ip-permission.group-id', Values: [web] }] }))).toEqual(['db-prod']);
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'ip-permission.protocol', Values: ['6'] }] }))).toEqual(['db-prod', 'web-prod']);
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'egress.ip-permission.cidr', Values: ['0.0.0.0/0'] }, { Name: 'vpc-id', Values: [VPC] }] })))
      .toEqual(['db-prod', 'default', 'web-prod']);
    expect(names(s.describeSecurityGroups({ Filters: [{ Name: 'owner-id', Values: ['999999999999'] }] }))).toEqual([]);
    expect(ec2Error(() => s.describeSecurityGroups({ Filters: [{ Name: 'colour', Values: ['x'] }] })).code).toBe('InvalidParameterValue');
  });

  it('an unknown id in GroupIds fails the whole call', () => {
    const { s, web } = fixture();
    expect(ec2Error(() => s.describeSecurityGroups({ GroupIds: [web, 'sg-00000000000000fff'] })).code).toBe('InvalidGroup.NotFound');
  });

  it('describe-security-group-rules lists rules with ids, filtered by group and rule id', () => {
    const { s, web, db } = fixture();
    const rules = s.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: [db] }] }).SecurityGroupRules;
    expect(rules).toHaveLength(2);
    const inbound = rules.find((r) => !r.IsEgress)!;
    expect(inbound).toMatchObject({
      GroupId: db, GroupOwnerId: '123456789012', IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432,
      ReferencedGroupInfo: { GroupId: web, UserId: '123456789012' },
    });
    expect(inbound.Stale).toBeUndefined();
    const byId = s.describeSecurityGroupRules({ SecurityGroupRuleIds: [inbound.SecurityGroupRuleId] }).SecurityGroupRules;
    expect(byId).toEqual([inbound]);
    const egress = rules.find((r) => r.IsEgress)!;
    expect([egress.IpProtocol, egress.FromPort, egress.ToPort, egress.CidrIpv4]).toEqual(['-1', -1, -1, '0.0.0.0/0']);
  });
});

describe('stale references are reported, not dropped', () => {
  it('a rule naming another account\'s group is kept and stale', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: 'sg-0000000000000beef', UserId: '210987654321' }] }] });
    const [rule] = s.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: [GroupId] }] }).SecurityGroupRules.filter((r) => !r.IsEgress);
    expect(rule).toMatchObject({ Stale: true, ReferencedGroupInfo: { GroupId: 'sg-0000000000000beef', UserId: '210987654321' } });
    const pair = s.describeSecurityGroups({ GroupIds: [GroupId] }).SecurityGroups[0]!.IpPermissions[0]!.UserIdGroupPairs![0];
    expect(pair).toEqual({ GroupId: 'sg-0000000000000beef', UserId: '210987654321', PeeringStatus: 'deleted' });
    expect(s.group(GroupId)!.ingress).toHaveLength(1);
  });
});
