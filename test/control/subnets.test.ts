// Issue 17: subnets, as CreateSubnet / DeleteSubnet / DescribeSubnets answer in EC2.
import { describe, expect, it } from 'vitest';
import { ec2Error, newService } from './helpers.js';

function vpcWith(cidr = '10.1.0.0/16', ipv6 = false) {
  const s = newService();
  const { Vpc } = s.call('CreateVpc', { CidrBlock: cidr, ...(ipv6 ? { AmazonProvidedIpv6CidrBlock: true } : {}) }) as { Vpc: { VpcId: string } };
  return { s, vpcId: Vpc.VpcId };
}

describe('a subnet is a block of its VPC', () => {
  it('is answered with EC2\'s fields: zone, free addresses less the five reserved, ARN, tags', () => {
    const { s, vpcId } = vpcWith();
    const { Subnet } = s.call('CreateSubnet', {
      VpcId: vpcId, CidrBlock: '10.1.1.0/24', AvailabilityZone: 'us-east-1b',
      TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: 'web' }] }],
    }) as { Subnet: Record<string, unknown> & { SubnetId: string } };
    expect(Subnet.SubnetId).toMatch(/^subnet-[0-9a-f]{17}$/);
    expect(Subnet).toEqual({
      AvailabilityZone: 'us-east-1b', AvailableIpAddressCount: 251, CidrBlock: '10.1.1.0/24', DefaultForAz: false,
      MapPublicIpOnLaunch: false, State: 'available', SubnetId: Subnet.SubnetId, VpcId: vpcId, OwnerId: '123456789012',
      AssignIpv6AddressOnCreation: false, Ipv6CidrBlockAssociationSet: [], Tags: [{ Key: 'Name', Value: 'web' }],
      SubnetArn: `arn:aws:ec2:us-east-1:123456789012:subnet/${Subnet.SubnetId}`,
    });
    expect(s.call('DescribeSubnets', { SubnetIds: [Subnet.SubnetId] })).toEqual({ Subnets: [Subnet] });
  });

  it('must lie inside the VPC\'s block and be /16 to /28 (InvalidSubnet.Range)', () => {
    const { s, vpcId } = vpcWith();
    for (const cidr of ['10.2.0.0/24', '10.1.0.0/29', '10.0.0.0/15', '10.1.255.252/30']) {
      const e = ec2Error(() => s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: cidr }));
      expect([e.code, e.message]).toEqual(['InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`]);
    }
    expect(ec2Error(() => s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.0.1/24' })).message).toBe('CIDR block 10.1.0.1/24 is malformed');
    // the whole VPC block is a subnet EC2 allows
    expect(s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.0.0/16' })).toMatchObject({ Subnet: { AvailableIpAddressCount: 65531 } });
  });

  it('overlaps no other subnet of its VPC (InvalidSubnet.Conflict), but may repeat another VPC\'s', () => {
    const { s, vpcId } = vpcWith();
    s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.0.0/20' });
    const e = ec2Error(() => s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.4.0/24' }));
    expect([e.code, e.message]).toEqual(['InvalidSubnet.Conflict', "The CIDR '10.1.4.0/24' conflicts with another subnet"]);
    const other = (s.call('CreateVpc', { CidrBlock: '10.1.0.0/16' }) as { Vpc: { VpcId: string } }).Vpc.VpcId;
    expect(s.call('CreateSubnet', { VpcId: other, CidrBlock: '10.1.4.0/24' })).toMatchObject({ Subnet: { VpcId: other } });
  });

  it('needs a VPC that exists, with a well-formed id; the default VPC is 172.31.0.0/16', () => {
    const s = newService();
    expect(ec2Error(() => s.call('CreateSubnet', { VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.0.0/24' })).code).toBe('InvalidVpcID.NotFound');
    expect(ec2Error(() => s.call('CreateSubnet', { VpcId: 'vpcx', CidrBlock: '10.0.0.0/24' })).code).toBe('InvalidVpcId.Malformed');
    expect(ec2Error(() => s.call('CreateSubnet', { CidrBlock: '10.0.0.0/24' })).code).toBe('MissingParameter');
    expect(ec2Error(() => s.call('CreateSubnet', { VpcId: s.defaultVpcId, CidrBlock: '10.0.0.0/24' })).code).toBe('InvalidSubnet.Range');
    expect(s.call('CreateSubnet', { VpcId: s.defaultVpcId, CidrBlock: '172.31.16.0/20' })).toMatchObject({ Subnet: { VpcId: s.defaultVpcId } });
  });

  it('takes a /64 of its VPC\'s IPv6 block, and only then', () => {
    const { s, vpcId } = vpcWith('10.1.0.0/16', true);
    const block = (s.call('DescribeVpcs', { VpcIds: [vpcId] }) as { Vpcs: { Ipv6CidrBlockAssociationSet: { Ipv6CidrBlock: string }[] }[] }).Vpcs[0]!.Ipv6CidrBlockAssociationSet[0]!.Ipv6CidrBlock;
    expect(block).toBe('2001:db8::/56');
    const { Subnet } = s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.1.0/24', Ipv6CidrBlock: '2001:db8:0:1::/64' }) as { Subnet: { SubnetId: string; Ipv6CidrBlockAssociationSet: unknown[] } };
    expect(Subnet.Ipv6CidrBlockAssociationSet).toEqual([{
      AssociationId: `subnet-cidr-assoc-${Subnet.SubnetId.slice(7)}`, Ipv6CidrBlock: '2001:db8:0:1::/64', Ipv6CidrBlockState: { State: 'associated' },
    }]);
    expect(ec2Error(() => s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.2.0/24', Ipv6CidrBlock: '2001:db8:0:1::/64' })).code).toBe('InvalidSubnet.Conflict');
    expect(ec2Error(() => s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.2.0/24', Ipv6CidrBlock: '2001:db8:1::/64' })).code).toBe('InvalidSubnet.Range');
    expect(ec2Error(() => s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.2.0/24', Ipv6CidrBlock: '2001:db8:0:2::/80' })).code).toBe('InvalidSubnet.Range');
    const plain = vpcWith();
    expect(ec2Error(() => plain.s.call('CreateSubnet', { VpcId: plain.vpcId, CidrBlock: '10.1.2.0/24', Ipv6CidrBlock: '2001:db8::/64' })).code).toBe('InvalidSubnet.Range');
  });

  it('is found by EC2\'s filters: vpc-id, cidr-block, subnet-id, tag:', () => {
    const { s, vpcId } = vpcWith();
    const a = (s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.1.0/24', TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'tier', Value: 'web' }] }] }) as { Subnet: { SubnetId: string } }).Subnet.SubnetId;
    const b = (s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.2.0/24' }) as { Subnet: { SubnetId: string } }).Subnet.SubnetId;
    const ids = (filters: unknown) => (s.call('DescribeSubnets', { Filters: filters }) as { Subnets: { SubnetId: string }[] }).Subnets.map((x) => x.SubnetId);
    expect(ids([{ Name: 'vpc-id', Values: [vpcId] }])).toEqual([a, b]);
    expect(ids([{ Name: 'cidr-block', Values: ['10.1.2.0/24'] }])).toEqual([b]);
    expect(ids([{ Name: 'subnet-id', Values: [a] }])).toEqual([a]);
    expect(ids([{ Name: 'tag:tier', Values: ['web'] }])).toEqual([a]);
    expect(ids([{ Name: 'tag-key', Values: ['tier'] }])).toEqual([a]);
    expect(ec2Error(() => ids([{ Name: 'subnet-id', Values: ['subnet-x'] }])).code).toBe('InvalidSubnetID.Malformed');
    expect(ec2Error(() => ids([{ Name: 'nonsense', Values: ['x'] }])).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.call('DescribeSubnets', { SubnetIds: ['subnet-0123456789abcdef0'] })).code).toBe('InvalidSubnetID.NotFound');
    s.call('CreateTags', { Resources: [b], Tags: [{ Key: 'tier', Value: 'db' }] });
    expect(ids([{ Name: 'tag:tier', Values: ['db'] }])).toEqual([b]);
  });

  it('is deleted only without interfaces (DependencyViolation), and holds its VPC', () => {
    const { s, vpcId } = vpcWith();
    const { Subnet } = s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.1.0/24' }) as { Subnet: { SubnetId: string } };
    const { NetworkInterface } = s.call('CreateNetworkInterface', { SubnetId: Subnet.SubnetId }) as { NetworkInterface: { NetworkInterfaceId: string } };
    const e = ec2Error(() => s.call('DeleteSubnet', { SubnetId: Subnet.SubnetId }));
    expect([e.code, e.message]).toEqual(['DependencyViolation', `The subnet '${Subnet.SubnetId}' has dependencies and cannot be deleted.`]);
    expect(ec2Error(() => s.call('DeleteVpc', { VpcId: vpcId })).code).toBe('DependencyViolation');
    s.call('DeleteNetworkInterface', { NetworkInterfaceId: NetworkInterface.NetworkInterfaceId });
    expect(ec2Error(() => s.call('DeleteVpc', { VpcId: vpcId })).code).toBe('DependencyViolation');
    expect(s.call('DeleteSubnet', { SubnetId: Subnet.SubnetId })).toEqual({});
    expect(ec2Error(() => s.call('DeleteSubnet', { SubnetId: Subnet.SubnetId })).code).toBe('InvalidSubnetID.NotFound');
    expect(s.call('DeleteVpc', { VpcId: vpcId })).toEqual({ Return: true });
  });

  it('counts against EC2\'s quota of subnets per VPC', () => {
    const s = newService({ subnetsPerVpc: 2 });
    const vpcId = (s.call('CreateVpc', { CidrBlock: '10.1.0.0/16' }) as { Vpc: { VpcId: string } }).Vpc.VpcId;
    s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.1.0/24' });
    s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.2.0/24' });
    expect(ec2Error(() => s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.3.0/24' })).code).toBe('SubnetLimitExceeded');
  });
});
