// Every field the service answers has a place in EC2's answer: a session of every EC2 action sgfw
// serves, each result walked against the served response shape (botocore's output, generated), so
// nothing sgfw knows is dropped by the XML renderer for want of an element name. The one field of
// sgfw's own, `Stale` (a rule whose peer is gone), is left out of the XML on purpose.
import { describe, expect, it } from 'vitest';
import { RESPONSE_SHAPES } from '../../../src/api/served-shapes.js';
import type { Shape } from '../../../src/api/shape-kinds.js';
import { SERVICE_ACTIONS } from '../../../src/control/service.js';
import { newService, VPC } from '../../control/helpers.js';

/** Paths (`Action.Member[].Member`) of fields `value` has that `shape` does not. */
function fieldsOutside(shape: Shape, value: unknown, path: string, out: Set<string>): void {
  if (typeof shape === 'string' || value === undefined || value === null) return;
  if (shape.kind === 'list') {
    if (Array.isArray(value)) for (const item of value) fieldsOutside(shape.member, item, `${path}[]`, out);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const member = shape.members[k];
    if (member === undefined) out.add(`${path}.${k}`);
    else fieldsOutside(member.shape, v, `${path}.${k}`, out);
  }
}

describe('what the service answers fits EC2\'s answer shapes', () => {
  it('a session through every served EC2 action has no field outside them but sgfw\'s Stale', () => {
    const s = newService();
    const answered = new Set<string>();
    const outside = new Set<string>();
    const call = (action: string, params: Record<string, unknown>): Record<string, unknown> => {
      const result = s.call(action, params) as Record<string, unknown>;
      answered.add(action);
      fieldsOutside(RESPONSE_SHAPES[action]!, result, action, outside);
      return result;
    };
    const tags = (type: string) => [{ ResourceType: type, Tags: [{ Key: 'env', Value: 'prod' }] }];
    const vpc = (call('CreateVpc', { CidrBlock: '10.1.0.0/16', TagSpecifications: tags('vpc') }).Vpc as { VpcId: string }).VpcId;
    const g = call('CreateSecurityGroup', { GroupName: 'web', Description: 'w', VpcId: VPC, TagSpecifications: tags('security-group') }).GroupId as string;
    const peer = call('CreateSecurityGroup', { GroupName: 'gone', Description: 'g', VpcId: VPC }).GroupId as string;
    const pl = (call('CreateManagedPrefixList', {
      PrefixListName: 'p', AddressFamily: 'IPv4', MaxEntries: 3, Entries: [{ Cidr: '10.0.0.0/8', Description: 'd' }], TagSpecifications: tags('prefix-list'),
    }).PrefixList as { PrefixListId: string }).PrefixListId;
    call('AuthorizeSecurityGroupIngress', {
      GroupId: g, TagSpecifications: tags('security-group-rule'),
      IpPermissions: [{
        IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'x' }, { CidrIp: '10.9.0.0/16' }],
        Ipv6Ranges: [{ CidrIpv6: '::/0', Description: 'v6' }], PrefixListIds: [{ PrefixListId: pl, Description: 'pl' }], UserIdGroupPairs: [{ GroupId: peer, Description: 'peer' }],
      }],
    });
    call('AuthorizeSecurityGroupEgress', { GroupId: g, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.2/32' }] }] });
    call('UpdateSecurityGroupRuleDescriptionsIngress', { GroupId: g, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.9.0.0/16', Description: 'n' }] }] });
    call('UpdateSecurityGroupRuleDescriptionsEgress', { GroupId: g, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.2/32', Description: 'dns' }] }] });
    const ruleId = (call('DescribeSecurityGroupRules', { Filters: [{ Name: 'group-id', Values: [g] }] }).SecurityGroupRules as { SecurityGroupRuleId: string; CidrIpv4?: string }[])
      .find((r) => r.CidrIpv4 === '10.9.0.0/16')!.SecurityGroupRuleId;
    call('ModifySecurityGroupRules', { GroupId: g, SecurityGroupRules: [{ SecurityGroupRuleId: ruleId, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 23, ToPort: 23, CidrIpv4: '10.9.0.0/16' } }] });
    call('RegisterNetworkInterface', { NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', VpcId: VPC, PrivateIpAddress: '10.0.0.5', Groups: [g], Ipv6Addresses: [{ Ipv6Address: '2001:db8::5' }], Description: 'host' });
    call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', Description: { Value: 'front' } });
    call('CreateTags', { Resources: [g, vpc], Tags: [{ Key: 'team', Value: 'net' }] });
    call('DeleteTags', { Resources: [vpc], Tags: [{ Key: 'team' }] });
    call('ModifyManagedPrefixList', { PrefixListId: pl, CurrentVersion: 1, AddEntries: [{ Cidr: '192.0.2.0/24' }] });
    call('GetManagedPrefixListEntries', { PrefixListId: pl, TargetVersion: 1 });
    const v6 = call('AssociateVpcCidrBlock', { VpcId: vpc, AmazonProvidedIpv6CidrBlock: true }).Ipv6CidrBlockAssociation as { AssociationId: string; Ipv6CidrBlock: string };
    const subnet = (call('CreateSubnet', {
      VpcId: vpc, CidrBlock: '10.1.1.0/24', Ipv6CidrBlock: v6.Ipv6CidrBlock.replace('/56', '/64'), TagSpecifications: tags('subnet'),
    }).Subnet as { SubnetId: string }).SubnetId;
    const eni = (call('CreateNetworkInterface', {
      SubnetId: subnet, Description: 'made', Ipv6AddressCount: 1,
      TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'sgfw:host-id', Value: 'h1' }] }],
    }).NetworkInterface as { NetworkInterfaceId: string }).NetworkInterfaceId;
    const more = call('AssignPrivateIpAddresses', { NetworkInterfaceId: eni, SecondaryPrivateIpAddressCount: 1 }).AssignedPrivateIpAddresses as { PrivateIpAddress: string }[];
    const more6 = call('AssignIpv6Addresses', { NetworkInterfaceId: eni, Ipv6AddressCount: 1 }).AssignedIpv6Addresses as string[];
    call('DescribeSubnets', { MaxResults: 5 });
    call('RevokeSecurityGroupIngress', { GroupId: g, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] });
    for (const action of ['DescribeSecurityGroups', 'DescribeSecurityGroupRules', 'DescribeNetworkInterfaces', 'DescribeManagedPrefixLists', 'DescribeVpcs', 'DescribeTags', 'DescribePrefixLists']) {
      call(action, { MaxResults: 5 });
    }
    call('DescribeStaleSecurityGroups', { VpcId: VPC });
    call('RevokeSecurityGroupEgress', { GroupId: g, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.2/32' }] }] });
    call('DeregisterNetworkInterface', { NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001' });
    call('DeleteSecurityGroup', { GroupId: call('CreateSecurityGroup', { GroupName: 'x', Description: 'x', VpcId: VPC }).GroupId as string });
    const q = (call('CreateManagedPrefixList', { PrefixListName: 'q', AddressFamily: 'IPv6', MaxEntries: 1 }).PrefixList as { PrefixListId: string }).PrefixListId;
    call('DeleteManagedPrefixList', { PrefixListId: q });
    call('UnassignPrivateIpAddresses', { NetworkInterfaceId: eni, PrivateIpAddresses: more.map((a) => a.PrivateIpAddress) });
    call('UnassignIpv6Addresses', { NetworkInterfaceId: eni, Ipv6Addresses: more6 });
    call('DeleteNetworkInterface', { NetworkInterfaceId: eni });
    call('DeleteSubnet', { SubnetId: subnet });
    call('DisassociateVpcCidrBlock', { AssociationId: v6.AssociationId });
    call('DeleteVpc', { VpcId: vpc });

    // every action the service serves: one added since this session was written belongs in it
    expect(SERVICE_ACTIONS.filter((a) => !answered.has(a))).toEqual([]);
    expect([...outside].filter((p) => !p.endsWith('.Stale'))).toEqual([]);
  });
});
