// Issue 17: VPCs with IPv6 (AmazonProvidedIpv6CidrBlock, AssociateVpcCidrBlock) and what EC2 gives
// their groups: the default group and new groups allow all outbound IPv6 traffic as well.
import { describe, expect, it } from 'vitest';
import { ec2Error, newService } from './helpers.js';

const ALL = { IpProtocol: '-1', IpRanges: [] as unknown[], Ipv6Ranges: [] as unknown[], PrefixListIds: [], UserIdGroupPairs: [] };
const BOTH_EGRESS = [{ ...ALL, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }];

function groupsOf(s: ReturnType<typeof newService>, vpcId: string) {
  return (s.call('DescribeSecurityGroups', { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }) as { SecurityGroups: { GroupName: string; IpPermissionsEgress: unknown[] }[] }).SecurityGroups;
}

describe('a VPC created with an Amazon-provided IPv6 block', () => {
  it('gets the lowest free /56 of 2001:db8::/32, listed by DescribeVpcs', () => {
    const s = newService();
    const a = (s.call('CreateVpc', { CidrBlock: '10.1.0.0/16', AmazonProvidedIpv6CidrBlock: true }) as { Vpc: Record<string, unknown> & { VpcId: string } }).Vpc;
    const b = (s.call('CreateVpc', { CidrBlock: '10.2.0.0/16', AmazonProvidedIpv6CidrBlock: true }) as { Vpc: { VpcId: string; Ipv6CidrBlockAssociationSet: { Ipv6CidrBlock: string }[] } }).Vpc;
    expect(a.Ipv6CidrBlockAssociationSet).toEqual([{
      AssociationId: expect.stringMatching(/^vpc-cidr-assoc-[0-9a-f]{17}$/), Ipv6CidrBlock: '2001:db8::/56',
      Ipv6CidrBlockState: { State: 'associated' }, NetworkBorderGroup: 'us-east-1', Ipv6Pool: 'Amazon',
    }]);
    expect(b.Ipv6CidrBlockAssociationSet[0]!.Ipv6CidrBlock).toBe('2001:db8:0:100::/56');
    expect((s.call('DescribeVpcs', { VpcIds: [a.VpcId] }) as { Vpcs: unknown[] }).Vpcs).toEqual([a]);
    const filtered = s.call('DescribeVpcs', { Filters: [{ Name: 'ipv6-cidr-block-association.ipv6-cidr-block', Values: ['2001:db8:0:100::/56'] }] }) as { Vpcs: { VpcId: string }[] };
    expect(filtered.Vpcs.map((v) => v.VpcId)).toEqual([b.VpcId]);
  });

  it('has a default group and new groups that allow all outbound IPv4 and IPv6 traffic', () => {
    const s = newService();
    const vpcId = (s.call('CreateVpc', { CidrBlock: '10.1.0.0/16', AmazonProvidedIpv6CidrBlock: true }) as { Vpc: { VpcId: string } }).Vpc.VpcId;
    s.call('CreateSecurityGroup', { GroupName: 'web', Description: 'w', VpcId: vpcId });
    for (const g of groupsOf(s, vpcId)) expect(g.IpPermissionsEgress).toEqual(BOTH_EGRESS);
    // an IPv4-only VPC's groups: IPv4 only, as before
    const plain = (s.call('CreateVpc', { CidrBlock: '10.2.0.0/16' }) as { Vpc: { VpcId: string } }).Vpc.VpcId;
    s.call('CreateSecurityGroup', { GroupName: 'web', Description: 'w', VpcId: plain });
    for (const g of groupsOf(s, plain)) expect(g.IpPermissionsEgress).toEqual([{ ...ALL, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
  });
});

describe('AssociateVpcCidrBlock and DisassociateVpcCidrBlock', () => {
  it('an IPv6 block associated later adds ::/0 to the default group only, and new groups get both', () => {
    const s = newService();
    const vpcId = (s.call('CreateVpc', { CidrBlock: '10.1.0.0/16' }) as { Vpc: { VpcId: string } }).Vpc.VpcId;
    s.call('CreateSecurityGroup', { GroupName: 'old', Description: 'o', VpcId: vpcId });
    const out = s.call('AssociateVpcCidrBlock', { VpcId: vpcId, AmazonProvidedIpv6CidrBlock: true }) as { VpcId: string; Ipv6CidrBlockAssociation: { AssociationId: string; Ipv6CidrBlock: string } };
    expect(out).toMatchObject({ VpcId: vpcId, Ipv6CidrBlockAssociation: { Ipv6CidrBlock: '2001:db8::/56', Ipv6CidrBlockState: { State: 'associated' } } });
    s.call('CreateSecurityGroup', { GroupName: 'new', Description: 'n', VpcId: vpcId });
    const egress = Object.fromEntries(groupsOf(s, vpcId).map((g) => [g.GroupName, g.IpPermissionsEgress]));
    expect(egress.default).toEqual(BOTH_EGRESS);
    expect(egress.new).toEqual(BOTH_EGRESS);
    expect(egress.old).toEqual([{ ...ALL, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
    expect(ec2Error(() => s.call('AssociateVpcCidrBlock', { VpcId: vpcId, AmazonProvidedIpv6CidrBlock: true })).code).toBe('CidrLimitExceeded');
    // a subnet holds the block; without it, the block goes and its id is no longer known
    const subnet = (s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.1.0/24', Ipv6CidrBlock: '2001:db8:0:1::/64' }) as { Subnet: { SubnetId: string } }).Subnet.SubnetId;
    const id = out.Ipv6CidrBlockAssociation.AssociationId;
    expect(ec2Error(() => s.call('DisassociateVpcCidrBlock', { AssociationId: id })).code).toBe('DependencyViolation');
    s.call('DeleteSubnet', { SubnetId: subnet });
    expect(s.call('DisassociateVpcCidrBlock', { AssociationId: id })).toMatchObject({ VpcId: vpcId, Ipv6CidrBlockAssociation: { Ipv6CidrBlockState: { State: 'disassociated' } } });
    expect((s.call('DescribeVpcs', { VpcIds: [vpcId] }) as { Vpcs: Record<string, unknown>[] }).Vpcs[0]!.Ipv6CidrBlockAssociationSet).toBeUndefined();
    expect(ec2Error(() => s.call('DisassociateVpcCidrBlock', { AssociationId: id })).code).toBe('InvalidVpcCidrBlockAssociationID.NotFound');
  });

  it('a secondary IPv4 block takes subnets; the primary block stays', () => {
    const s = newService();
    const { Vpc } = s.call('CreateVpc', { CidrBlock: '10.1.0.0/16' }) as { Vpc: { VpcId: string; CidrBlockAssociationSet: { AssociationId: string }[] } };
    const out = s.call('AssociateVpcCidrBlock', { VpcId: Vpc.VpcId, CidrBlock: '10.2.0.0/16' }) as { CidrBlockAssociation: { AssociationId: string; CidrBlock: string } };
    expect(out.CidrBlockAssociation).toMatchObject({ CidrBlock: '10.2.0.0/16', CidrBlockState: { State: 'associated' } });
    expect(s.call('CreateSubnet', { VpcId: Vpc.VpcId, CidrBlock: '10.2.3.0/24' })).toMatchObject({ Subnet: { CidrBlock: '10.2.3.0/24' } });
    const listed = (s.call('DescribeVpcs', { VpcIds: [Vpc.VpcId] }) as { Vpcs: { CidrBlockAssociationSet: { CidrBlock: string }[] }[] }).Vpcs[0]!;
    expect(listed.CidrBlockAssociationSet.map((a) => a.CidrBlock)).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    expect(ec2Error(() => s.call('AssociateVpcCidrBlock', { VpcId: Vpc.VpcId, CidrBlock: '10.1.128.0/17' })).code).toBe('InvalidVpc.Range');
    expect(ec2Error(() => s.call('AssociateVpcCidrBlock', { VpcId: Vpc.VpcId, CidrBlock: '10.3.0.0/15' })).code).toBe('InvalidVpc.Range');
    expect(ec2Error(() => s.call('AssociateVpcCidrBlock', { VpcId: Vpc.VpcId })).code).toBe('InvalidParameterCombination');
    expect(ec2Error(() => s.call('DisassociateVpcCidrBlock', { AssociationId: out.CidrBlockAssociation.AssociationId })).code).toBe('DependencyViolation');
    expect(ec2Error(() => s.call('DisassociateVpcCidrBlock', { AssociationId: Vpc.CidrBlockAssociationSet[0]!.AssociationId })).message).toContain('primary');
    expect(ec2Error(() => s.call('DisassociateVpcCidrBlock', { AssociationId: 'nope' })).code).toBe('InvalidVpcCidrBlockAssociationId.Malformed');
    expect(ec2Error(() => s.call('AssociateVpcCidrBlock', { VpcId: 'vpc-0123456789abcdef0', AmazonProvidedIpv6CidrBlock: true })).code).toBe('InvalidVpcID.NotFound');
  });
});
