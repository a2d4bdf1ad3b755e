// Timelines and the JS API hand the control plane any JSON as parameters (the Query API's decoder
// types them first; these do not). Whatever the JSON, a call either succeeds or is refused with an
// EC2 error, and a refused call changes nothing: never a TypeError (an internal error, exit 70),
// not even for an object with its own `toString` or `valueOf` key, on which String() throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SERVICE_ACTIONS, SecurityGroupService } from '../../src/control/service.js';
import { Ec2Error } from '../../src/model/ec2-error.js';
import { countingIdGenerator } from '../../src/model/ids.js';
import { ec2Error, tcp } from './helpers.js';

/** A service holding one group with a rule, one interface in it and one prefix list. */
function seeded(): SecurityGroupService {
  const s = new SecurityGroupService({ idGenerator: countingIdGenerator() });
  const { GroupId } = s.call('CreateSecurityGroup', { GroupName: 'web', Description: 'web' }) as { GroupId: string };
  s.call('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [tcp(22, '10.0.0.0/8')] });
  s.call('RegisterNetworkInterface', { PrivateIpAddress: '10.0.0.5', Groups: [GroupId] });
  s.call('CreateManagedPrefixList', { PrefixListName: 'p', MaxEntries: 5, AddressFamily: 'IPv4', Entries: [{ Cidr: '192.0.2.0/24' }] });
  return s;
}

function fingerprint(s: SecurityGroupService): string {
  const st = s.currentState;
  return JSON.stringify([[...st.groups], [...st.interfaces], [...st.prefixLists], [...st.vpcs]], (_k, v: unknown) => (v instanceof Map ? [...v] : v));
}

/** JSON.parse makes such objects from a timeline line: own keys that shadow Object.prototype's. */
const hostile = fc.constantFrom<unknown>({ toString: 1 }, { valueOf: 'x', toString: null }, [{ toString: {} }], { toString: 1, valueOf: 2 });
const value: fc.Arbitrary<unknown> = fc.oneof(hostile, fc.jsonValue({ maxDepth: 2 }));
const FIELDS = [
  'GroupId', 'GroupName', 'Description', 'VpcId', 'IpPermissions', 'IpProtocol', 'FromPort', 'ToPort', 'CidrIp', 'NetworkInterfaceId',
  'PrivateIpAddress', 'PrivateIpAddresses', 'Ipv6Addresses', 'Groups', 'PrefixListId', 'PrefixListName', 'AddressFamily', 'MaxEntries',
  'Entries', 'AddEntries', 'CurrentVersion', 'TargetVersion', 'MaxResults', 'NextToken', 'Filters', 'GroupIds', 'Resources', 'Tags',
  'SecurityGroupRuleIds', 'SecurityGroupRules', 'ClientToken', 'SubnetId', 'CidrBlock', 'AvailabilityZone', 'ConnectionTracking',
  'AmazonProvidedIpv6CidrBlock', 'AssociationId', 'HostId', 'SecondaryPrivateIpAddressCount', 'Ipv6AddressCount',
];

describe('any JSON as parameters: an EC2 error or success, nothing else', () => {
  it('an interface id that is an object with its own toString is InvalidNetworkInterfaceId.Malformed', () => {
    const s = seeded();
    const e = ec2Error(() => s.call('UnassignPrivateIpAddresses', { NetworkInterfaceId: JSON.parse('{"toString":1}'), PrivateIpAddresses: ['10.0.0.5'] }));
    expect([e.code, e.message]).toEqual(['InvalidNetworkInterfaceId.Malformed', `The networkInterface ID '{"toString":1}' is malformed`]);
  });

  it('every action, random fields of random JSON', () => {
    const base = seeded();
    const before = fingerprint(base);
    fc.assert(
      fc.property(fc.constantFrom(...SERVICE_ACTIONS), fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 4 }), (action, params) => {
        const s = seeded();
        try {
          s.call(action, params);
        } catch (e) {
          if (!(e instanceof Ec2Error)) throw e;
          expect(fingerprint(s), `${action} ${JSON.stringify(params)} was refused (${e.code}) but changed the model`).toBe(before);
        }
      }),
      { numRuns: 600 },
    );
  });
});
