// EC2's client-token idempotency ("Ensuring idempotency in Amazon EC2 API requests"): a create retried
// with its ClientToken answers the first call and changes nothing; the token with another request is
// IdempotentParameterMismatch.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ec2Error, newService } from './helpers.js';
import { SERVICE_ACTIONS } from '../../src/control/service.js';
import { IDEMPOTENT_ACTIONS, keepClientToken, MAX_CLIENT_TOKENS } from '../../src/control/client-tokens.js';
import { ModelState } from '../../src/control/records.js';

const MISMATCH = 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).';

function withSubnet() {
  const s = newService();
  const vpcId = (s.call('CreateVpc', { CidrBlock: '10.1.0.0/16' }) as { Vpc: { VpcId: string } }).Vpc.VpcId;
  const subnetId = (s.call('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.1.1.0/24' }) as { Subnet: { SubnetId: string } }).Subnet.SubnetId;
  return { s, subnetId };
}

describe('the idempotent actions are those whose EC2 input has ClientToken', () => {
  it('matches botocore\'s model for every action served', () => {
    const model = JSON.parse(readFileSync(new URL('../../scripts/ec2-model-subset.json', import.meta.url), 'utf8')) as {
      operations: Record<string, { input?: { shape: string } }>;
      shapes: Record<string, { members?: Record<string, { idempotencyToken?: boolean }> }>;
    };
    const withToken = SERVICE_ACTIONS.filter((a) => {
      const input = model.operations[a]?.input?.shape;
      return input !== undefined && model.shapes[input]?.members?.ClientToken?.idempotencyToken === true;
    });
    expect(withToken.sort()).toEqual([...IDEMPOTENT_ACTIONS].sort());
  });
});

describe('CreateManagedPrefixList retried with its ClientToken', () => {
  const request = { PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 5, Entries: [{ Cidr: '198.51.100.0/24' }] };

  it('answers the first list and makes no second one', () => {
    const s = newService();
    const first = s.call('CreateManagedPrefixList', { ...request, ClientToken: 'tok-1' });
    const version = s.version;
    expect(s.call('CreateManagedPrefixList', { ...request, ClientToken: 'tok-1' })).toEqual(first);
    expect(s.version).toBe(version);
    const lists = (s.call('DescribeManagedPrefixLists', { Filters: [{ Name: 'owner-id', Values: ['123456789012'] }] }) as { PrefixLists: unknown[] }).PrefixLists;
    expect(lists).toHaveLength(1);
    // a new token is a new list
    const second = s.call('CreateManagedPrefixList', { ...request, ClientToken: 'tok-2' }) as { PrefixList: { PrefixListId: string } };
    expect(second.PrefixList.PrefixListId).not.toBe((first as { PrefixList: { PrefixListId: string } }).PrefixList.PrefixListId);
  });

  it('answers the first list even after it changed or was deleted (EC2 returns the original response)', () => {
    const s = newService();
    const first = s.call('CreateManagedPrefixList', { ...request, ClientToken: 't' }) as { PrefixList: { PrefixListId: string } };
    s.call('DeleteManagedPrefixList', { PrefixListId: first.PrefixList.PrefixListId });
    expect(s.call('CreateManagedPrefixList', { ...request, ClientToken: 't' })).toEqual(first);
    expect(s.prefixList(first.PrefixList.PrefixListId)).toBeUndefined();
  });

  it('refuses the token with other parameters, or for another action, as IdempotentParameterMismatch', () => {
    const { s, subnetId } = withSubnet();
    s.call('CreateManagedPrefixList', { ...request, ClientToken: 'tok' });
    const version = s.version;
    for (const other of [{ ...request, MaxEntries: 6 }, { ...request, Entries: [] }, { ...request, TagSpecifications: [{ ResourceType: 'prefix-list', Tags: [{ Key: 'a', Value: 'b' }] }] }]) {
      const e = ec2Error(() => s.call('CreateManagedPrefixList', { ...other, ClientToken: 'tok' }));
      expect([e.code, e.message]).toEqual(['IdempotentParameterMismatch', MISMATCH]);
    }
    expect(ec2Error(() => s.call('CreateNetworkInterface', { SubnetId: subnetId, ClientToken: 'tok' })).code).toBe('IdempotentParameterMismatch');
    expect(s.version).toBe(version);
    // tokens are case-sensitive: another case is another token
    expect(() => s.call('CreateManagedPrefixList', { ...request, MaxEntries: 6, ClientToken: 'TOK' })).not.toThrow();
  });

  it('keeps no token for a call that failed, so the corrected request with that token goes through', () => {
    const s = newService();
    expect(ec2Error(() => s.call('CreateManagedPrefixList', { ...request, AddressFamily: 'IPv5', ClientToken: 'x' })).code).toBe('InvalidParameterValue');
    expect(() => s.call('CreateManagedPrefixList', { ...request, ClientToken: 'x' })).not.toThrow();
  });

  it('a dry run keeps no token, and the parameters compared leave DryRun out', () => {
    const s = newService();
    s.dryRun('CreateManagedPrefixList', { ...request, ClientToken: 'd' });
    expect(s.currentState.clientTokens.size).toBe(0);
    const first = s.call('CreateManagedPrefixList', { ...request, ClientToken: 'd' });
    expect(s.call('CreateManagedPrefixList', { ...request, ClientToken: 'd', DryRun: false })).toEqual(first);
  });

  it('takes a token of up to 255 characters, any of them (the reference: "Up to 255 UTF-8 characters")', () => {
    const s = newService();
    for (const bad of ['a'.repeat(256), '', 5]) {
      const e = ec2Error(() => s.call('CreateManagedPrefixList', { ...request, ClientToken: bad }));
      expect(e.code).toBe('InvalidParameterValue');
      expect(e.message).toContain('1 to 255 characters');
    }
    expect(() => s.call('CreateManagedPrefixList', { ...request, ClientToken: '\u00e9'.repeat(255) })).not.toThrow();
  });

  it('a draft shares the tokens until it changes them, and its change never reaches the state it came from', () => {
    const state = new ModelState();
    const record = (token: string) => ({ token, action: 'CreateManagedPrefixList', request: '{}', answer: '{}' });
    keepClientToken(state, record('a'));
    const draft = state.draft();
    expect(draft.clientTokens).toBe(state.clientTokens);
    keepClientToken(draft, record('b'));
    expect([...state.clientTokens.keys()]).toEqual(['a']);
    expect([...draft.clientTokens.keys()]).toEqual(['a', 'b']);
  });

  it('keeps the newest tokens only, past the bound, oldest dropped first', () => {
    const state = new ModelState();
    for (let i = 0; i <= MAX_CLIENT_TOKENS; i++) keepClientToken(state, { token: `t${i}`, action: 'CreateManagedPrefixList', request: '{}', answer: '{}' });
    expect(state.clientTokens.size).toBe(MAX_CLIENT_TOKENS);
    expect(state.clientTokens.has('t0')).toBe(false);
    expect(state.clientTokens.has('t1')).toBe(true);
    expect(state.clientTokens.has(`t${MAX_CLIENT_TOKENS}`)).toBe(true);
  });
});

describe('CreateNetworkInterface retried with its ClientToken', () => {
  it('answers the first interface, with the token echoed, and takes no second address', () => {
    const { s, subnetId } = withSubnet();
    const first = s.call('CreateNetworkInterface', { SubnetId: subnetId, Description: 'web', ClientToken: 'eni-token' }) as {
      NetworkInterface: { NetworkInterfaceId: string; PrivateIpAddress: string }; ClientToken: string;
    };
    expect(first.ClientToken).toBe('eni-token');
    expect(s.call('CreateNetworkInterface', { SubnetId: subnetId, Description: 'web', ClientToken: 'eni-token' })).toEqual(first);
    expect([...s.interfaces()].map((i) => i.interfaceId)).toEqual([first.NetworkInterface.NetworkInterfaceId]);
    const e = ec2Error(() => s.call('CreateNetworkInterface', { SubnetId: subnetId, Description: 'db', ClientToken: 'eni-token' }));
    expect([e.code, e.message]).toEqual(['IdempotentParameterMismatch', MISMATCH]);
    // without a token, every call is a new interface (and the answer has no ClientToken)
    // its token is 64 printable ASCII characters at most ("Ensuring idempotency")
    for (const bad of ['a'.repeat(65), 'caf\u00e9']) {
      expect(ec2Error(() => s.call('CreateNetworkInterface', { SubnetId: subnetId, ClientToken: bad })).message).toContain('1 to 64 printable ASCII characters');
    }
    const plain = s.call('CreateNetworkInterface', { SubnetId: subnetId, ClientToken: 'b'.repeat(64) }) as Record<string, unknown>;
    expect(plain.ClientToken).toBe('b'.repeat(64));
    expect([...s.interfaces()]).toHaveLength(2);
    s.call('DeleteNetworkInterface', { NetworkInterfaceId: (plain.NetworkInterface as { NetworkInterfaceId: string }).NetworkInterfaceId });
    const untokened = s.call('CreateNetworkInterface', { SubnetId: subnetId }) as Record<string, unknown>;
    expect(untokened.ClientToken).toBeUndefined();
    expect([...s.interfaces()]).toHaveLength(2);
  });
});
