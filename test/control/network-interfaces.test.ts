// Issue 17: interfaces made with EC2's own actions (CreateNetworkInterface and the address actions),
// and placed on a host by their `sgfw:host-id` tag.
import { describe, expect, it } from 'vitest';
import { ec2Error, newService } from './helpers.js';
import { hostIdOf } from '../../src/control/service.js';

interface Eni { NetworkInterfaceId: string; PrivateIpAddress?: string; PrivateIpAddresses: { PrivateIpAddress: string; Primary: boolean }[]; Ipv6Addresses: { Ipv6Address: string }[]; Groups: { GroupId: string; GroupName: string }[]; TagSet: { Key: string; Value: string }[]; Status: string }

function setup(ipv6 = false, limits = {}) {
  const s = newService(limits);
  const vpcId = (s.call('CreateVpc', { CidrBlock: '10.1.0.0/16', ...(ipv6 ? { AmazonProvidedIpv6CidrBlock: true } : {}) }) as { Vpc: { VpcId: string } }).Vpc.VpcId;
  const subnetId = (s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.1.0/28', ...(ipv6 ? { Ipv6CidrBlock: '2001:db8:0:1::/64' } : {}) }) as { Subnet: { SubnetId: string } }).Subnet.SubnetId;
  const create = (p: Record<string, unknown> = {}) => (s.call('CreateNetworkInterface', { SubnetId: subnetId, ...p }) as { NetworkInterface: Eni }).NetworkInterface;
  const describe1 = (id: string) => (s.call('DescribeNetworkInterfaces', { NetworkInterfaceIds: [id] }) as { NetworkInterfaces: Eni[] }).NetworkInterfaces[0]!;
  return { s, vpcId, subnetId, create, describe1 };
}

describe('CreateNetworkInterface draws addresses from its subnet', () => {
  it('gives the lowest free address past the four reserved ones, and the VPC\'s default group', () => {
    const { s, vpcId, subnetId, create, describe1 } = setup();
    const a = create({ Description: 'web 1' });
    const dflt = [...s.groups()].find((g) => g.vpcId === vpcId && g.groupName === 'default')!;
    expect(a).toEqual({
      NetworkInterfaceId: a.NetworkInterfaceId, SubnetId: subnetId, VpcId: vpcId, AvailabilityZone: 'us-east-1a', OwnerId: '123456789012',
      RequesterManaged: false, Status: 'available', InterfaceType: 'interface', SourceDestCheck: true, Description: 'web 1',
      PrivateIpAddress: '10.1.1.4', PrivateIpAddresses: [{ PrivateIpAddress: '10.1.1.4', Primary: true }], Ipv6Addresses: [],
      Groups: [{ GroupId: dflt.groupId, GroupName: 'default' }],
      ConnectionTrackingConfiguration: { TcpEstablishedTimeout: 432000, UdpStreamTimeout: 180, UdpTimeout: 30 }, TagSet: [],
    });
    expect(describe1(a.NetworkInterfaceId)).toEqual(a);
    expect(create().PrivateIpAddress).toBe('10.1.1.5');
    // a freed address is handed out again, lowest first
    s.call('DeleteNetworkInterface', { NetworkInterfaceId: a.NetworkInterfaceId });
    expect(create().PrivateIpAddress).toBe('10.1.1.4');
    expect((s.call('DescribeSubnets', { SubnetIds: [subnetId] }) as { Subnets: { AvailableIpAddressCount: number }[] }).Subnets[0]!.AvailableIpAddressCount).toBe(16 - 5 - 2);
  });

  it('takes given addresses (PrivateIpAddress, PrivateIpAddresses with Primary) and secondaries by count', () => {
    const { create } = setup();
    const a = create({ PrivateIpAddress: '10.1.1.10', SecondaryPrivateIpAddressCount: 2 });
    expect(a.PrivateIpAddresses).toEqual([
      { PrivateIpAddress: '10.1.1.10', Primary: true }, { PrivateIpAddress: '10.1.1.4', Primary: false }, { PrivateIpAddress: '10.1.1.5', Primary: false },
    ]);
    const b = create({ PrivateIpAddresses: [{ PrivateIpAddress: '10.1.1.8' }, { PrivateIpAddress: '10.1.1.9', Primary: true }] });
    expect(b.PrivateIpAddress).toBe('10.1.1.9');
    expect(b.PrivateIpAddresses.map((x) => x.PrivateIpAddress)).toEqual(['10.1.1.9', '10.1.1.8']);
  });

  it('refuses addresses in use, outside the subnet or reserved, and a full subnet, with EC2\'s codes', () => {
    const { create } = setup(false, { privateIpsPerInterface: 3 });
    const a = create({ PrivateIpAddress: '10.1.1.6' });
    const inUse = ec2Error(() => create({ PrivateIpAddress: '10.1.1.6' }));
    expect(inUse.code).toBe('InvalidIPAddress.InUse');
    expect(inUse.message).toContain(`Address 10.1.1.6 is in use by ${a.NetworkInterfaceId}`);
    const outside = ec2Error(() => create({ PrivateIpAddress: '10.1.2.6' }));
    expect([outside.code, outside.message]).toEqual(['InvalidParameterValue', expect.stringContaining("does not fall within the subnet's address range")]);
    for (const reserved of ['10.1.1.0', '10.1.1.1', '10.1.1.3', '10.1.1.15']) expect(ec2Error(() => create({ PrivateIpAddress: reserved })).message).toContain('is reserved');
    expect(ec2Error(() => create({ SecondaryPrivateIpAddressCount: 3 })).code).toBe('PrivateIpAddressLimitExceeded');
    // 11 usable addresses in a /28: one taken, ten more fit
    for (let i = 0; i < 10; i++) create();
    const full = ec2Error(() => create());
    expect(full.code).toBe('InsufficientFreeAddressesInSubnet');
  });

  it('checks groups, the subnet and the tag specification', () => {
    const { s, vpcId, create } = setup();
    const web = (s.call('CreateSecurityGroup', { GroupName: 'web', Description: 'w', VpcId: vpcId }) as { GroupId: string }).GroupId;
    expect(create({ Groups: [web] }).Groups).toEqual([{ GroupId: web, GroupName: 'web' }]);
    const elsewhere = (s.call('CreateSecurityGroup', { GroupName: 'x', Description: 'x' }) as { GroupId: string }).GroupId;
    expect(ec2Error(() => create({ Groups: [elsewhere] })).code).toBe('InvalidParameter');
    expect(ec2Error(() => create({ Groups: ['sg-0123456789abcdef0'] })).code).toBe('InvalidGroup.NotFound');
    expect(ec2Error(() => s.call('CreateNetworkInterface', {})).code).toBe('MissingParameter');
    expect(ec2Error(() => s.call('CreateNetworkInterface', { SubnetId: 'subnet-0123456789abcdef0' })).code).toBe('InvalidSubnetID.NotFound');
    expect(ec2Error(() => s.call('CreateNetworkInterface', { SubnetId: 'subnet-zz' })).code).toBe('InvalidSubnetID.Malformed');
    expect(ec2Error(() => create({ TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => create({ Ipv6AddressCount: 1 })).message).toContain('has no IPv6 CIDR block');
    const id = create().NetworkInterfaceId;
    expect(ec2Error(() => s.call('AssignIpv6Addresses', { NetworkInterfaceId: id, Ipv6AddressCount: 1 })).message).toContain('has no IPv6 CIDR block');
  });

  it('gives IPv6 addresses from the subnet\'s /64, by count or given', () => {
    const { s, create } = setup(true);
    const a = create({ Ipv6AddressCount: 2 });
    expect(a.Ipv6Addresses).toEqual([{ Ipv6Address: '2001:db8:0:1::4' }, { Ipv6Address: '2001:db8:0:1::5' }]);
    const b = create({ Ipv6Addresses: [{ Ipv6Address: '2001:DB8:0:1::99' }] });
    expect(b.Ipv6Addresses).toEqual([{ Ipv6Address: '2001:db8:0:1::99' }]);
    expect(ec2Error(() => create({ Ipv6Addresses: [{ Ipv6Address: '2001:db8:0:2::1' }] })).message).toContain("does not fall within the subnet's address range");
    expect(ec2Error(() => create({ Ipv6Addresses: [{ Ipv6Address: '2001:db8:0:1::99' }], Ipv6AddressCount: 1 })).code).toBe('InvalidParameterCombination');
    // the interfaces' IPv6 addresses reach the dataplane's view
    expect([...s.interfaces()].find((i) => i.interfaceId === a.NetworkInterfaceId)!.ipv6).toEqual(['2001:db8:0:1::4', '2001:db8:0:1::5']);
  });
});

describe('assigning and unassigning addresses', () => {
  it('AssignPrivateIpAddresses by count or address; Unassign keeps the primary', () => {
    const { s, create, describe1 } = setup(false, { privateIpsPerInterface: 4 });
    const a = create();
    const id = a.NetworkInterfaceId;
    expect(s.call('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 2 })).toEqual({
      NetworkInterfaceId: id, AssignedPrivateIpAddresses: [{ PrivateIpAddress: '10.1.1.5' }, { PrivateIpAddress: '10.1.1.6' }],
    });
    expect(s.call('AssignPrivateIpAddresses', { NetworkInterfaceId: id, PrivateIpAddresses: ['10.1.1.12'] })).toMatchObject({ AssignedPrivateIpAddresses: [{ PrivateIpAddress: '10.1.1.12' }] });
    expect(ec2Error(() => s.call('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 })).code).toBe('PrivateIpAddressLimitExceeded');
    expect(describe1(id).PrivateIpAddresses.map((x) => x.PrivateIpAddress)).toEqual(['10.1.1.4', '10.1.1.5', '10.1.1.6', '10.1.1.12']);
    const other = create();
    expect(other.PrivateIpAddress).toBe('10.1.1.7');
    expect(ec2Error(() => s.call('AssignPrivateIpAddresses', { NetworkInterfaceId: other.NetworkInterfaceId, PrivateIpAddresses: ['10.1.1.5'] })).code).toBe('InvalidIPAddress.InUse');
    expect(s.call('UnassignPrivateIpAddresses', { NetworkInterfaceId: id, PrivateIpAddresses: ['10.1.1.5', '10.1.1.12'] })).toEqual({});
    expect(describe1(id).PrivateIpAddresses.map((x) => x.PrivateIpAddress)).toEqual(['10.1.1.4', '10.1.1.6']);
    expect(ec2Error(() => s.call('UnassignPrivateIpAddresses', { NetworkInterfaceId: id, PrivateIpAddresses: ['10.1.1.4'] })).message).toContain('primary');
    expect(ec2Error(() => s.call('UnassignPrivateIpAddresses', { NetworkInterfaceId: id, PrivateIpAddresses: ['10.1.1.9'] })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.call('AssignPrivateIpAddresses', { NetworkInterfaceId: id })).code).toBe('MissingParameter');
  });

  it('AssignIpv6Addresses / UnassignIpv6Addresses answer what they changed', () => {
    const { s, create } = setup(true);
    const id = create().NetworkInterfaceId;
    expect(s.call('AssignIpv6Addresses', { NetworkInterfaceId: id, Ipv6AddressCount: 1 })).toEqual({ AssignedIpv6Addresses: ['2001:db8:0:1::4'], NetworkInterfaceId: id });
    expect(s.call('AssignIpv6Addresses', { NetworkInterfaceId: id, Ipv6Addresses: ['2001:db8:0:1::a'] })).toEqual({ AssignedIpv6Addresses: ['2001:db8:0:1::a'], NetworkInterfaceId: id });
    expect(s.call('UnassignIpv6Addresses', { NetworkInterfaceId: id, Ipv6Addresses: ['2001:db8:0:1::4'] })).toEqual({ NetworkInterfaceId: id, UnassignedIpv6Addresses: ['2001:db8:0:1::4'] });
  });

  it('a registered interface has no subnet to draw from', () => {
    const s = newService();
    const id = (s.call('RegisterNetworkInterface', { PrivateIpAddress: '10.0.0.5' }) as { NetworkInterface: { NetworkInterfaceId: string } }).NetworkInterface.NetworkInterfaceId;
    expect(ec2Error(() => s.call('AssignPrivateIpAddresses', { NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 })).message).toContain('is in no subnet');
    expect(ec2Error(() => s.call('DeleteNetworkInterface', { NetworkInterfaceId: 'eni-0123456789abcdef0' })).code).toBe('InvalidNetworkInterfaceID.NotFound');
    expect(s.call('DeleteNetworkInterface', { NetworkInterfaceId: id })).toEqual({});
  });

  it('a failing call changes nothing, and a dry run draws no address', () => {
    const { s, create } = setup();
    const version = s.version;
    expect(ec2Error(() => create({ PrivateIpAddress: '10.1.9.9' })).code).toBe('InvalidParameterValue');
    expect(s.version).toBe(version);
    s.dryRun('CreateNetworkInterface', { SubnetId: (s.call('DescribeSubnets', {}) as { Subnets: { SubnetId: string }[] }).Subnets[0]!.SubnetId });
    expect([...s.interfaces()]).toEqual([]);
  });
});

describe('the sgfw:host-id tag places an interface on a host', () => {
  it('set at creation, moved by CreateTags, cleared by DeleteTags, shown in TagSet and DescribeTags', () => {
    const { s, create, describe1 } = setup();
    const a = create({ TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'Name', Value: 'web-1' }, { Key: 'sgfw:host-id', Value: 'host-a' }] }] });
    expect(a.TagSet).toEqual([{ Key: 'Name', Value: 'web-1' }, { Key: 'sgfw:host-id', Value: 'host-a' }]);
    expect(a.Status).toBe('in-use');
    const record = () => [...s.currentState.interfaces.values()].find((i) => i.interfaceId === a.NetworkInterfaceId)!;
    expect(hostIdOf(record())).toBe('host-a');
    const changes: string[][] = [];
    s.onChange((c) => changes.push(c.interfaceIds));
    s.call('CreateTags', { Resources: [a.NetworkInterfaceId], Tags: [{ Key: 'sgfw:host-id', Value: 'host-b' }] });
    expect(hostIdOf(record())).toBe('host-b');
    expect(changes).toEqual([[a.NetworkInterfaceId]]);
    expect(s.call('DescribeTags', { Filters: [{ Name: 'resource-type', Values: ['network-interface'] }] })).toEqual({ Tags: [
      { Key: 'Name', ResourceId: a.NetworkInterfaceId, ResourceType: 'network-interface', Value: 'web-1' },
      { Key: 'sgfw:host-id', ResourceId: a.NetworkInterfaceId, ResourceType: 'network-interface', Value: 'host-b' },
    ] });
    expect((s.call('DescribeNetworkInterfaces', { Filters: [{ Name: 'tag:sgfw:host-id', Values: ['host-b'] }] }) as { NetworkInterfaces: unknown[] }).NetworkInterfaces).toHaveLength(1);
    // a tag that is not the host changes no enforcement
    s.call('CreateTags', { Resources: [a.NetworkInterfaceId], Tags: [{ Key: 'env', Value: 'prod' }] });
    expect(changes).toEqual([[a.NetworkInterfaceId], []]);
    s.call('DeleteTags', { Resources: [a.NetworkInterfaceId], Tags: [{ Key: 'sgfw:host-id' }] });
    expect(hostIdOf(record())).toBeUndefined();
    expect(describe1(a.NetworkInterfaceId).Status).toBe('available');
    expect(describe1(a.NetworkInterfaceId).TagSet).toEqual([{ Key: 'Name', Value: 'web-1' }, { Key: 'env', Value: 'prod' }]);
  });

  it('is the same value as RegisterNetworkInterface\'s HostId', () => {
    const s = newService();
    const id = (s.call('RegisterNetworkInterface', { PrivateIpAddress: '10.0.0.5', HostId: 'h1' }) as { NetworkInterface: { NetworkInterfaceId: string; TagSet: unknown } }).NetworkInterface;
    expect(id.TagSet).toEqual([{ Key: 'sgfw:host-id', Value: 'h1' }]);
    s.call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: id.NetworkInterfaceId, HostId: { Value: 'h2' } });
    expect((s.call('DescribeTags', {}) as { Tags: { Value: string }[] }).Tags.map((t) => t.Value)).toEqual(['h2']);
  });

  it('refuses a host id that cannot be one, and a host where the address meets another interface', () => {
    const s = newService();
    const a = (s.call('RegisterNetworkInterface', { VpcId: 'vpc-1', PrivateIpAddress: '10.0.0.5', HostId: 'h1' }) as { NetworkInterface: { NetworkInterfaceId: string } }).NetworkInterface.NetworkInterfaceId;
    const b = (s.call('RegisterNetworkInterface', { VpcId: 'vpc-2', PrivateIpAddress: '10.0.0.5', HostId: 'h2' }) as { NetworkInterface: { NetworkInterfaceId: string } }).NetworkInterface.NetworkInterfaceId;
    const bad = ec2Error(() => s.call('CreateTags', { Resources: [a], Tags: [{ Key: 'sgfw:host-id', Value: 'a/b' }] }));
    expect([bad.code, bad.message]).toEqual(['InvalidParameterValue', expect.stringContaining("Invalid value for tag sgfw:host-id 'a/b'")]);
    expect(ec2Error(() => s.call('CreateTags', { Resources: [b], Tags: [{ Key: 'sgfw:host-id', Value: 'h1' }] })).code).toBe('InvalidIPAddress.InUse');
    // unplaced, b would be enforced on every host, h1 included
    expect(ec2Error(() => s.call('DeleteTags', { Resources: [b], Tags: [{ Key: 'sgfw:host-id' }] })).code).toBe('InvalidIPAddress.InUse');
    expect(hostIdOf([...s.currentState.interfaces.values()].find((i) => i.interfaceId === b)!)).toBe('h2');
  });
});
