// Members of EC2's model (botocore's input shapes) that an action sgfw serves does not carry out. A
// request giving one is refused with EC2's UnsupportedOperation and the reason, rather than answered
// as if it had been done: a tool that asked for IPAM addressing or an unchecked source/destination
// must learn it did not happen. Accepted without acting on them: DescribeNetworkInterfaces'
// IncludeManagedResources (sgfw has no managed interfaces, so nothing differs), AssignPrivateIpAddresses'
// AllowReassignment (an address another interface holds is refused as InvalidIPAddress.InUse either way).
// ClientToken (CreateManagedPrefixList, CreateNetworkInterface) is carried out: client-tokens.ts keeps
// each token with its request and first answer, durably (the state directory's journal and snapshots,
// the etcd store's token/ keys).
// test/control/unsupported-params.test.ts checks every name here against the model.
import { Ec2Error } from '../model/ec2-error.js';

const NO_INSTANCES = 'sgfw enforces security groups on interfaces it does not attach to instances';
const NO_IPAM = 'sgfw has no IPAM or BYOIP address pools; give the block itself (IPv6: AmazonProvidedIpv6CidrBlock)';
const NO_PREFIXES = 'sgfw does not delegate address prefixes to interfaces';

export const UNSUPPORTED_PARAMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ModifyNetworkInterfaceAttribute: {
    SourceDestCheck: 'sgfw forwards nothing, so there is no source/destination check to change',
    Attachment: NO_INSTANCES,
    EnaSrdSpecification: NO_INSTANCES,
    EnablePrimaryIpv6: 'sgfw does not model primary IPv6 addresses',
    AssociatePublicIpAddress: 'sgfw does not model public IPv4 addresses',
    AssociatedSubnetIds: 'sgfw does not model interfaces spanning subnets',
  },
  CreateVpc: {
    Ipv4IpamPoolId: NO_IPAM,
    Ipv4NetmaskLength: NO_IPAM,
    Ipv6Pool: NO_IPAM,
    Ipv6CidrBlock: NO_IPAM,
    Ipv6IpamPoolId: NO_IPAM,
    Ipv6NetmaskLength: NO_IPAM,
    Ipv6CidrBlockNetworkBorderGroup: NO_IPAM,
    VpcEncryptionControl: 'sgfw does not model VPC encryption controls',
  },
  AssociateVpcCidrBlock: {
    Ipv4IpamPoolId: NO_IPAM,
    Ipv4NetmaskLength: NO_IPAM,
    Ipv6Pool: NO_IPAM,
    Ipv6CidrBlock: NO_IPAM,
    Ipv6IpamPoolId: NO_IPAM,
    Ipv6NetmaskLength: NO_IPAM,
    Ipv6CidrBlockNetworkBorderGroup: NO_IPAM,
  },
  CreateSubnet: {
    Ipv4IpamPoolId: NO_IPAM,
    Ipv4NetmaskLength: NO_IPAM,
    Ipv6IpamPoolId: NO_IPAM,
    Ipv6NetmaskLength: NO_IPAM,
    Ipv6Native: 'sgfw subnets always have an IPv4 block',
    OutpostArn: 'sgfw has no Outposts',
  },
  CreateNetworkInterface: {
    Ipv4Prefixes: NO_PREFIXES,
    Ipv4PrefixCount: NO_PREFIXES,
    Ipv6Prefixes: NO_PREFIXES,
    Ipv6PrefixCount: NO_PREFIXES,
    InterfaceType: 'sgfw interfaces are of the default type (interface)',
    EnablePrimaryIpv6: 'sgfw does not model primary IPv6 addresses',
    Operator: 'sgfw interfaces have no managing operator',
  },
  AssignPrivateIpAddresses: {
    Ipv4Prefixes: NO_PREFIXES,
    Ipv4PrefixCount: NO_PREFIXES,
  },
  UnassignPrivateIpAddresses: { Ipv4Prefixes: NO_PREFIXES },
  AssignIpv6Addresses: { Ipv6Prefixes: NO_PREFIXES, Ipv6PrefixCount: NO_PREFIXES },
  UnassignIpv6Addresses: { Ipv6Prefixes: NO_PREFIXES },
  ModifyManagedPrefixList: {
    IpamPrefixListResolverSyncEnabled: 'sgfw has no IPAM prefix list resolvers',
  },
};

/** Throws UnsupportedOperation when `params` gives a member of `action` that sgfw does not carry out. */
export function refuseUnsupportedParams(action: string, params: unknown): void {
  const unsupported = Object.hasOwn(UNSUPPORTED_PARAMS, action) ? UNSUPPORTED_PARAMS[action] : undefined;
  if (unsupported === undefined || typeof params !== 'object' || params === null) return;
  for (const [name, why] of Object.entries(unsupported)) {
    if ((params as Record<string, unknown>)[name] !== undefined) {
      throw new Ec2Error('UnsupportedOperation', `${action} with ${name} is not supported: ${why}.`);
    }
  }
}
