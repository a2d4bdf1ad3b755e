import { describe, expect, it } from 'vitest';
import { SecurityGroupService } from '../../src/control/service.js';
import { ModelState } from '../../src/control/records.js';
import { KeyLayout, prefixRangeEnd } from '../../src/fleet/key-layout.js';
import { decodeState, diffStates, stateKeys } from '../../src/fleet/state-codec.js';
import { parseStoreUrl } from '../../src/fleet/store-url.js';

const layout = new KeyLayout('/t/');

function populated(): SecurityGroupService {
  const svc = new SecurityGroupService();
  const web = svc.call('CreateSecurityGroup', { GroupName: 'web', Description: 'web', TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'team', Value: 'a' }] }] }) as { GroupId: string };
  const db = svc.call('CreateSecurityGroup', { GroupName: 'db', Description: 'db' }) as { GroupId: string };
  svc.call('AuthorizeSecurityGroupIngress', { GroupId: db.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: web.GroupId }] }] });
  const pl = svc.call('CreateManagedPrefixList', { PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 5, Entries: [{ Cidr: '198.51.100.0/24' }] }) as { PrefixList: { PrefixListId: string } };
  svc.call('ModifyManagedPrefixList', { PrefixListId: pl.PrefixList.PrefixListId, CurrentVersion: 1, AddEntries: [{ Cidr: '203.0.113.0/24' }] });
  svc.call('AuthorizeSecurityGroupIngress', { GroupId: web.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: pl.PrefixList.PrefixListId }] }] });
  svc.call('RegisterNetworkInterface', { PrivateIpAddress: '10.0.0.5', Groups: [web.GroupId] });
  return svc;
}

function loaded(keys: Map<string, string>): SecurityGroupService {
  const svc = new SecurityGroupService();
  const decoded = decodeState(layout, keys);
  const s = svc.currentState;
  decoded.groups.forEach((v, k) => s.groups.set(k, v));
  decoded.interfaces.forEach((v, k) => s.interfaces.set(k, v));
  decoded.prefixLists.forEach((v, k) => s.prefixLists.set(k, v));
  decoded.vpcs.forEach((v, k) => s.vpcs.set(k, v));
  decoded.subnets.forEach((v, k) => s.subnets.set(k, v));
  decoded.clientTokens.forEach((v, k) => s.writableClientTokens().set(k, v));
  return svc;
}

describe('client tokens are kept in etcd', () => {
  it('a retried create answers the first list after the state went through the keys, a token with a slash included', () => {
    const svc = new SecurityGroupService();
    const request = { PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 5, ClientToken: 'a/b c%' };
    const first = svc.call('CreateManagedPrefixList', request);
    const keys = stateKeys(layout, svc.currentState);
    expect([...keys.keys()]).toContain('/t/token/a%2Fb%20c%25');
    const back = loaded(keys);
    expect(back.call('CreateManagedPrefixList', request)).toEqual(first);
    expect(back.currentState.prefixLists.size).toBe(1);
    expect(() => back.call('CreateManagedPrefixList', { ...request, MaxEntries: 6 })).toThrow(/inconsistent/);
    // the create's own change writes the token key
    const empty = new SecurityGroupService();
    const before = empty.currentState;
    empty.call('CreateManagedPrefixList', { ...request, ClientToken: 't2' });
    expect([...diffStates(layout, before, empty.currentState).keys()]).toContain('/t/token/t2');
  });

  it('a damaged token key is refused, naming the key', () => {
    expect(() => decodeState(layout, [['/t/token/x', '{"token":"y","action":"a","request":"{}","answer":"{}"}']])).toThrow(/\/t\/token\/x: not a client token/);
    expect(() => decodeState(layout, [['/t/token/%E0%A4%A', '{}']])).toThrow(/token\/<URI-encoded client token>/);
  });
});

describe('the etcd key layout holds the whole model', () => {
  it('subnets, IPv6 VPCs and interfaces made in a subnet, with their tags and tag-placed host, round-trip', () => {
    const svc = new SecurityGroupService();
    const { Vpc } = svc.call('CreateVpc', { CidrBlock: '10.1.0.0/16', AmazonProvidedIpv6CidrBlock: true }) as { Vpc: { VpcId: string } };
    const { Subnet } = svc.call('CreateSubnet', {
      VpcId: Vpc.VpcId, CidrBlock: '10.1.1.0/24', Ipv6CidrBlock: '2001:db8:0:1::/64', TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: 'a' }] }],
    }) as { Subnet: { SubnetId: string } };
    const { NetworkInterface } = svc.call('CreateNetworkInterface', {
      SubnetId: Subnet.SubnetId, Ipv6AddressCount: 1,
      TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'Name', Value: 'web' }, { Key: 'sgfw:host-id', Value: 'h1' }] }],
    }) as { NetworkInterface: { NetworkInterfaceId: string } };
    const keys = stateKeys(layout, svc.currentState);
    expect(JSON.parse(keys.get(layout.subnet(Subnet.SubnetId))!)).toEqual({ subnetId: Subnet.SubnetId, vpcId: Vpc.VpcId, cidrBlock: '10.1.1.0/24', ipv6CidrBlock: '2001:db8:0:1::/64' });
    expect(keys.has(layout.hostInterface('h1', NetworkInterface.NetworkInterfaceId))).toBe(true);
    expect(JSON.parse(keys.get(layout.tags(NetworkInterface.NetworkInterfaceId))!)).toEqual([{ Key: 'Name', Value: 'web' }]);
    const back = loaded(keys);
    for (const action of ['DescribeVpcs', 'DescribeSubnets', 'DescribeNetworkInterfaces', 'DescribeTags']) expect(back.call(action, {})).toEqual(svc.call(action, {}));
    // moving the interface by its tag rewrites its key and its host index, nothing else
    const before = svc.currentState;
    svc.call('CreateTags', { Resources: [NetworkInterface.NetworkInterfaceId], Tags: [{ Key: 'sgfw:host-id', Value: 'h2' }] });
    expect([...diffStates(layout, before, svc.currentState).entries()].sort()).toEqual([
      [layout.interface(NetworkInterface.NetworkInterfaceId), expect.stringContaining('"hostId":"h2"')],
      [layout.hostInterface('h1', NetworkInterface.NetworkInterfaceId), null],
      [layout.hostInterface('h2', NetworkInterface.NetworkInterfaceId), expect.any(String)],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  });

  it('a state written to keys and read back describes the same, rule ids, tags and prefix-list versions included', () => {
    const svc = populated();
    const back = loaded(stateKeys(layout, svc.currentState));
    expect(back.exportSnapshot()).toEqual(svc.exportSnapshot());
    expect(back.call('DescribeSecurityGroupRules', {})).toEqual(svc.call('DescribeSecurityGroupRules', {}));
    const pl = [...svc.currentState.prefixLists.keys()][0]!;
    expect(back.call('GetManagedPrefixListEntries', { PrefixListId: pl, TargetVersion: 1 })).toEqual({ Entries: [{ Cidr: '198.51.100.0/24' }] });
    expect(stateKeys(layout, back.currentState)).toEqual(stateKeys(layout, svc.currentState));
  });

  it('an interface joining a group is one interface key and one member key', () => {
    const svc = populated();
    const db = [...svc.currentState.groups.values()].find((g) => g.groupName === 'db')!;
    const web = [...svc.currentState.groups.values()].find((g) => g.groupName === 'web')!;
    const eni = [...svc.currentState.interfaces.values()][0]!;
    const before = svc.currentState;
    svc.call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: eni.interfaceId, Groups: [web.groupId, db.groupId] });
    const changes = diffStates(layout, before, svc.currentState);
    expect([...changes.keys()].sort()).toEqual([layout.interface(eni.interfaceId), layout.member(db.groupId, eni.interfaceId)].sort());
    expect(JSON.parse(changes.get(layout.member(db.groupId, eni.interfaceId))!)).toEqual({ vpcId: eni.vpcId, ipv4: ['10.0.0.5'], ipv6: [] });
  });

  it('a tag change writes only the tag key, which no agent watches', () => {
    const svc = populated();
    const web = [...svc.currentState.groups.values()].find((g) => g.groupName === 'web')!;
    const before = svc.currentState;
    svc.call('CreateTags', { Resources: [web.groupId], Tags: [{ Key: 'env', Value: 'prod' }] });
    expect([...diffStates(layout, before, svc.currentState).keys()]).toEqual([layout.tags(web.groupId)]);
  });

  it('deleting a group deletes its keys', () => {
    const svc = populated();
    const sg = svc.call('CreateSecurityGroup', { GroupName: 'tmp', Description: 'x', TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'k', Value: 'v' }] }] }) as { GroupId: string };
    const before = svc.currentState;
    svc.call('DeleteSecurityGroup', { GroupId: sg.GroupId });
    const changes = diffStates(layout, before, svc.currentState);
    expect(Object.fromEntries(changes)).toEqual({ [layout.group(sg.GroupId)]: null, [layout.tags(sg.GroupId)]: null });
  });

  it('keys outside the state sections are not state', () => {
    expect(decodeState(layout, [['/t/head', '{}'], ['/t/status/host-a', 'x'], ['/other/sg/sg-1', 'x']]).groups.size).toBe(0);
    expect(() => decodeState(layout, [['/t/sg/sg-0123456789abcdef0', 'nope']])).toThrow(/\/t\/sg\/sg-0123456789abcdef0: not JSON/);
    expect(new ModelState().groups.size).toBe(0);
  });

  it('the range of a prefix ends just past it', () => {
    expect(prefixRangeEnd('/sgfw/').toString()).toBe('/sgfw0');
  });
});

describe('--store etcd://HOST:PORT[,HOST:PORT…][/PREFIX/]', () => {
  it('names the endpoints and the prefix', () => {
    expect(parseStoreUrl('etcd://127.0.0.1:23790,127.0.0.1:23791')).toEqual({ endpoints: ['http://127.0.0.1:23790', 'http://127.0.0.1:23791'], prefix: '/sgfw/' });
    expect(parseStoreUrl('etcd://[::1]:2379/fleet-a')).toEqual({ endpoints: ['http://[::1]:2379'], prefix: '/fleet-a/' });
  });

  it('refuses what is not one', () => {
    expect(() => parseStoreUrl('http://127.0.0.1:2379')).toThrow(/--store expects etcd:\/\//);
    expect(() => parseStoreUrl('etcd://127.0.0.1')).toThrow(/'127.0.0.1' in 'etcd:\/\/127.0.0.1' is not HOST:PORT/);
    expect(() => parseStoreUrl('etcd://h:1//x')).toThrow(/empty part/);
  });
});
