// EC2's quotas as the VPC user guide states them and with EC2's own codes and wording (the sources
// are quoted in src/model/errors.ts and src/control/actions/rules.ts).
import { describe, expect, it } from 'vitest';
import { ec2Error, newService, VPC } from '../helpers.js';

const v4 = (n: number, third = 0) => Array.from({ length: n }, (_, i) => ({ CidrIp: `10.${third}.${i}.0/24` }));
const v6 = (n: number) => Array.from({ length: n }, (_, i) => ({ CidrIpv6: `2001:db8:${i.toString(16)}::/48` }));
const perm = (port: number, extra: Record<string, unknown>) => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, ...extra });

describe('rules per group are counted for IPv4 and IPv6 separately', () => {
  it('a group holds 3 IPv4 and 3 IPv6 inbound rules under a quota of 3; a 4th of either family is refused', () => {
    const s = newService({ inboundRulesPerGroup: 3 });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [perm(22, { IpRanges: v4(3), Ipv6Ranges: v6(3) })] });
    for (const extra of [{ IpRanges: v4(1, 9) }, { Ipv6Ranges: [{ CidrIpv6: '2001:db8:ff::/48' }] }]) {
      const e = ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [perm(23, extra)] }));
      expect([e.code, e.message]).toEqual(['RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.']);
    }
  });

  it('a group reference counts once in each family', () => {
    const s = newService({ inboundRulesPerGroup: 2 });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    const { GroupId: peer } = s.createSecurityGroup({ GroupName: 'db', Description: 'd', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [perm(22, { UserIdGroupPairs: [{ GroupId: peer }], IpRanges: v4(1) })] });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [perm(22, { Ipv6Ranges: v6(1) })] });
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [perm(23, { Ipv6Ranges: v6(1) })] })).code)
      .toBe('RulesPerSecurityGroupLimitExceeded');
  });

  it('a prefix list counts as its MaxEntries in its own family only', () => {
    const s = newService({ inboundRulesPerGroup: 5 });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    const pl6 = s.createManagedPrefixList({ PrefixListName: 'six', AddressFamily: 'IPv6', MaxEntries: 5 }).PrefixList.PrefixListId;
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [perm(22, { PrefixListIds: [{ PrefixListId: pl6 }], IpRanges: v4(5) })] });
    expect(ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [perm(23, { Ipv6Ranges: v6(1) })] })).code)
      .toBe('RulesPerSecurityGroupLimitExceeded');
    // growing the list past what the groups using it can hold is refused, and changes nothing
    const { GroupId: g2 } = s.createSecurityGroup({ GroupName: 'api', Description: 'a', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId: g2, IpPermissions: [perm(22, { PrefixListIds: [{ PrefixListId: pl6 }] })] });
    expect(ec2Error(() => s.modifyManagedPrefixList({ PrefixListId: pl6, MaxEntries: 6 })).code).toBe('RulesPerSecurityGroupLimitExceeded');
    expect(s.describeManagedPrefixLists({ PrefixListIds: [pl6] }).PrefixLists[0]!.MaxEntries).toBe(5);
  });

  it('the egress quota counts the same way', () => {
    const s = newService({ outboundRulesPerGroup: 2 });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    // egress holds the allow-all IPv4 rule: one more IPv4 rule fits, and two IPv6 rules
    s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [perm(443, { IpRanges: v4(1), Ipv6Ranges: v6(2) })] });
    expect(ec2Error(() => s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [perm(444, { IpRanges: v4(1, 7) })] })).code)
      .toBe('RulesPerSecurityGroupLimitExceeded');
  });
});

describe('the other quotas answer EC2\'s words', () => {
  it('security groups per VPC names the VPC', () => {
    const s = newService({ groupsPerVpc: 2 });
    s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC });
    const e = ec2Error(() => s.createSecurityGroup({ GroupName: 'b', Description: 'b', VpcId: VPC }));
    expect([e.code, e.message]).toEqual(['SecurityGroupLimitExceeded', `The maximum number of security groups for VPC '${VPC}' has been reached.`]);
  });

  it('VPCs per Region, groups per interface', () => {
    const s = newService({ vpcsPerRegion: 1, groupsPerInterface: 1 });
    const e = ec2Error(() => s.createVpc({ CidrBlock: '10.8.0.0/16' }));
    expect([e.code, e.message]).toEqual(['VpcLimitExceeded', 'The maximum number of VPCs has been reached.']);
    const a = s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC }).GroupId;
    const b = s.createSecurityGroup({ GroupName: 'b', Description: 'b', VpcId: VPC }).GroupId;
    const i = ec2Error(() => s.registerNetworkInterface({ VpcId: VPC, PrivateIpAddress: '10.0.0.5', Groups: [a, b] }));
    expect([i.code, i.message]).toEqual(['SecurityGroupsPerInterfaceLimitExceeded', 'The maximum number of security groups per interface has been reached.']);
  });

  it('a prefix list\'s MaxEntries is 1 to 1000, and a request adds or removes at most 100 entries', () => {
    const s = newService();
    for (const MaxEntries of [0, 1001]) {
      const e = ec2Error(() => s.createManagedPrefixList({ PrefixListName: 'p', AddressFamily: 'IPv4', MaxEntries }));
      expect([e.code, e.message]).toEqual(['InvalidParameterValue', 'Must specify a max size between 1 and 1000']);
    }
    const many = Array.from({ length: 101 }, (_, i) => ({ Cidr: `10.4.${i}.0/24` }));
    const e = ec2Error(() => s.createManagedPrefixList({ PrefixListName: 'p', AddressFamily: 'IPv4', MaxEntries: 200, Entries: many }));
    expect([e.code, e.message]).toEqual(['InvalidParameterValue', 'The number of entries per request cannot exceeds limit (100).']);
    const id = s.createManagedPrefixList({ PrefixListName: 'p', AddressFamily: 'IPv4', MaxEntries: 200, Entries: many.slice(0, 100) }).PrefixList.PrefixListId;
    expect(ec2Error(() => s.modifyManagedPrefixList({ PrefixListId: id, CurrentVersion: 1, AddEntries: many })).message)
      .toBe('The number of entries per request cannot exceeds limit (100).');
    expect(ec2Error(() => s.modifyManagedPrefixList({ PrefixListId: id, CurrentVersion: 1, RemoveEntries: many })).message)
      .toBe('The number of entries per request cannot exceeds limit (100).');
    s.modifyManagedPrefixList({ PrefixListId: id, CurrentVersion: 1, AddEntries: many.slice(100) });
    expect(s.prefixList(id)!.entries).toHaveLength(101);
  });
});
