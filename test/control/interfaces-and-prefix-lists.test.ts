import { describe, expect, it } from 'vitest';
import { ec2Error, newService, OTHER_VPC, tcp, VPC } from './helpers.js';

const ENI = 'eni-0a1b2c3d4e5f60001';

describe('registering network interfaces', () => {
  it('keeps primary and secondary IPv4, IPv6, groups and conntrack timeouts, printed as EC2 does', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    const out = s.registerNetworkInterface({
      NetworkInterfaceId: ENI,
      PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.9' }, { PrivateIpAddress: '10.0.0.5', Primary: true }],
      Ipv6Addresses: [{ Ipv6Address: '2001:DB8::5' }],
      Groups: [{ GroupId }],
      ConnectionTrackingSpecification: { TcpEstablishedTimeout: 3600 },
    });
    expect(out.NetworkInterface).toEqual({
      NetworkInterfaceId: ENI,
      VpcId: VPC,
      // EC2's fields of an answer; a registered interface is enforced wherever it is loaded: in use
      OwnerId: '123456789012',
      RequesterManaged: false,
      Status: 'in-use',
      InterfaceType: 'interface',
      SourceDestCheck: true,
      TagSet: [],
      PrivateIpAddress: '10.0.0.5',
      PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5', Primary: true }, { PrivateIpAddress: '10.0.0.9', Primary: false }],
      Ipv6Addresses: [{ Ipv6Address: '2001:db8::5' }],
      Groups: [{ GroupId, GroupName: 'web' }],
      ConnectionTrackingConfiguration: { TcpEstablishedTimeout: 3600, UdpStreamTimeout: 180, UdpTimeout: 30 },
    });
    const [view] = [...s.interfaces()];
    expect(view).toMatchObject({ interfaceId: ENI, vpcId: VPC, privateIpv4: ['10.0.0.5', '10.0.0.9'], ipv6: ['2001:db8::5'], groupIds: [GroupId] });
    expect(view!.conntrack).toEqual({ tcpEstablished: 3600, udpStream: 180, udp: 30 });
    expect(s.describeNetworkInterfaces({ Filters: [{ Name: 'group-id', Values: [GroupId] }] }).NetworkInterfaces).toEqual([out.NetworkInterface]);
  });

  it('without groups joins its VPC\'s default group', () => {
    const s = newService();
    s.registerNetworkInterface({ NetworkInterfaceId: ENI, VpcId: VPC, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5' }] });
    const dflt = [...s.groups()].find((g) => g.groupName === 'default' && g.vpcId === VPC)!;
    expect([...s.interfaces()][0]!.groupIds).toEqual([dflt.groupId]);
  });

  it('refuses more than 5 groups, groups of another VPC, bad timeouts and addresses in use', () => {
    const s = newService();
    const ids = Array.from({ length: 6 }, (_, i) => s.createSecurityGroup({ GroupName: `g${i}`, Description: 'g', VpcId: VPC }).GroupId);
    const base = { NetworkInterfaceId: ENI, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5' }] };
    expect(ec2Error(() => s.registerNetworkInterface({ ...base, Groups: ids })).code).toBe('SecurityGroupsPerInterfaceLimitExceeded');
    const other = s.createSecurityGroup({ GroupName: 'o', Description: 'o', VpcId: OTHER_VPC }).GroupId;
    expect(ec2Error(() => s.registerNetworkInterface({ ...base, Groups: [ids[0], other] })).code).toBe('InvalidParameter');
    expect(ec2Error(() => s.registerNetworkInterface({ ...base, Groups: [ids[0]], ConnectionTrackingSpecification: { UdpTimeout: 61 } })).code).toBe('InvalidParameterValue');
    s.registerNetworkInterface({ ...base, Groups: ids.slice(0, 5) });
    expect(ec2Error(() => s.registerNetworkInterface({ ...base, Groups: [ids[0]] })).code).toBe('InvalidNetworkInterfaceId.Duplicate');
    expect(ec2Error(() => s.registerNetworkInterface({ ...base, NetworkInterfaceId: 'eni-0a1b2c3d4e5f60002', Groups: [ids[0]] })).code).toBe('InvalidIPAddress.InUse');
    expect(ec2Error(() => s.registerNetworkInterface({ PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.256' }] })).code).toBe('InvalidParameterValue');
  });

  describe('one address, one interface per enforcement point (issue 15)', () => {
    const at = (address: string, extra: Record<string, unknown>) => ({ PrivateIpAddresses: [{ PrivateIpAddress: address }], ...extra });

    it('a second interface with the address is refused in another VPC too, when either has no host', () => {
      const s = newService();
      const first = s.registerNetworkInterface(at('10.0.0.5', { VpcId: VPC })).NetworkInterface.NetworkInterfaceId;
      const e = ec2Error(() => s.registerNetworkInterface(at('10.0.0.5', { VpcId: OTHER_VPC })));
      expect([e.code, e.message]).toEqual(['InvalidIPAddress.InUse', `Address 10.0.0.5 is in use by ${first} (VPC '${VPC}', enforced on every host).`]);
      expect(ec2Error(() => s.registerNetworkInterface(at('10.0.0.5', { VpcId: OTHER_VPC, HostId: 'h2' }))).code).toBe('InvalidIPAddress.InUse');
      expect(ec2Error(() => s.registerNetworkInterface({ VpcId: OTHER_VPC, PrivateIpAddress: '10.0.0.9', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5' }] })).code)
        .toBe('InvalidIPAddress.InUse');
      s.registerNetworkInterface({ VpcId: OTHER_VPC, Ipv6Addresses: [{ Ipv6Address: '2001:db8::5' }] });
      expect(ec2Error(() => s.registerNetworkInterface({ VpcId: VPC, Ipv6Addresses: [{ Ipv6Address: '2001:DB8::5' }] })).code).toBe('InvalidIPAddress.InUse');
      expect([...s.interfaces()]).toHaveLength(2);
    });

    it('interfaces on different hosts may share an address across VPCs, never within one', () => {
      const s = newService();
      s.registerNetworkInterface(at('10.0.0.5', { VpcId: VPC, HostId: 'h1' }));
      const second = s.registerNetworkInterface(at('10.0.0.5', { VpcId: OTHER_VPC, HostId: 'h2' })).NetworkInterface.NetworkInterfaceId;
      const e = ec2Error(() => s.registerNetworkInterface(at('10.0.0.5', { VpcId: VPC, HostId: 'h3' })));
      expect(e.code).toBe('InvalidIPAddress.InUse');
      expect(e.message).toContain(`(VPC '${VPC}')`);
      expect(ec2Error(() => s.registerNetworkInterface(at('10.0.0.5', { VpcId: 'vpc-0e1f2a3b4c5d6e7f8', HostId: 'h1' }))).message).toContain("enforced on host 'h1'");
      expect([...s.interfaces()]).toHaveLength(2);

      // moving the second one to h1, or to no host (every host), would put both on one host
      const version = s.version;
      for (const Value of ['h1', '']) {
        expect(ec2Error(() => s.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: second, HostId: { Value } })).code, Value).toBe('InvalidIPAddress.InUse');
      }
      expect(s.version).toBe(version);
      s.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: second, HostId: { Value: 'h3' } });
      expect(s.describeNetworkInterfaces().NetworkInterfaces).toHaveLength(2);
    });
  });

  it('refuses addresses no one host holds: unspecified, limited broadcast, multicast', () => {
    const s = newService();
    for (const PrivateIpAddress of ['0.0.0.0', '255.255.255.255', '224.0.0.1', '239.1.2.3']) {
      const e = ec2Error(() => s.registerNetworkInterface({ PrivateIpAddresses: [{ PrivateIpAddress }] }));
      expect([e.code, e.message], PrivateIpAddress).toEqual(['InvalidParameterValue', `Invalid private IPv4 address: ${PrivateIpAddress}`]);
    }
    expect(ec2Error(() => s.registerNetworkInterface({ PrivateIpAddress: '0.0.0.0' })).code).toBe('InvalidParameterValue');
    for (const Ipv6Address of ['::', 'ff02::1']) {
      expect(ec2Error(() => s.registerNetworkInterface({ Ipv6Addresses: [{ Ipv6Address }] })).code, Ipv6Address).toBe('InvalidParameterValue');
    }
    expect([...s.interfaces()]).toHaveLength(0);
    s.registerNetworkInterface({ PrivateIpAddresses: [{ PrivateIpAddress: '10.255.255.255' }], Ipv6Addresses: [{ Ipv6Address: '2001:db8::1' }] });
    expect([...s.interfaces()]).toHaveLength(1);
  });

  it('modify-network-interface-attribute replaces its groups, within the quota', () => {
    const s = newService({ groupsPerInterface: 2 });
    const a = s.createSecurityGroup({ GroupName: 'a', Description: 'a', VpcId: VPC }).GroupId;
    const b = s.createSecurityGroup({ GroupName: 'b', Description: 'b', VpcId: VPC }).GroupId;
    const c = s.createSecurityGroup({ GroupName: 'c', Description: 'c', VpcId: VPC }).GroupId;
    s.registerNetworkInterface({ NetworkInterfaceId: ENI, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5' }], Groups: [a] });
    s.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI, Groups: [b, c] });
    expect([...s.interfaces()][0]!.groupIds).toEqual([b, c]);
    expect(ec2Error(() => s.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: ENI, Groups: [a, b, c] })).code).toBe('SecurityGroupsPerInterfaceLimitExceeded');
    expect(ec2Error(() => s.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: 'eni-0a1b2c3d4e5f6ffff', Groups: [a] })).code).toBe('InvalidNetworkInterfaceID.NotFound');
    expect([...s.interfaces()][0]!.groupIds).toEqual([b, c]);
  });
});

describe('managed prefix lists', () => {
  function withList() {
    const s = newService();
    const { PrefixList } = s.createManagedPrefixList({
      PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 5,
      Entries: [{ Cidr: '203.0.113.0/24', Description: 'hq' }],
    });
    return { s, id: PrefixList.PrefixListId };
  }

  it('are created at version 1 and modified with CurrentVersion', () => {
    const { s, id } = withList();
    expect(id).toMatch(/^pl-[0-9a-f]{17}$/);
    const { PrefixList } = s.modifyManagedPrefixList({ PrefixListId: id, CurrentVersion: 1, AddEntries: [{ Cidr: '198.51.100.0/24' }], RemoveEntries: [{ Cidr: '203.0.113.0/24' }] });
    expect(PrefixList.Version).toBe(2);
    expect(s.getManagedPrefixListEntries({ PrefixListId: id }).Entries).toEqual([{ Cidr: '198.51.100.0/24' }]);
    expect(s.getManagedPrefixListEntries({ PrefixListId: id, TargetVersion: 1 }).Entries).toEqual([{ Cidr: '203.0.113.0/24', Description: 'hq' }]);
    expect(s.prefixList(id)).toMatchObject({ version: 2, addressFamily: 'IPv4', entries: [{ cidr: '198.51.100.0/24' }] });
    expect(s.describeManagedPrefixLists({ Filters: [{ Name: 'prefix-list-name', Values: ['off*'] }] }).PrefixLists.map((p) => p.PrefixListId)).toEqual([id]);
  });

  it('a stale CurrentVersion is refused and changes nothing', () => {
    const { s, id } = withList();
    expect(ec2Error(() => s.modifyManagedPrefixList({ PrefixListId: id, CurrentVersion: 7, AddEntries: [{ Cidr: '10.0.0.0/8' }] })).code).toBe('PrefixListVersionMismatch');
    expect(s.prefixList(id)!.entries).toHaveLength(1);
  });

  it('entries must fit MaxEntries and the address family', () => {
    const { s, id } = withList();
    const many = Array.from({ length: 5 }, (_, i) => ({ Cidr: `10.${i}.0.0/16` }));
    expect(ec2Error(() => s.modifyManagedPrefixList({ PrefixListId: id, CurrentVersion: 1, AddEntries: many })).code).toBe('PrefixListMaxEntriesExceeded');
    expect(ec2Error(() => s.modifyManagedPrefixList({ PrefixListId: id, CurrentVersion: 1, AddEntries: [{ Cidr: '2001:db8::/32' }] })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.createManagedPrefixList({ PrefixListName: 'x', AddressFamily: 'IPv4', MaxEntries: 1, Entries: [{ Cidr: '10.0.0.1/8' }] })).message).toBe('CIDR block 10.0.0.1/8 is malformed');
  });

  it('a referenced list counts as MaxEntries rules and cannot be deleted', () => {
    const { s, id } = withList();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: id }] }] });
    expect(s.group(GroupId)!.ingress[0]!.peer).toEqual({ kind: 'prefix-list', prefixListId: id });
    expect(ec2Error(() => s.deleteManagedPrefixList({ PrefixListId: id })).code).toBe('DependencyViolation');
    const small = newService({ inboundRulesPerGroup: 4 });
    const pl = small.createManagedPrefixList({ PrefixListName: 'p', AddressFamily: 'IPv4', MaxEntries: 5 }).PrefixList.PrefixListId;
    const g = small.createSecurityGroup({ GroupName: 'web', Description: 'w' }).GroupId;
    expect(ec2Error(() => small.authorizeSecurityGroupIngress({ GroupId: g, IpPermissions: [{ IpProtocol: '-1', PrefixListIds: [{ PrefixListId: pl }] }] })).code)
      .toBe('RulesPerSecurityGroupLimitExceeded');
    s.revokeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: id }] }] });
    expect(s.deleteManagedPrefixList({ PrefixListId: id }).PrefixList.State).toBe('delete-complete');
    expect(s.prefixList(id)).toBeUndefined();
    expect(ec2Error(() => s.getManagedPrefixListEntries({ PrefixListId: id })).code).toBe('InvalidPrefixListID.NotFound');
  });

  it('rules from a tcp permission naming a prefix list are distinct from CIDR rules', () => {
    const { s, id } = withList();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '203.0.113.0/24'), { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: id }] }] });
    expect(s.group(GroupId)!.ingress).toHaveLength(2);
  });
});
