import { describe, expect, it } from 'vitest';
import { Ec2PathError } from '../../src/model/ec2-error.js';
import type { SnapshotDocument } from '../../src/model/types.js';
import { ec2Error, newService, tcp, VPC } from './helpers.js';

const OWNER = '111122223333';

/** A state file as the AWS CLI prints it, groups referencing each other in any order. */
function doc(): SnapshotDocument {
  return {
    SecurityGroups: [
      {
        GroupId: 'sg-0f1e2d3c4b5a60002', GroupName: 'app', Description: 'App tier', OwnerId: OWNER, VpcId: VPC,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [],
          UserIdGroupPairs: [{ GroupId: 'sg-455b6c31', UserId: OWNER }] }],
        IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }],
      },
      {
        GroupId: 'sg-455b6c31', GroupName: 'WebServers', Description: 'web', OwnerId: OWNER, VpcId: VPC,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: 'pl-0e1e2e3e4e5e60001', Description: 'office' }] },
        ],
        IpPermissionsEgress: [],
      },
      {
        GroupId: 'sg-51530134', GroupName: 'default', Description: 'default VPC security group', OwnerId: OWNER, VpcId: VPC,
        IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-51530134', UserId: OWNER }] }],
        IpPermissionsEgress: [],
      },
    ],
    NetworkInterfaces: [{
      NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', VpcId: VPC, PrivateIpAddress: '10.0.1.5',
      PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.5', Primary: true }, { PrivateIpAddress: '10.0.1.6', Primary: false }],
      Ipv6Addresses: [], Groups: [{ GroupId: 'sg-455b6c31', GroupName: 'WebServers' }],
    }],
    PrefixLists: [{
      PrefixListId: 'pl-0e1e2e3e4e5e60001', AddressFamily: 'IPv4', PrefixListName: 'office', MaxEntries: 3, Version: 4, OwnerId: OWNER,
      Entries: [{ Cidr: '203.0.113.0/24' }],
    }],
  };
}

describe('importing AWS CLI JSON', () => {
  it('keeps the document\'s ids, owners and references in any order', () => {
    const s = newService();
    expect(s.importSnapshot(doc())).toEqual({ SecurityGroups: 3, NetworkInterfaces: 1, PrefixLists: 1 });
    expect(s.group('sg-455b6c31')).toMatchObject({ groupName: 'WebServers', ownerId: OWNER, vpcId: VPC });
    expect(s.group('sg-0f1e2d3c4b5a60002')!.ingress[0]!.peer).toEqual({ kind: 'group', groupId: 'sg-455b6c31', userId: OWNER });
    expect(s.prefixList('pl-0e1e2e3e4e5e60001')).toMatchObject({ version: 4, entries: [{ cidr: '203.0.113.0/24' }] });
    expect([...s.interfaces()][0]).toMatchObject({ privateIpv4: ['10.0.1.5', '10.0.1.6'], groupIds: ['sg-455b6c31'] });
    expect(s.version).toBe(1);
  });

  it('a group named default is its VPC\'s default group, with exactly the imported rules', () => {
    const s = newService();
    s.importSnapshot(doc());
    expect(s.group('sg-51530134')!.egress).toHaveLength(0);
    expect(ec2Error(() => s.deleteSecurityGroup({ GroupId: 'sg-51530134' })).code).toBe('CannotDelete');
    // later calls in that VPC do not invent a second default group
    s.createSecurityGroup({ GroupName: 'more', Description: 'm', VpcId: VPC });
    expect([...s.groups()].filter((g) => g.groupName === 'default')).toHaveLength(1);
  });

  it('a rule referencing a group nobody has is kept and reported stale', () => {
    const d = doc();
    d.SecurityGroups![1]!.IpPermissions!.push({ IpProtocol: 'udp', FromPort: 53, ToPort: 53, UserIdGroupPairs: [{ GroupId: 'sg-0000000000000dead', UserId: OWNER }] });
    const s = newService();
    s.importSnapshot(d);
    const stale = s.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: ['sg-455b6c31'] }] }).SecurityGroupRules.filter((r) => r.Stale);
    expect(stale.map((r) => r.ReferencedGroupInfo?.GroupId)).toEqual(['sg-0000000000000dead']);
    expect(s.group('sg-455b6c31')!.ingress).toHaveLength(3);
  });

  it('a semantic error names the JSON path and imports nothing', () => {
    const d = doc();
    d.SecurityGroups![1]!.IpPermissions![0]!.IpRanges!.push({ CidrIp: '10.0.0.1/24' });
    const s = newService();
    const e = ec2Error(() => s.importSnapshot(d));
    expect(e).toBeInstanceOf(Ec2PathError);
    expect((e as Ec2PathError).path).toBe('SecurityGroups[1].IpPermissions[0].IpRanges[1].CidrIp');
    expect(e.message).toBe('CIDR block 10.0.0.1/24 is malformed');
    expect([...s.groups()]).toHaveLength(0);
    expect(s.prefixList('pl-0e1e2e3e4e5e60001')).toBeUndefined();
    expect(s.version).toBe(0);
  });

  it('paths for other mistakes: interface groups, duplicate names, prefix list entries', () => {
    const path = (mutate: (d: SnapshotDocument) => void) => {
      const d = doc();
      mutate(d);
      return (ec2Error(() => newService().importSnapshot(d)) as Ec2PathError).path;
    };
    expect(path((d) => { d.NetworkInterfaces![0]!.Groups = [{ GroupId: 'sg-0000000000000dead' }]; })).toBe('NetworkInterfaces[0].Groups[0].GroupId');
    expect(path((d) => { d.SecurityGroups![0]!.GroupName = 'WebServers'; })).toBe('SecurityGroups[1].GroupName');
    expect(path((d) => { d.PrefixLists![0]!.Entries!.push({ Cidr: 'x' }); })).toBe('PrefixLists[0].Entries[1]');
    expect(path((d) => { d.SecurityGroups![2]!.GroupId = 'sg-bad'; })).toBe('SecurityGroups[2].GroupId');
    expect(path((d) => { d.SecurityGroups![0]!.IpPermissions![0]!.FromPort = 70000; })).toBe('SecurityGroups[0].IpPermissions[0].FromPort');
  });
});

describe('export then import gives the same model back', () => {
  it('round-trips groups, rules, interfaces and prefix lists', () => {
    const s = newService();
    s.importSnapshot(doc());
    const { GroupId } = s.createSecurityGroup({ GroupName: 'extra', Description: 'Extra', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(443, '0.0.0.0/0', { Description: 'https' }), { IpProtocol: 'icmpv6', FromPort: 128, ToPort: 0, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] });
    s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-0000000000000beef', UserId: '999988887777' }] }] });
    s.registerNetworkInterface({ NetworkInterfaceId: 'eni-0a1b2c3d4e5f60002', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.7' }], Ipv6Addresses: [{ Ipv6Address: '2001:db8::7' }], Groups: [GroupId], ConnectionTrackingSpecification: { UdpTimeout: 60 } });
    const exported = s.exportSnapshot();
    const copy = newService();
    copy.importSnapshot(JSON.parse(JSON.stringify(exported)) as SnapshotDocument);
    expect(copy.exportSnapshot()).toEqual(exported);
    expect(exported.PrefixLists[0]).toMatchObject({ PrefixListId: 'pl-0e1e2e3e4e5e60001', Version: 4, Entries: [{ Cidr: '203.0.113.0/24' }] });
    expect(exported.NetworkInterfaces[1]!.ConnectionTrackingConfiguration).toEqual({ TcpEstablishedTimeout: 432000, UdpStreamTimeout: 180, UdpTimeout: 60 });
  });

  it('keeps each interface\'s HostId, so one address on two hosts loads again (the state directory\'s snapshot)', () => {
    const s = newService();
    s.registerNetworkInterface({ VpcId: VPC, PrivateIpAddress: '10.0.0.5', HostId: 'h1' });
    s.registerNetworkInterface({ VpcId: 'vpc-0e1f2a3b4c5d6e7f8', PrivateIpAddress: '10.0.0.5', HostId: 'h2' });
    const exported = s.exportSnapshot();
    expect(exported.NetworkInterfaces.map((i) => i.HostId)).toEqual(['h1', 'h2']);
    const copy = newService();
    copy.importSnapshot(JSON.parse(JSON.stringify(exported)) as SnapshotDocument);
    expect(copy.exportSnapshot()).toEqual(exported);
    // DescribeNetworkInterfaces prints EC2's fields only
    expect(s.describeNetworkInterfaces().NetworkInterfaces[0]).not.toHaveProperty('HostId');
  });
});
