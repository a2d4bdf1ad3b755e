import { describe, expect, it } from 'vitest';
import { SERVICE_ACTIONS, type ModelChange } from '../../src/control/service.js';
import { ec2Error, newService, tcp, VPC } from './helpers.js';

describe('the dataplane reads the model and hears of changes', () => {
  it('version goes up by one per accepted change, not on reads or failures', () => {
    const s = newService();
    expect(s.version).toBe(0);
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    expect(s.version).toBe(1);
    s.describeSecurityGroups({});
    ec2Error(() => s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(1, 'nope')] }));
    expect(s.version).toBe(1);
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '0.0.0.0/0')] });
    expect(s.version).toBe(2);
  });

  it('onChange says which groups, interfaces and prefix lists a change touched', () => {
    const s = newService();
    const seen: ModelChange[] = [];
    const stop = s.onChange((c) => seen.push(c));
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC });
    const dflt = [...s.groups()].find((g) => g.groupName === 'default')!.groupId;
    expect(seen[0]).toEqual({ version: 1, action: 'CreateSecurityGroup', groupIds: [dflt, GroupId], interfaceIds: [], prefixListIds: [] });
    const pl = s.createManagedPrefixList({ PrefixListName: 'p', AddressFamily: 'IPv4', MaxEntries: 2 }).PrefixList.PrefixListId;
    s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [{ IpProtocol: '-1', PrefixListIds: [{ PrefixListId: pl }] }] });
    s.modifyManagedPrefixList({ PrefixListId: pl, CurrentVersion: 1, AddEntries: [{ Cidr: '10.0.0.0/8' }] });
    expect(seen.at(-1)).toMatchObject({ action: 'ModifyManagedPrefixList', prefixListIds: [pl], groupIds: [GroupId] });
    s.registerNetworkInterface({ NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5' }], Groups: [GroupId] });
    expect(seen.at(-1)).toMatchObject({ action: 'RegisterNetworkInterface', interfaceIds: ['eni-0a1b2c3d4e5f60001'] });
    stop();
    s.deregisterNetworkInterface({ NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001' });
    expect(seen).toHaveLength(5);
  });

  it('views given out earlier do not change under the reader', () => {
    const s = newService();
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'w' });
    const before = s.group(GroupId)!;
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '0.0.0.0/0')] });
    expect(before.ingress).toHaveLength(0);
    expect(s.group(GroupId)!.ingress).toHaveLength(1);
  });
});

describe('actions by their EC2 names', () => {
  it('call() dispatches every action and refuses unknown ones with InvalidAction', () => {
    const s = newService();
    const { GroupId } = s.call('CreateSecurityGroup', { GroupName: 'web', Description: 'w' }) as { GroupId: string };
    s.call('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [tcp(22, '0.0.0.0/0')] });
    expect(s.group(GroupId)!.ingress).toHaveLength(1);
    expect(ec2Error(() => s.call('RebootInstances', {})).code).toBe('InvalidAction');
    // names every object inherits are not actions: refused, not "applied" or thrown as a TypeError
    for (const inherited of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expect(ec2Error(() => s.call(inherited, {})).code, inherited).toBe('InvalidAction');
    }
    for (const a of ['DescribeSecurityGroupRules', 'ModifyManagedPrefixList', 'DescribeNetworkInterfaces', 'RegisterNetworkInterface']) {
      expect(SERVICE_ACTIONS).toContain(a);
    }
  });
});
