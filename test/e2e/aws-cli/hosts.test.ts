// Issue 17: hosts registered with the `aws` CLI alone: create-vpc (with an IPv6 block),
// create-subnet, create-network-interface, the address actions, the sgfw:host-id tag, and each of
// their EC2 errors as the CLI prints them, against a running `sgfw serve`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEc2, awsFails as fails, awsOk as ok, hasAwsCli, type AwsEc2, type AwsResult } from '../../support/aws-cli.js';
import { createCredentials, startServe, type ServeProcess } from '../../support/serve-process.js';

const skip = !hasAwsCli && !process.env.CI;

let dir: string;
let server: ServeProcess;
let credentials: { accessKeyId: string; secretAccessKey: string };
let aws: AwsEc2;
const ids = { vpc: '', subnet: '', v6subnet: '', web: '', eni: '', eni6: '', assoc6: '', assoc4: '' };

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'sgfw-aws-hosts-'));
  credentials = createCredentials(dir);
  server = await startServe(dir);
  aws = awsEc2(server.url, credentials);
}, 60_000);
afterAll(async () => {
  if (server) await server.stop();
}, 30_000);


describe.skipIf(skip)('registering hosts with the aws CLI against sgfw serve', { timeout: 180_000 }, () => {
  it('create-vpc with an Amazon-provided IPv6 block; its groups allow ::/0 outbound', async () => {
    const vpc = ok(await aws('create-vpc', '--cidr-block', '10.60.0.0/16', '--amazon-provided-ipv6-cidr-block')).Vpc;
    ids.vpc = vpc.VpcId;
    expect(vpc.Ipv6CidrBlockAssociationSet).toEqual([expect.objectContaining({ Ipv6CidrBlock: '2001:db8::/56', Ipv6CidrBlockState: { State: 'associated' } })]);
    ids.assoc6 = vpc.Ipv6CidrBlockAssociationSet[0].AssociationId;
    ids.web = ok(await aws('create-security-group', '--group-name', 'web', '--description', 'web', '--vpc-id', ids.vpc)).GroupId;
    const groups = ok(await aws('describe-security-groups', '--filters', `Name=vpc-id,Values=${ids.vpc}`)).SecurityGroups;
    for (const g of groups) {
      expect(g.IpPermissionsEgress, g.GroupName).toEqual([{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }], PrefixListIds: [], UserIdGroupPairs: [] }]);
    }
    const listed = ok(await aws('describe-vpcs', '--vpc-ids', ids.vpc)).Vpcs[0];
    expect(listed.Ipv6CidrBlockAssociationSet[0].AssociationId).toBe(ids.assoc6);
  });

  it('create-subnet, describe-subnets with filters, and the subnet errors', async () => {
    const [a, b] = await Promise.all([
      aws('create-subnet', '--vpc-id', ids.vpc, '--cidr-block', '10.60.1.0/24', '--tag-specifications', 'ResourceType=subnet,Tags=[{Key=Name,Value=web}]'),
      aws('create-subnet', '--vpc-id', ids.vpc, '--cidr-block', '10.60.2.0/28', '--ipv6-cidr-block', '2001:db8:0:2::/64'),
    ]);
    const subnet = ok(a).Subnet;
    ids.subnet = subnet.SubnetId;
    ids.v6subnet = ok(b).Subnet.SubnetId;
    expect(subnet).toMatchObject({ CidrBlock: '10.60.1.0/24', VpcId: ids.vpc, AvailableIpAddressCount: 251, State: 'available', Tags: [{ Key: 'Name', Value: 'web' }] });
    const [byTag, byCidr, range, conflict, noVpc, badId, unknown] = await Promise.all([
      aws('describe-subnets', '--filters', 'Name=tag:Name,Values=web'),
      aws('describe-subnets', '--filters', 'Name=cidr-block,Values=10.60.2.0/28', `Name=vpc-id,Values=${ids.vpc}`),
      aws('create-subnet', '--vpc-id', ids.vpc, '--cidr-block', '10.61.0.0/24'),
      aws('create-subnet', '--vpc-id', ids.vpc, '--cidr-block', '10.60.1.0/25'),
      aws('create-subnet', '--vpc-id', 'vpc-0123456789abcdef0', '--cidr-block', '10.60.3.0/24'),
      aws('describe-subnets', '--filters', 'Name=subnet-id,Values=web'),
      aws('describe-subnets', '--subnet-ids', 'subnet-0123456789abcdef0'),
    ]);
    expect(ok(byTag).Subnets.map((s: any) => s.SubnetId)).toEqual([ids.subnet]);
    expect(ok(byCidr).Subnets.map((s: any) => s.SubnetId)).toEqual([ids.v6subnet]);
    fails(range, 'InvalidSubnet.Range', "The CIDR '10.61.0.0/24' is invalid.");
    fails(conflict, 'InvalidSubnet.Conflict', "The CIDR '10.60.1.0/25' conflicts with another subnet");
    fails(noVpc, 'InvalidVpcID.NotFound', "The vpc ID 'vpc-0123456789abcdef0' does not exist");
    fails(badId, 'InvalidSubnetID.Malformed', "The subnet ID 'web' is malformed");
    fails(unknown, 'InvalidSubnetID.NotFound');
  });

  it('create-network-interface --subnet-id --groups takes the lowest free address and answers EC2\'s fields', async () => {
    const eni = ok(await aws('create-network-interface', '--subnet-id', ids.subnet, '--groups', ids.web, '--description', 'web 1',
      '--secondary-private-ip-address-count', '1')).NetworkInterface;
    ids.eni = eni.NetworkInterfaceId;
    expect(eni).toMatchObject({
      SubnetId: ids.subnet, VpcId: ids.vpc, Status: 'available', InterfaceType: 'interface', OwnerId: '123456789012', Description: 'web 1',
      PrivateIpAddress: '10.60.1.4', Groups: [{ GroupId: ids.web, GroupName: 'web' }], TagSet: [], RequesterManaged: false, SourceDestCheck: true,
    });
    expect(eni.PrivateIpAddresses.map((p: any) => [p.PrivateIpAddress, p.Primary])).toEqual([['10.60.1.4', true], ['10.60.1.5', false]]);
    const [inUse, outside, noSubnet, tooMany] = await Promise.all([
      aws('create-network-interface', '--subnet-id', ids.subnet, '--private-ip-address', '10.60.1.5'),
      aws('create-network-interface', '--subnet-id', ids.subnet, '--private-ip-address', '10.60.9.5'),
      aws('create-network-interface', '--subnet-id', 'subnet-0123456789abcdef0'),
      aws('create-network-interface', '--subnet-id', ids.subnet, '--secondary-private-ip-address-count', '60'),
    ]);
    fails(inUse, 'InvalidIPAddress.InUse', /^Address 10\.60\.1\.5 is in use/);
    fails(outside, 'InvalidParameterValue', /does not fall within the subnet's address range/);
    fails(noSubnet, 'InvalidSubnetID.NotFound');
    fails(tooMany, 'PrivateIpAddressLimitExceeded');
  });

  it('assign/unassign-private-ip-addresses and assign/unassign-ipv6-addresses', async () => {
    const assigned = ok(await aws('assign-private-ip-addresses', '--network-interface-id', ids.eni, '--secondary-private-ip-address-count', '2'));
    expect(assigned.AssignedPrivateIpAddresses).toEqual([{ PrivateIpAddress: '10.60.1.6' }, { PrivateIpAddress: '10.60.1.7' }]);
    ok(await aws('unassign-private-ip-addresses', '--network-interface-id', ids.eni, '--private-ip-addresses', '10.60.1.5', '10.60.1.6'));
    fails(await aws('unassign-private-ip-addresses', '--network-interface-id', ids.eni, '--private-ip-addresses', '10.60.1.4'), 'InvalidParameterValue', /primary/);
    const now = ok(await aws('describe-network-interfaces', '--network-interface-ids', ids.eni)).NetworkInterfaces[0];
    expect(now.PrivateIpAddresses.map((p: any) => p.PrivateIpAddress)).toEqual(['10.60.1.4', '10.60.1.7']);

    const eni6 = ok(await aws('create-network-interface', '--subnet-id', ids.v6subnet, '--ipv6-address-count', '1')).NetworkInterface;
    ids.eni6 = eni6.NetworkInterfaceId;
    expect(eni6.Ipv6Addresses).toEqual([expect.objectContaining({ Ipv6Address: '2001:db8:0:2::4' })]);
    expect(ok(await aws('assign-ipv6-addresses', '--network-interface-id', ids.eni6, '--ipv6-addresses', '2001:db8:0:2::a')).AssignedIpv6Addresses).toEqual(['2001:db8:0:2::a']);
    expect(ok(await aws('unassign-ipv6-addresses', '--network-interface-id', ids.eni6, '--ipv6-addresses', '2001:db8:0:2::4')).UnassignedIpv6Addresses).toEqual(['2001:db8:0:2::4']);
    fails(await aws('assign-ipv6-addresses', '--network-interface-id', ids.eni, '--ipv6-address-count', '1'), 'InvalidParameterValue', /no IPv6 CIDR block/);
    // a /28 holds 11 usable addresses (one is eni6's): ten more in one call's worth is too many
    fails(await aws('create-network-interface', '--subnet-id', ids.v6subnet, '--secondary-private-ip-address-count', '10'), 'InsufficientFreeAddressesInSubnet');
  });

  it('create-tags Key=sgfw:host-id places an interface, delete-tags unplaces it', async () => {
    ok(await aws('create-tags', '--resources', ids.eni, '--tags', 'Key=sgfw:host-id,Value=web-1', 'Key=Name,Value=web-1'));
    const placed = ok(await aws('describe-network-interfaces', '--filters', 'Name=tag:sgfw:host-id,Values=web-1')).NetworkInterfaces;
    expect(placed.map((i: any) => [i.NetworkInterfaceId, i.Status])).toEqual([[ids.eni, 'in-use']]);
    expect(placed[0].TagSet).toEqual([{ Key: 'Name', Value: 'web-1' }, { Key: 'sgfw:host-id', Value: 'web-1' }]);
    fails(await aws('create-tags', '--resources', ids.eni, '--tags', 'Key=sgfw:host-id,Value=a/b'), 'InvalidParameterValue', /sgfw:host-id/);
    const tags = ok(await aws('describe-tags', '--filters', `Name=resource-id,Values=${ids.eni}`)).Tags;
    expect(tags.map((t: any) => [t.Key, t.ResourceType])).toEqual([['Name', 'network-interface'], ['sgfw:host-id', 'network-interface']]);
    ok(await aws('delete-tags', '--resources', ids.eni, '--tags', 'Key=sgfw:host-id'));
    expect(ok(await aws('describe-network-interfaces', '--network-interface-ids', ids.eni)).NetworkInterfaces[0].Status).toBe('available');
  });

  it('associate/disassociate-vpc-cidr-block, and deleting in order: interfaces, subnets, the VPC', async () => {
    const [inUse, v6InUse, added, overlap, twice] = await Promise.all([
      aws('delete-subnet', '--subnet-id', ids.subnet),
      aws('disassociate-vpc-cidr-block', '--association-id', ids.assoc6),
      aws('associate-vpc-cidr-block', '--vpc-id', ids.vpc, '--cidr-block', '10.62.0.0/16'),
      aws('associate-vpc-cidr-block', '--vpc-id', ids.vpc, '--cidr-block', '10.60.128.0/17'),
      aws('associate-vpc-cidr-block', '--vpc-id', ids.vpc, '--amazon-provided-ipv6-cidr-block'),
    ]);
    fails(inUse, 'DependencyViolation', `The subnet '${ids.subnet}' has dependencies and cannot be deleted.`);
    fails(v6InUse, 'DependencyViolation');
    const secondary = ok(added).CidrBlockAssociation;
    expect(secondary).toMatchObject({ CidrBlock: '10.62.0.0/16', CidrBlockState: { State: 'associated' } });
    fails(overlap, 'InvalidVpc.Range');
    fails(twice, 'CidrLimitExceeded');
    ok(await aws('disassociate-vpc-cidr-block', '--association-id', secondary.AssociationId));
    const [gone] = await Promise.all([
      aws('disassociate-vpc-cidr-block', '--association-id', secondary.AssociationId),
      ...[ids.eni, ids.eni6].map((eni) => aws('delete-network-interface', '--network-interface-id', eni).then(ok)),
    ]);
    fails(gone as AwsResult, 'InvalidVpcCidrBlockAssociationID.NotFound');
    fails(await aws('delete-network-interface', '--network-interface-id', ids.eni), 'InvalidNetworkInterfaceID.NotFound');
    await Promise.all([ids.subnet, ids.v6subnet].map((s) => aws('delete-subnet', '--subnet-id', s).then(ok)));
    expect(ok(await aws('disassociate-vpc-cidr-block', '--association-id', ids.assoc6)).Ipv6CidrBlockAssociation.Ipv6CidrBlockState.State).toBe('disassociated');
    ok(await aws('delete-security-group', '--group-id', ids.web));
    ok(await aws('delete-vpc', '--vpc-id', ids.vpc));
  });
});
