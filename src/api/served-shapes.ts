// The request and response shapes of every action sgfw serves, in the one place the request
// decoder (query-params.ts) and the XML renderer (ec2-xml.ts) read them: EC2's, generated from
// botocore's model (ec2-shapes.ts), merged with sgfw's own, written here by hand because the model
// does not have them.
import { EC2_REQUEST_SHAPES, EC2_RESPONSE_SHAPES, NetworkInterface } from './ec2-shapes.js';
import { list, struct, type Member, type StructShape } from './shape-kinds.js';

const S = 'string';
const I = 'integer';
const B = 'boolean';

const ConnectionTracking = struct({ TcpEstablishedTimeout: I, UdpStreamTimeout: I, UdpTimeout: I });
const ReturnOnly = struct({ Return: [B, 'return'] });

/**
 * sgfw's own RegisterNetworkInterface has no botocore model; its parameters follow EC2's
 * CreateNetworkInterface, whose members it mirrors (minus SubnetId):
 *   NetworkInterfaceId, VpcId, Description, PrivateIpAddress,
 *   PrivateIpAddresses.N.PrivateIpAddress / PrivateIpAddresses.N.Primary,
 *   Ipv6Addresses.N.Ipv6Address, SecurityGroupId.N (the Groups list),
 *   ConnectionTrackingSpecification.TcpEstablishedTimeout / .UdpStreamTimeout / .UdpTimeout,
 * and sgfw's HostId (the fleet agent that enforces the interface; also a
 * ModifyNetworkInterfaceAttribute attribute, `HostId.Value`, '' to unregister).
 * DeregisterNetworkInterface takes NetworkInterfaceId. Responses: `networkInterface` (the item shape
 * of DescribeNetworkInterfaces) and `return`.
 */
const RegisterNetworkInterfaceRequest = struct({
  NetworkInterfaceId: S,
  VpcId: S,
  Description: [S, 'description'],
  PrivateIpAddress: [S, 'privateIpAddress'],
  PrivateIpAddresses: [list(struct({ Primary: [B, 'primary'], PrivateIpAddress: [S, 'privateIpAddress'] })), 'privateIpAddresses'],
  Ipv6Addresses: [list(struct({ Ipv6Address: [S, 'ipv6Address'] })), 'ipv6Addresses'],
  Groups: [list(S), 'SecurityGroupId'],
  ConnectionTrackingSpecification: ConnectionTracking,
  HostId: S,
  DryRun: [B, 'dryRun'],
});

/** `shape` with `extra` members after its own. */
function withMembers(shape: StructShape, extra: Record<string, Member>): StructShape {
  return { ...shape, members: { ...shape.members, ...extra } };
}

const HOST_ID_ATTRIBUTE: Member = { shape: struct({ Value: [S, 'value'] }), loc: 'hostId' };

export const REQUEST_SHAPES: Readonly<Record<string, StructShape>> = {
  ...EC2_REQUEST_SHAPES,
  ModifyNetworkInterfaceAttribute: withMembers(EC2_REQUEST_SHAPES.ModifyNetworkInterfaceAttribute!, { HostId: HOST_ID_ATTRIBUTE }),
  RegisterNetworkInterface: RegisterNetworkInterfaceRequest,
  DeregisterNetworkInterface: struct({ NetworkInterfaceId: S, DryRun: [B, 'dryRun'] }, ['NetworkInterfaceId']),
};

export const RESPONSE_SHAPES: Readonly<Record<string, StructShape>> = {
  ...EC2_RESPONSE_SHAPES,
  RegisterNetworkInterface: struct({ NetworkInterface: [NetworkInterface, 'networkInterface'] }),
  DeregisterNetworkInterface: ReturnOnly,
};
