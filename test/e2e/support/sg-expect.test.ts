// The end-to-end tests' own reading of security groups (independent of sgfw's classifier): the
// sender's egress and the receiver's ingress both decide, and a group reference admits members.
import { describe, expect, it } from 'vitest';
import { allowedTcpPorts, allowsNewFlow, type StateDoc } from './sg-expect.js';

const state: StateDoc = {
  SecurityGroups: [
    {
      GroupId: 'sg-web',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      IpPermissionsEgress: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: 'sg-app' }] }],
    },
    {
      GroupId: 'sg-app',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: 'sg-web' }] }],
      IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
    },
  ],
  NetworkInterfaces: [
    { NetworkInterfaceId: 'eni-web', Groups: [{ GroupId: 'sg-web' }], PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.10' }], Ipv6Addresses: [{ Ipv6Address: '2001:db8:1::10' }] },
    { NetworkInterfaceId: 'eni-app', Groups: [{ GroupId: 'sg-app' }], PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.10' }] },
  ],
};

describe('what the groups allow, read from the JSON', () => {
  it('admits a port range from the world, on IPv4 only when the rule has no IPv6 range', () => {
    expect(allowedTcpPorts(state, '203.0.113.50', '10.0.1.10', [22, 80, 81, 82])).toEqual([80, 81]);
    expect(allowedTcpPorts(state, '2001:db8:ff::50', '2001:db8:1::10', [80])).toEqual([]);
  });

  it('admits a group\'s members by reference, and needs the sender\'s egress too', () => {
    expect(allowsNewFlow(state, '10.0.1.10', '10.0.2.10', 6, 8080)).toBe(true);
    expect(allowsNewFlow(state, '203.0.113.50', '10.0.2.10', 6, 8080)).toBe(false);
    // the web group's egress names the app port only
    expect(allowsNewFlow(state, '10.0.1.10', '203.0.113.50', 6, 443)).toBe(false);
    expect(allowsNewFlow(state, '10.0.2.10', '203.0.113.50', 6, 443)).toBe(true);
  });
});
