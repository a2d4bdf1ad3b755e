// Issue 17: subnets, interfaces made in them (their subnet, tags and tag-placed host) and IPv6 VPCs
// survive the durable store both ways: replayed from the journal, and loaded from a snapshot; and
// `sgfw state verify` proves the directory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDurableStore } from '../../../src/state/durable-store.js';
import { verifyStateDir } from '../../../src/state/state-verify.js';
import { SecurityGroupService } from '../../../src/control/service.js';

async function populate(apply: (action: string, params: unknown) => Promise<unknown>): Promise<void> {
  const { Vpc } = (await apply('CreateVpc', { CidrBlock: '10.1.0.0/16', AmazonProvidedIpv6CidrBlock: true })) as { Vpc: { VpcId: string } };
  await apply('AssociateVpcCidrBlock', { VpcId: Vpc.VpcId, CidrBlock: '10.9.0.0/16' });
  const { Subnet } = (await apply('CreateSubnet', {
    VpcId: Vpc.VpcId, CidrBlock: '10.1.1.0/24', Ipv6CidrBlock: '2001:db8:0:1::/64', AvailabilityZone: 'us-east-1c',
    TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: 'web' }] }],
  })) as { Subnet: { SubnetId: string } };
  await apply('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.9.1.0/24' });
  const { GroupId } = (await apply('CreateSecurityGroup', { GroupName: 'web', Description: 'w', VpcId: Vpc.VpcId })) as { GroupId: string };
  const { NetworkInterface } = (await apply('CreateNetworkInterface', {
    SubnetId: Subnet.SubnetId, Groups: [GroupId], SecondaryPrivateIpAddressCount: 1, Ipv6AddressCount: 1, Description: 'web 1',
    TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'Name', Value: 'web-1' }, { Key: 'sgfw:host-id', Value: 'host-a' }] }],
  })) as { NetworkInterface: { NetworkInterfaceId: string } };
  await apply('AssignIpv6Addresses', { NetworkInterfaceId: NetworkInterface.NetworkInterfaceId, Ipv6AddressCount: 1 });
  await apply('CreateNetworkInterface', { SubnetId: Subnet.SubnetId });
  await apply('CreateTags', { Resources: [NetworkInterface.NetworkInterfaceId], Tags: [{ Key: 'sgfw:host-id', Value: 'host-b' }] });
}

function picture(service: SecurityGroupService): unknown {
  return ['DescribeVpcs', 'DescribeSubnets', 'DescribeNetworkInterfaces', 'DescribeSecurityGroups', 'DescribeTags'].map((a) => service.call(a, {}));
}

describe('the durable store keeps subnets, created interfaces and IPv6 VPCs', () => {
  it('from the journal and from a snapshot alike, and the directory verifies', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sgfw-eh-')), 'state');
    const a = await openDurableStore(dir, { snapshotEvery: 1000 });
    await populate((action, params) => a.apply(action, params));
    const before = picture(a.service);
    await a.close();

    const replayed = await openDurableStore(dir);
    expect(replayed.recovery.replayed).toBeGreaterThan(5);
    expect(picture(replayed.service)).toEqual(before);
    await replayed.snapshot();
    await replayed.close();

    const loaded = await openDurableStore(dir);
    expect(loaded.recovery.replayed).toBe(0);
    expect(picture(loaded.service)).toEqual(before);
    // the next address a subnet hands out is the same after the reload
    const subnetId = (loaded.service.call('DescribeSubnets', { Filters: [{ Name: 'cidr-block', Values: ['10.1.1.0/24'] }] }) as { Subnets: { SubnetId: string }[] }).Subnets[0]!.SubnetId;
    const next = (await loaded.apply('CreateNetworkInterface', { SubnetId: subnetId })) as { NetworkInterface: { PrivateIpAddress: string } };
    expect(next.NetworkInterface.PrivateIpAddress).toBe('10.1.1.7');
    await loaded.close();

    const verified = await verifyStateDir(dir);
    expect(verified.problems).toEqual([]);
    expect(verified.summary).toContain('proves itself');
  });

  it('a state document (sgfw export) carries them: exportSnapshot then importSnapshot describes the same', async () => {
    const s = new SecurityGroupService();
    await populate(async (action, params) => s.call(action, params));
    const doc = structuredClone(s.exportSnapshot());
    expect(doc.Subnets).toHaveLength(2);
    const t = new SecurityGroupService();
    t.importSnapshot(doc);
    const without = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'SecurityGroupRuleId' ? undefined : v)));
    expect(without(picture(t))).toEqual(without(picture(s)));
  });
});

describe('describe-network-interfaces output from AWS loads with its subnets and tags', () => {
  it('keeps a TagSet with AWS-made keys, reads sgfw:host-id from it, and a SubnetId only when the subnet is known', () => {
    const s = new SecurityGroupService();
    const doc = {
      Subnets: [{ SubnetId: 'subnet-0a1b2c3d4e5f60718', VpcId: 'vpc-0a1b2c3d4e5f60718', CidrBlock: '10.5.1.0/24' }],
      NetworkInterfaces: [
        {
          NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', VpcId: 'vpc-0a1b2c3d4e5f60718', SubnetId: 'subnet-0a1b2c3d4e5f60718', PrivateIpAddress: '10.5.1.10',
          TagSet: [{ Key: 'aws:cloudformation:stack-name', Value: 'web' }, { Key: 'sgfw:host-id', Value: 'h7' }],
        },
        { NetworkInterfaceId: 'eni-0a1b2c3d4e5f60002', VpcId: 'vpc-0a1b2c3d4e5f60718', SubnetId: 'subnet-0ffffffffffffffff', PrivateIpAddress: '10.5.2.10' },
      ],
    };
    s.importSnapshot(doc);
    const [a, b] = (s.call('DescribeNetworkInterfaces', {}) as { NetworkInterfaces: { SubnetId?: string; TagSet: unknown; Status: string }[] }).NetworkInterfaces;
    expect(a).toMatchObject({ SubnetId: 'subnet-0a1b2c3d4e5f60718', Status: 'in-use', TagSet: doc.NetworkInterfaces[0]!.TagSet });
    expect(b!.SubnetId).toBeUndefined();
    expect((s.call('DescribeSubnets', {}) as { Subnets: { AvailableIpAddressCount: number }[] }).Subnets[0]!.AvailableIpAddressCount).toBe(250);
  });
});
