// DescribeSecurityGroupRules narrows a `group-id` filter of plain ids to the named groups before it
// reads any rule (actions/rules.ts). Differential: on random states and filters, the answer is the
// one the full scan gives, i.e. every rule (unfiltered describe, in the service's order) kept by
// the filters as EC2 defines them, page by page.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ec2Error, newService, tcp, VPC } from './helpers.js';

interface Rendered {
  SecurityGroupRuleId: string;
  GroupId: string;
  IsEgress: boolean;
  Tags: { Key: string; Value: string }[];
}

const build = (groups: number, rules: readonly (readonly [number, number, boolean, boolean])[]) => {
  const s = newService({ inboundRulesPerGroup: 1000, outboundRulesPerGroup: 1000 });
  const ids: string[] = [];
  for (let i = 0; i < groups; i++) ids.push(s.createSecurityGroup({ GroupName: `g${i}`, Description: 'd', VpcId: VPC }).GroupId);
  rules.forEach(([g, port, egress, tagged], k) => {
    const GroupId = ids[g % groups]!;
    const perm = tcp(1000 + port, `10.${k % 250}.${Math.floor(k / 250)}.0/24`);
    const TagSpecifications = tagged ? [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'k', Value: String(port % 3) }] }] : undefined;
    if (egress) s.authorizeSecurityGroupEgress({ GroupId, IpPermissions: [perm], TagSpecifications });
    else s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [perm], TagSpecifications });
  });
  return { s, ids };
};

const all = (s: ReturnType<typeof newService>): Rendered[] => s.describeSecurityGroupRules({}).SecurityGroupRules as Rendered[];

/** Follows NextToken to the end. */
function pages(s: ReturnType<typeof newService>, params: Record<string, unknown>): Rendered[][] {
  const out: Rendered[][] = [];
  let token: string | undefined;
  do {
    const r = s.describeSecurityGroupRules({ ...params, ...(token !== undefined ? { NextToken: token } : {}) });
    out.push(r.SecurityGroupRules as Rendered[]);
    token = r.NextToken;
  } while (token !== undefined && out.length < 500);
  return out;
}

const scenario = fc.record({
  groups: fc.integer({ min: 1, max: 12 }),
  rules: fc.array(fc.tuple(fc.nat(40), fc.nat(30), fc.boolean(), fc.boolean()), { maxLength: 80 }),
  // which groups the filter names: indexes, some past the end (an id that names no group)
  named: fc.array(fc.nat(14), { minLength: 1, maxLength: 4 }),
  egress: fc.constantFrom(undefined, 'true', 'false'),
  tag: fc.constantFrom(undefined, '0', '1'),
  maxResults: fc.constantFrom(undefined, 5, 7, 1000),
  // a second group-id filter (each filter of a name must pass): the first narrows, this one still filters
  second: fc.constantFrom(undefined, [0], [1, 2], [13]),
});

describe('describing the rules of named groups answers what the full scan answers', () => {
  it('on random states, with other filters beside group-id, page by page', () => {
    fc.assert(
      fc.property(scenario, ({ groups, rules, named, egress, tag, maxResults, second }) => {
        const { s, ids } = build(groups, rules);
        const groupIds = named.map((i) => ids[i] ?? `sg-${(0xfff00 + i).toString(16).padStart(17, '0')}`);
        const Filters: { Name: string; Values: string[] }[] = [{ Name: 'group-id', Values: groupIds }];
        if (egress !== undefined) Filters.push({ Name: 'is-egress', Values: [egress] });
        if (tag !== undefined) Filters.push({ Name: 'tag:k', Values: [tag] });
        const secondIds = second?.map((i) => ids[i] ?? `sg-${(0xfff00 + i).toString(16).padStart(17, '0')}`);
        if (secondIds !== undefined) Filters.push({ Name: 'group-id', Values: secondIds });
        const want = all(s).filter(
          (r) => groupIds.includes(r.GroupId) && (secondIds === undefined || secondIds.includes(r.GroupId)) && (egress === undefined || String(r.IsEgress) === egress) &&
            (tag === undefined || r.Tags.some((t) => t.Key === 'k' && t.Value === tag)),
        );
        const got = pages(s, { Filters, ...(maxResults !== undefined ? { MaxResults: maxResults } : {}) });
        if (maxResults === undefined) {
          // one page, in the service's order (the scan's)
          expect(got).toEqual([want]);
        } else {
          // pages in rule-id order, none longer than MaxResults
          expect(got.flat()).toEqual([...want].sort((a, b) => (a.SecurityGroupRuleId < b.SecurityGroupRuleId ? -1 : 1)));
          for (const p of got) expect(p.length).toBeLessThanOrEqual(maxResults);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a pattern among the values still matches by pattern (no narrowing by plain id)', () => {
    const { s, ids } = build(3, [[0, 1, false, false], [1, 2, false, false], [2, 3, true, false]]);
    const got = s.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: [ids[0]!, `*${ids[1]!.slice(-4)}`] }] }).SecurityGroupRules as Rendered[];
    // g0 and g1 each: the default egress rule and the one authorized; g2 none
    expect(got.map((r) => r.GroupId).sort()).toEqual([ids[0], ids[0], ids[1], ids[1]].sort());
  });

  it('a malformed group id in the filter is still refused', () => {
    const { s } = build(1, []);
    expect(ec2Error(() => s.describeSecurityGroupRules({ Filters: [{ Name: 'group-id', Values: ['sg-nope'] }] })).code).toBe('InvalidGroupId.Malformed');
  });
});
