import { describe, expect, it } from 'vitest';
import { SecurityGroupService } from '../../src/control/service.js';
import { interfaceOwners } from '../../src/observe/flow-log-account.js';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const group = (id: string, name: string, owner?: string) => ({
  GroupId: id,
  GroupName: name,
  Description: name,
  VpcId: VPC,
  ...(owner === undefined ? {} : { OwnerId: owner }),
});

describe('interfaceOwners: the account of an interface is its groups\' owner', () => {
  it('gives each interface the OwnerId of its first group, the service\'s account for a group loaded without one, and follows changes', async () => {
    const service = new SecurityGroupService({ accountId: '333333333333' });
    service.importSnapshot({
      SecurityGroups: [group('sg-0a0a0a0a0a0a0000a', 'a', '111111111111'), group('sg-0b0b0b0b0b0b0000b', 'b', '222222222222'), group('sg-0c0c0c0c0c0c0000c', 'c')],
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-0a0a0a0a0a0a0000a', VpcId: VPC, PrivateIpAddress: '10.0.0.10', Groups: [{ GroupId: 'sg-0a0a0a0a0a0a0000a' }, { GroupId: 'sg-0b0b0b0b0b0b0000b' }] },
        { NetworkInterfaceId: 'eni-0b0b0b0b0b0b0000b', VpcId: VPC, PrivateIpAddress: '10.0.0.11', Groups: [{ GroupId: 'sg-0b0b0b0b0b0b0000b' }] },
        { NetworkInterfaceId: 'eni-0c0c0c0c0c0c0000c', VpcId: VPC, PrivateIpAddress: '10.0.0.12', Groups: [{ GroupId: 'sg-0c0c0c0c0c0c0000c' }] },
      ],
    });
    const owner = interfaceOwners(service);
    expect(owner('eni-0a0a0a0a0a0a0000a')).toBe('111111111111');
    expect(owner('eni-0b0b0b0b0b0b0000b')).toBe('222222222222');
    expect(owner('eni-0c0c0c0c0c0c0000c')).toBe('333333333333');
    expect(owner('eni-0d0d0d0d0d0d0000d')).toBeUndefined();
    await service.call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0a0a0a0a0a0a0000a', Groups: ['sg-0b0b0b0b0b0b0000b'] });
    expect(owner('eni-0a0a0a0a0a0a0000a')).toBe('222222222222');
  });
});
