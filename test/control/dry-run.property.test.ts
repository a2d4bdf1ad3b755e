// Issue 15: "a DryRun answers DryRunOperation exactly when the real call would succeed, for every
// action". On random states (built by random calls) each call is run twice: first dry, which must
// change nothing at all (the records, the version, no change event, no id drawn), then for real;
// the dry run's outcome (success or an error code) must be the real call's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecurityGroupService } from '../../src/control/service.js';
import { countingIdGenerator } from '../../src/model/ids.js';
import { Ec2Error } from '../../src/model/ec2-error.js';

const VPCS = [undefined, 'vpc-0a1b2c3d4e5f60718', 'vpc-0c1d2e3f405162738', 'vpc-0e1f2a3b4c5d6e7f8'];
const ADDRESSES = ['10.0.0.5', '10.0.0.6', '10.1.0.5', '2001:db8::5'];
const HOSTS = [undefined, 'h1', 'h2', ''];
const CIDRS = ['10.0.0.0/8', '192.0.2.0/24', '0.0.0.0/0', '10.0.0.1/8', '::/0'];
const PORTS = [22, 80, 443, 70000];
const BOGUS = { sg: 'sg-0ffffffffffffffff', sgr: 'sgr-0ffffffffffffffff', eni: 'eni-0ffffffffffffffff', pl: 'pl-0ffffffffffffffff', vpc: 'vpc-0ffffffffffffffff' };

/** What the service holds, ids included, as one string (prefix-list histories are Maps). */
function fingerprint(s: SecurityGroupService): string {
  const st = s.currentState;
  return JSON.stringify([[...st.groups], [...st.interfaces], [...st.prefixLists], [...st.vpcs]], (_k, v: unknown) =>
    v instanceof Map ? [...v] : v,
  );
}

function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof Ec2Error) return e.code;
    throw e;
  }
}

/** The `n`-th of `items` (wrapping), or the bogus id when there are none or `n` is negative. */
function pick(items: readonly string[], n: number, bogus: string): string {
  return n < 0 || items.length === 0 ? bogus : items[n % items.length]!;
}

function ids(s: SecurityGroupService) {
  const st = s.currentState;
  const groups = [...st.groups.values()];
  return {
    groups: groups.map((g) => g.groupId),
    rules: groups.flatMap((g) => [...g.ingress, ...g.egress].map((r) => r.ruleId)),
    interfaces: [...st.interfaces.keys()],
    prefixLists: [...st.prefixLists.keys()],
    vpcs: [...st.vpcs.keys()],
  };
}

const n = fc.integer({ min: -1, max: 7 });
const of = <T,>(xs: readonly T[]) => fc.constantFrom(...xs);

/** One call, with the resources it names as indices into what the service holds when it runs. */
const call = fc.oneof(
  fc.record({ kind: fc.constant('createGroup' as const), name: of(['a', 'b', 'c', 'default']), vpc: of(VPCS) }),
  fc.record({ kind: fc.constant('deleteGroup' as const), group: n }),
  fc.record({
    kind: fc.constant('authorize' as const), egress: fc.boolean(), group: n, port: of(PORTS), cidr: of(CIDRS),
    peer: of(['cidr', 'group', 'prefix-list'] as const), ref: n,
  }),
  fc.record({ kind: fc.constant('revokeById' as const), egress: fc.boolean(), group: n, rule: n }),
  fc.record({ kind: fc.constant('revokeByContent' as const), egress: fc.boolean(), group: n, port: of(PORTS), cidr: of(CIDRS) }),
  fc.record({ kind: fc.constant('describeRule' as const), egress: fc.boolean(), group: n, rule: n, text: of(['web', 'x'.repeat(300)]) }),
  fc.record({ kind: fc.constant('modifyRule' as const), group: n, rule: n, port: of(PORTS), cidr: of(CIDRS) }),
  fc.record({ kind: fc.constant('describeRules' as const), rule: n }),
  fc.record({
    kind: fc.constant('register' as const), vpc: of(VPCS), address: of(ADDRESSES), host: of(HOSTS), group: n, withGroup: fc.boolean(),
    explicitId: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('deregister' as const), eni: n }),
  fc.record({ kind: fc.constant('modifyInterface' as const), eni: n, host: of(HOSTS), group: n, withGroup: fc.boolean() }),
  fc.record({ kind: fc.constant('createList' as const), max: of([1, 2, 2000]), cidr: of(CIDRS) }),
  fc.record({ kind: fc.constant('modifyList' as const), list: n, cidr: of(CIDRS), remove: fc.boolean() }),
  fc.record({ kind: fc.constant('deleteList' as const), list: n }),
  fc.record({ kind: fc.constant('tag' as const), target: of(['group', 'rule', 'vpc', 'list'] as const), ref: n, remove: fc.boolean() }),
  fc.record({ kind: fc.constant('createVpc' as const), cidr: of(['10.0.0.0/16', '10.0.0.0/8']) }),
  fc.record({ kind: fc.constant('deleteVpc' as const), vpc: n }),
);
type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;

/** The call as an EC2 action and its parameters, resolved against what `s` holds now. */
function resolve(s: SecurityGroupService, c: Call): [string, Record<string, unknown>] {
  const h = ids(s);
  const dir = (egress: boolean) => (egress ? 'Egress' : 'Ingress');
  switch (c.kind) {
    case 'createGroup':
      return ['CreateSecurityGroup', { GroupName: c.name, Description: 'd', ...(c.vpc ? { VpcId: c.vpc } : {}) }];
    case 'deleteGroup':
      return ['DeleteSecurityGroup', { GroupId: pick(h.groups, c.group, BOGUS.sg) }];
    case 'authorize': {
      const perm: Record<string, unknown> = { IpProtocol: 'tcp', FromPort: c.port, ToPort: c.port };
      if (c.peer === 'cidr') perm[c.cidr.includes(':') ? 'Ipv6Ranges' : 'IpRanges'] = [c.cidr.includes(':') ? { CidrIpv6: c.cidr } : { CidrIp: c.cidr }];
      if (c.peer === 'group') perm.UserIdGroupPairs = [{ GroupId: pick(h.groups, c.ref, BOGUS.sg) }];
      if (c.peer === 'prefix-list') perm.PrefixListIds = [{ PrefixListId: pick(h.prefixLists, c.ref, BOGUS.pl) }];
      return [`AuthorizeSecurityGroup${dir(c.egress)}`, { GroupId: pick(h.groups, c.group, BOGUS.sg), IpPermissions: [perm] }];
    }
    case 'revokeById':
      return [`RevokeSecurityGroup${dir(c.egress)}`, { GroupId: pick(h.groups, c.group, BOGUS.sg), SecurityGroupRuleIds: [pick(h.rules, c.rule, BOGUS.sgr)] }];
    case 'revokeByContent':
      return [`RevokeSecurityGroup${dir(c.egress)}`, {
        GroupId: pick(h.groups, c.group, BOGUS.sg), IpPermissions: [{ IpProtocol: 'tcp', FromPort: c.port, ToPort: c.port, IpRanges: [{ CidrIp: c.cidr }] }],
      }];
    case 'describeRule':
      return [`UpdateSecurityGroupRuleDescriptions${dir(c.egress)}`, {
        GroupId: pick(h.groups, c.group, BOGUS.sg), SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: pick(h.rules, c.rule, BOGUS.sgr), Description: c.text }],
      }];
    case 'modifyRule':
      return ['ModifySecurityGroupRules', {
        GroupId: pick(h.groups, c.group, BOGUS.sg),
        SecurityGroupRules: [{ SecurityGroupRuleId: pick(h.rules, c.rule, BOGUS.sgr), SecurityGroupRule: { IpProtocol: 'tcp', FromPort: c.port, ToPort: c.port, CidrIpv4: c.cidr } }],
      }];
    case 'describeRules':
      return ['DescribeSecurityGroupRules', { SecurityGroupRuleIds: [pick(h.rules, c.rule, BOGUS.sgr)] }];
    case 'register': {
      const address = c.address.includes(':') ? { Ipv6Addresses: [{ Ipv6Address: c.address }] } : { PrivateIpAddress: c.address };
      return ['RegisterNetworkInterface', {
        ...(c.explicitId ? { NetworkInterfaceId: `eni-${(h.interfaces.length + 1).toString(16).padStart(17, '0')}` } : {}),
        ...(c.vpc ? { VpcId: c.vpc } : {}),
        ...address,
        ...(c.host ? { HostId: c.host } : {}),
        ...(c.withGroup ? { Groups: [pick(h.groups, c.group, BOGUS.sg)] } : {}),
      }];
    }
    case 'deregister':
      return ['DeregisterNetworkInterface', { NetworkInterfaceId: pick(h.interfaces, c.eni, BOGUS.eni) }];
    case 'modifyInterface':
      return ['ModifyNetworkInterfaceAttribute', {
        NetworkInterfaceId: pick(h.interfaces, c.eni, BOGUS.eni),
        ...(c.host !== undefined ? { HostId: { Value: c.host } } : {}),
        ...(c.withGroup ? { Groups: [pick(h.groups, c.group, BOGUS.sg)] } : {}),
      }];
    case 'createList':
      return ['CreateManagedPrefixList', { PrefixListName: 'pl', AddressFamily: 'IPv4', MaxEntries: c.max, Entries: [{ Cidr: c.cidr }] }];
    case 'modifyList': {
      const id = pick(h.prefixLists, c.list, BOGUS.pl);
      const version = s.currentState.prefixLists.get(id)?.version ?? 1;
      return ['ModifyManagedPrefixList', { PrefixListId: id, CurrentVersion: version, ...(c.remove ? { RemoveEntries: [{ Cidr: c.cidr }] } : { AddEntries: [{ Cidr: c.cidr }] }) }];
    }
    case 'deleteList':
      return ['DeleteManagedPrefixList', { PrefixListId: pick(h.prefixLists, c.list, BOGUS.pl) }];
    case 'tag': {
      const resource = {
        group: pick(h.groups, c.ref, BOGUS.sg), rule: pick(h.rules, c.ref, BOGUS.sgr), vpc: pick(h.vpcs, c.ref, BOGUS.vpc), list: pick(h.prefixLists, c.ref, BOGUS.pl),
      }[c.target];
      return c.remove ? ['DeleteTags', { Resources: [resource], Tags: [{ Key: 'k' }] }] : ['CreateTags', { Resources: [resource], Tags: [{ Key: 'k', Value: 'v' }] }];
    }
    case 'createVpc':
      return ['CreateVpc', { CidrBlock: c.cidr }];
    case 'deleteVpc':
      return ['DeleteVpc', { VpcId: pick(h.vpcs, c.vpc, BOGUS.vpc) }];
  }
}

describe('DryRun answers exactly what the real call would, and changes nothing', () => {
  it('on random states and calls, for every action the calls reach', () => {
    const seen = new Map<string, Set<string>>();
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 40 }), fc.boolean(), (calls, ruleIdsFromContent) => {
        let drawn = 0;
        const counting = countingIdGenerator();
        const s = new SecurityGroupService({
          idGenerator: () => (drawn++, counting()),
          ruleIdsFromContent,
          limits: { inboundRulesPerGroup: 3, outboundRulesPerGroup: 3, groupsPerVpc: 4, groupsPerInterface: 2, vpcsPerRegion: 3 },
        });
        let events = 0;
        s.onChange(() => events++);
        for (const c of calls) {
          const [action, params] = resolve(s, c);
          const before = { state: fingerprint(s), version: s.version, drawn, events };
          const dry = outcome(() => s.dryRun(action, structuredClone(params)));
          expect({ state: fingerprint(s), version: s.version, drawn, events }, `${action} dry run changed something`).toEqual(before);
          const real = outcome(() => s.call(action, structuredClone(params)));
          expect(dry, `${action} ${JSON.stringify(params)}`).toBe(real);
          if (!seen.has(action)) seen.set(action, new Set());
          seen.get(action)!.add(real);
        }
      }),
      // a fixed seed: 15the same runs every time (deterministic), wide enough to reach every action both ways
      { numRuns: 300, seed: 15 },
    );
    // the runs reached every generated action, each both ways (so the property was not vacuous)
    expect([...seen.keys()].length).toBeGreaterThanOrEqual(20);
    for (const action of ['RevokeSecurityGroupIngress', 'ModifySecurityGroupRules', 'UpdateSecurityGroupRuleDescriptionsEgress', 'DescribeSecurityGroupRules', 'RegisterNetworkInterface', 'CreateVpc']) {
      expect(seen.get(action)?.has('ok'), `${action} succeeded at least once`).toBe(true);
      expect(seen.get(action)!.size, `${action} also failed at least once`).toBeGreaterThan(1);
    }
  });

  it('DryRun of an action naming a rule by id succeeds where the real call does (issue 15: 5 of 5 failed)', () => {
    const s = new SecurityGroupService({ idGenerator: countingIdGenerator() });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: 'vpc-0a1b2c3d4e5f60718' });
    const ruleId = s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })
      .SecurityGroupRules[0]!.SecurityGroupRuleId;
    const calls: [string, Record<string, unknown>][] = [
      ['DescribeSecurityGroupRules', { SecurityGroupRuleIds: [ruleId] }],
      ['UpdateSecurityGroupRuleDescriptionsIngress', { GroupId, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: ruleId, Description: 'ssh' }] }],
      ['ModifySecurityGroupRules', { GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: ruleId, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 23, ToPort: 23, CidrIpv4: '10.0.0.0/8' } }] }],
      ['CreateTags', { Resources: [ruleId], Tags: [{ Key: 'k', Value: 'v' }] }],
      ['RevokeSecurityGroupIngress', { GroupId, SecurityGroupRuleIds: [ruleId] }],
    ];
    for (const [action, params] of calls) expect(outcome(() => s.dryRun(action, params)), action).toBe('ok');
    expect(s.describeSecurityGroupRules({ SecurityGroupRuleIds: [ruleId] }).SecurityGroupRules[0]).toMatchObject({ FromPort: 22 });
  });

  it('an unknown action is InvalidAction under DryRun too', () => {
    expect(outcome(() => new SecurityGroupService().dryRun('toString', {}))).toBe('InvalidAction');
  });
});
