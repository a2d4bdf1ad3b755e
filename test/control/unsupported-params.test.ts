// A member of EC2's model that sgfw does not carry out is refused by name (UnsupportedOperation),
// through the service's `call` (what the Query API and --cli-input-json reach), and nothing changes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UNSUPPORTED_PARAMS } from '../../src/control/unsupported-params.js';
import { SERVICE_ACTIONS } from '../../src/control/service.js';
import { ec2Error, newService, VPC } from './helpers.js';

interface Subset { operations: Record<string, { input?: { shape: string } }>; shapes: Record<string, { members?: Record<string, unknown> }> }
const model = JSON.parse(readFileSync(new URL('../../scripts/ec2-model-subset.json', import.meta.url), 'utf8')) as Subset;

describe('parameters sgfw does not carry out', () => {
  it('are members of the model\'s input of actions the service serves', () => {
    for (const [action, members] of Object.entries(UNSUPPORTED_PARAMS)) {
      expect(SERVICE_ACTIONS, action).toContain(action);
      const input = model.shapes[model.operations[action]!.input!.shape]!;
      for (const name of Object.keys(members)) expect(Object.keys(input.members ?? {}), `${action}.${name}`).toContain(name);
    }
  });

  it('are refused by name with UnsupportedOperation, and the call changes nothing', () => {
    const s = newService();
    const before = s.describeVpcs().Vpcs.length;
    const e = ec2Error(() => s.call('CreateVpc', { CidrBlock: '10.9.0.0/16', Ipv4IpamPoolId: 'ipam-pool-0123456789abcdef0' }));
    expect(e.code).toBe('UnsupportedOperation');
    expect(e.message).toMatch(/^CreateVpc with Ipv4IpamPoolId is not supported: /);
    expect(s.describeVpcs().Vpcs).toHaveLength(before);
    const g = s.createSecurityGroup({ GroupName: 'web', Description: 'w', VpcId: VPC }).GroupId;
    s.registerNetworkInterface({ NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', VpcId: VPC, PrivateIpAddress: '10.0.0.5', Groups: [g] });
    // before: MissingParameter for Groups, as if the attribute had not been given at all
    const m = ec2Error(() => s.call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', SourceDestCheck: { Value: false } }));
    expect([m.code, m.message.split(':')[0]]).toEqual(['UnsupportedOperation', 'ModifyNetworkInterfaceAttribute with SourceDestCheck is not supported']);
    expect(ec2Error(() => s.dryRun('ModifyManagedPrefixList', { PrefixListId: 'pl-0123456789abcdef0', IpamPrefixListResolverSyncEnabled: true })).code)
      .toBe('UnsupportedOperation');
  });

  it('a member sgfw carries out beside them still works', () => {
    const s = newService();
    expect(s.call('CreateVpc', { CidrBlock: '10.9.0.0/16' })).toMatchObject({ Vpc: { CidrBlock: '10.9.0.0/16' } });
  });
});
