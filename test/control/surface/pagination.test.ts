// MaxResults / NextToken on every describe action EC2 paginates: pages in key order, tokens that
// name the last item returned (so concurrent changes neither repeat nor skip what stayed), EC2's
// errors for a bad token or an out-of-range MaxResults.
import { describe, expect, it } from 'vitest';
import { DEFAULT_VPC_ID } from '../../../src/control/service.js';
import { ec2Error, newService, tcp, VPC } from '../helpers.js';

type Paged<K extends string> = Record<K, unknown[]> & { NextToken?: string };

/** Follows NextToken to the end, as the CLI and boto3 paginators do. */
function walk<K extends string>(call: (p: Record<string, unknown>) => Paged<K>, key: K, params: Record<string, unknown>): { items: unknown[]; pages: number } {
  const items: unknown[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const r = call({ ...params, ...(token !== undefined ? { NextToken: token } : {}) });
    items.push(...r[key]);
    pages++;
    token = r.NextToken;
  } while (token !== undefined && pages < 100);
  return { items, pages };
}

function serviceWithGroups(n: number, limits?: Parameters<typeof newService>[0]) {
  const s = newService(limits);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { GroupId } = s.createSecurityGroup({ GroupName: `g${i}`, Description: 'd', VpcId: VPC });
    s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [tcp(22, '10.0.0.0/8')] });
    s.createTags({ Resources: [GroupId], Tags: [{ Key: 'n', Value: String(i) }] });
    ids.push(GroupId);
  }
  return { s, ids };
}

describe('describe-security-groups pages', () => {
  it('returns MaxResults groups and a token while more remain, and every group exactly once in all', () => {
    const { s } = serviceWithGroups(12);
    const all = s.describeSecurityGroups().SecurityGroups.map((g) => g.GroupId).sort();
    expect(all).toHaveLength(13); // 12 and the VPC's default group
    const first = s.describeSecurityGroups({ MaxResults: 5 });
    expect(first.SecurityGroups).toHaveLength(5);
    expect(first.NextToken).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    const { items, pages } = walk((p) => s.describeSecurityGroups(p), 'SecurityGroups', { MaxResults: 5 });
    expect(pages).toBe(3);
    expect(items.map((g) => (g as { GroupId: string }).GroupId)).toEqual(all);
  });

  it('gives no token on the last page, nor when everything fits', () => {
    const { s } = serviceWithGroups(3);
    expect(s.describeSecurityGroups({ MaxResults: 5 }).NextToken).toBeUndefined();
    expect(s.describeSecurityGroups({ MaxResults: 1000 }).SecurityGroups).toHaveLength(4);
    expect(s.describeSecurityGroups().NextToken).toBeUndefined();
  });

  it('applies filters and GroupIds before paging', () => {
    const { s, ids } = serviceWithGroups(8);
    const picked = ids.slice(0, 7);
    const { items } = walk((p) => s.describeSecurityGroups(p), 'SecurityGroups', { GroupIds: picked, MaxResults: 5 });
    expect(items.map((g) => (g as { GroupId: string }).GroupId)).toEqual([...picked].sort());
    const filtered = walk((p) => s.describeSecurityGroups(p), 'SecurityGroups', { MaxResults: 5, Filters: [{ Name: 'tag:n', Values: ['1', '2', '3', '4', '5', '6'] }] });
    expect(filtered.items).toHaveLength(6);
    expect(filtered.pages).toBe(2);
  });

  it('neither repeats nor skips groups that stayed when groups are created and deleted between pages', () => {
    const { s, ids } = serviceWithGroups(12);
    const first = s.describeSecurityGroups({ MaxResults: 5 });
    const seen = first.SecurityGroups.map((g) => g.GroupId);
    // delete the last group returned and one not yet returned; create new ones
    const later = s.describeSecurityGroups().SecurityGroups.map((g) => g.GroupId).sort().filter((id) => !seen.includes(id));
    // the VPC's default group cannot be deleted: only groups of `ids` are
    const deleted = [seen[4]!, later[0]!].filter((id) => ids.includes(id));
    for (const id of deleted) s.deleteSecurityGroup({ GroupId: id });
    for (let i = 0; i < 3; i++) s.createSecurityGroup({ GroupName: `new${i}`, Description: 'd', VpcId: VPC });
    const rest = walk((p) => s.describeSecurityGroups(p), 'SecurityGroups', { MaxResults: 5, NextToken: first.NextToken }).items.map((g) => (g as { GroupId: string }).GroupId);
    expect(rest.filter((id) => seen.includes(id))).toEqual([]);
    expect(deleted.length).toBeGreaterThan(0);
    for (const id of later.filter((x) => !deleted.includes(x))) expect(rest).toContain(id);
    for (const id of deleted) expect(rest).not.toContain(id);
  });

  it('refuses MaxResults out of 5–1000 with EC2\'s InvalidParameterValue', () => {
    const s = newService();
    const low = ec2Error(() => s.describeSecurityGroups({ MaxResults: 4 }));
    expect([low.code, low.message]).toEqual(['InvalidParameterValue', 'Value ( 4 ) for parameter maxResults is invalid. Expecting a value greater than 5.']);
    const high = ec2Error(() => s.describeSecurityGroups({ MaxResults: 1001 }));
    expect([high.code, high.message]).toEqual(['InvalidParameterValue', 'Value ( 1001 ) for parameter maxResults is invalid. Expecting a value less than 1000.']);
  });

  it('refuses a token it did not issue, or issued for another action, with InvalidParameterValue', () => {
    const { s } = serviceWithGroups(6);
    for (const bad of ['garbage', 'v1.!!!', 'v1.' + Buffer.from('{"a":1}').toString('base64url')]) {
      const e = ec2Error(() => s.describeSecurityGroups({ NextToken: bad }));
      expect([e.code, e.message]).toEqual(['InvalidParameterValue', `Value ( ${bad} ) for parameter NextToken is invalid. The token is invalid.`]);
    }
    const rulesToken = s.describeSecurityGroupRules({ MaxResults: 5 }).NextToken!;
    expect(rulesToken).toBeDefined();
    expect(ec2Error(() => s.describeSecurityGroups({ NextToken: rulesToken })).code).toBe('InvalidParameterValue');
    // an empty token is a first call, as boto3 sends it
    expect(s.describeSecurityGroups({ NextToken: '' }).SecurityGroups).toHaveLength(7);
  });
});

describe('the other describe actions page the same way', () => {
  it('describe-security-group-rules, describe-tags, describe-vpcs', () => {
    // eight VPCs: more than EC2's default quota of five
    const { s } = serviceWithGroups(7, { vpcsPerRegion: 8 });
    const rules = s.describeSecurityGroupRules().SecurityGroupRules.length;
    expect(rules).toBe(16); // 7 × (ingress + egress) and the default group's two
    expect(walk((p) => s.describeSecurityGroupRules(p), 'SecurityGroupRules', { MaxResults: 5 }).items).toHaveLength(rules);
    const tags = walk((p) => s.describeTags(p), 'Tags', { MaxResults: 5 });
    expect(tags.items).toHaveLength(7);
    expect(tags.pages).toBe(2);
    for (let i = 0; i < 6; i++) s.createVpc({ CidrBlock: `10.${40 + i}.0.0/16` });
    const vpcs = walk((p) => s.describeVpcs(p), 'Vpcs', { MaxResults: 5 });
    expect(vpcs.items.map((v) => (v as { VpcId: string }).VpcId).sort()).toEqual(s.describeVpcs().Vpcs.map((v) => v.VpcId).sort());
    expect(vpcs.items).toHaveLength(8); // the default VPC, VPC and the six new ones
    expect(ec2Error(() => s.describeTags({ MaxResults: 0 })).code).toBe('InvalidParameterValue');
    expect(ec2Error(() => s.describeVpcs({ MaxResults: 2000 })).code).toBe('InvalidParameterValue');
  });

  it('describe-managed-prefix-lists and get-managed-prefix-list-entries take MaxResults 1–100', () => {
    const s = newService();
    const { PrefixList } = s.createManagedPrefixList({
      PrefixListName: 'pl', AddressFamily: 'IPv4', MaxEntries: 10,
      Entries: ['10.0.0.0/8', '192.0.2.0/24', '198.51.100.0/24'].map((Cidr) => ({ Cidr })),
    });
    s.createManagedPrefixList({ PrefixListName: 'pl2', AddressFamily: 'IPv4', MaxEntries: 1 });
    const entries = walk((p) => s.getManagedPrefixListEntries(p), 'Entries', { PrefixListId: PrefixList.PrefixListId, MaxResults: 1 });
    expect([entries.items.length, entries.pages]).toEqual([3, 3]);
    // the two own lists and the region's two AWS-managed ones (owner AWS), as EC2 lists them
    expect(walk((p) => s.describeManagedPrefixLists(p), 'PrefixLists', { MaxResults: 1 }).items).toHaveLength(4);
    expect(ec2Error(() => s.describeManagedPrefixLists({ MaxResults: 101 })).message).toContain('Expecting a value less than 100');
  });

  it('describe-network-interfaces refuses MaxResults with NetworkInterfaceIds, as EC2 documents', () => {
    const s = newService();
    s.registerNetworkInterface({ NetworkInterfaceId: 'eni-0a1b2c3d4e5f60001', PrivateIpAddress: '10.0.0.1' });
    const e = ec2Error(() => s.describeNetworkInterfaces({ NetworkInterfaceIds: ['eni-0a1b2c3d4e5f60001'], MaxResults: 5 }));
    expect(e.code).toBe('InvalidParameterCombination');
    expect(s.describeNetworkInterfaces({ MaxResults: 5 }).NetworkInterfaces).toHaveLength(1);
  });

  it('describe-prefix-lists pages the region\'s AWS-managed lists', () => {
    const s = newService();
    expect(s.describePrefixLists({ MaxResults: 5 }).PrefixLists).toHaveLength(2);
  });
});

describe('describe-stale-security-groups', () => {
  it('lists the groups of a VPC whose rules reference a group that is gone, and pages them', () => {
    const s = newService();
    s.importSnapshot({
      SecurityGroups: [{
        GroupId: 'sg-0a1b2c3d4e5f60001', GroupName: 'web', Description: 'web', VpcId: DEFAULT_VPC_ID, OwnerId: s.accountId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: 'sg-0a1b2c3d4e5f6ffff', UserId: s.accountId }] }],
        IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }],
    });
    const r = s.describeStaleSecurityGroups({ VpcId: DEFAULT_VPC_ID });
    expect(r.StaleSecurityGroupSet).toEqual([{
      Description: 'web', GroupId: 'sg-0a1b2c3d4e5f60001', GroupName: 'web', VpcId: DEFAULT_VPC_ID, StaleIpPermissionsEgress: [],
      StaleIpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: 'sg-0a1b2c3d4e5f6ffff', UserId: s.accountId, PeeringStatus: 'deleted' }] }],
    }]);
    expect(s.describeStaleSecurityGroups({ VpcId: DEFAULT_VPC_ID, MaxResults: 5 }).NextToken).toBeUndefined();
    expect(ec2Error(() => s.describeStaleSecurityGroups({})).code).toBe('MissingParameter');
    expect(ec2Error(() => s.describeStaleSecurityGroups({ VpcId: DEFAULT_VPC_ID, MaxResults: 256 })).code).toBe('InvalidParameterValue');
  });
});
