// Issue 8: the real `aws ec2 …` against `sgfw serve`, making the groups of EC2's documented CLI
// examples and comparing what the CLI prints with them key by key (doc-examples.ts); and the CLI's
// own pagination (`--page-size`, `--max-items`, `--starting-token`) over sgfw's MaxResults/NextToken.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEc2, awsFails as fails, awsOk as ok, hasAwsCli, type AwsEc2 } from '../../support/aws-cli.js';
import {
  DEFAULT_GROUP_RULES, fill, MY_SECURITY_GROUP, PREFIX_LIST_KEYS, STALE_GROUP_KEYS, STALE_PERMISSION_KEYS, TAG_KEYS,
  VPC_CIDR_ASSOCIATION_KEYS, VPC_KEYS,
} from './doc-examples.js';
import { createCredentials, startServe, type ServeProcess } from '../../support/serve-process.js';

const skip = !hasAwsCli && !process.env.CI;

const DEFAULT_VPC = 'vpc-00000000000000000';
const OWNER = '123456789012';
const STALE = 'sg-0a1b2c3d4e5f60002';
// a group whose rule references a group the state never had: what DescribeStaleSecurityGroups lists
const SEED = {
  SecurityGroups: [{
    GroupId: STALE, GroupName: 'MySG2', Description: 'MySG2', VpcId: DEFAULT_VPC, OwnerId: OWNER, IpPermissionsEgress: [],
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: 'sg-0a1b2c3d4e5f6ffff', UserId: OWNER }] }],
  }],
};

let server: ServeProcess;
let aws: AwsEc2;

beforeAll(async () => {
  if (skip) return;
  const dir = mkdtempSync(join(tmpdir(), 'sgfw-aws-doc-'));
  const credentials = createCredentials(dir);
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify(SEED));
  server = await startServe(dir, ['--state', seed]);
  aws = awsEc2(server.url, credentials);
}, 60_000);
afterAll(async () => {
  if (server) await server.stop();
}, 30_000);


const byRule = (a: any, b: any) => JSON.stringify([a.IsEgress, a.CidrIpv4 ?? a.CidrIpv6 ?? '']).localeCompare(JSON.stringify([b.IsEgress, b.CidrIpv4 ?? b.CidrIpv6 ?? '']));

describe.skipIf(skip)('what the aws CLI prints matches EC2\'s documented examples key by key', () => {
  let vpc = '';

  it('describe-security-groups example 1: MySecurityGroup, tagged, self-reference and SSH with a description', async () => {
    vpc = ok(await aws('create-vpc', '--cidr-block', '10.50.0.0/16')).Vpc.VpcId;
    const group = ok(await aws(
      'create-security-group', '--group-name', 'MySecurityGroup', '--description', 'My security group', '--vpc-id', vpc,
      '--tag-specifications', 'ResourceType=security-group,Tags=[{Key=Name,Value=SG1}]',
    )).GroupId;
    ok(await aws('authorize-security-group-ingress', '--group-id', group, '--ip-permissions', JSON.stringify([
      { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: group }] },
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'Access from NY office' }] },
    ])));
    const printed = ok(await aws('describe-security-groups', '--group-ids', group));
    // the CLI's example predates SecurityGroupArn, which EC2 prints today (botocore's model has it)
    const { SecurityGroupArn, ...described } = printed.SecurityGroups[0];
    expect(SecurityGroupArn).toBe(`arn:aws:ec2:us-east-1:${OWNER}:security-group/${group}`);
    expect({ ...printed, SecurityGroups: [described] }).toStrictEqual({ SecurityGroups: [fill(MY_SECURITY_GROUP, { GROUP: group, OWNER, VPC: vpc })] });
  });

  it('describe-security-group-rules example 1: a default group\'s rules, with FromPort/ToPort -1 and Tags []', async () => {
    const group = ok(await aws('describe-security-groups', '--filters', `Name=vpc-id,Values=${vpc}`, 'Name=group-name,Values=default')).SecurityGroups[0].GroupId;
    ok(await aws('authorize-security-group-egress', '--group-id', group, '--ip-permissions', JSON.stringify([{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }])));
    const printed = ok(await aws('describe-security-group-rules', '--filters', `Name=group-id,Values=${group}`)).SecurityGroupRules;
    for (const r of printed) expect(r.SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    // the example predates SecurityGroupRuleArn, which EC2 prints today
    for (const r of printed) expect(r.SecurityGroupRuleArn).toBe(`arn:aws:ec2:us-east-1:${OWNER}:security-group-rule/${r.SecurityGroupRuleId}`);
    const ruleIds = printed.map(({ SecurityGroupRuleArn: _arn, ...r }: any) => ({ ...r, SecurityGroupRuleId: '$RULE' }));
    expect(ruleIds.sort(byRule)).toStrictEqual(fill(DEFAULT_GROUP_RULES, { GROUP: group, OWNER, RULE: '$RULE' }).sort(byRule));
  });

  it('describe-vpcs, describe-tags, describe-prefix-lists print the keys EC2\'s examples show', async () => {
    const tagged = ok(await aws('create-vpc', '--cidr-block', '10.51.0.0/16', '--tag-specifications', 'ResourceType=vpc,Tags=[{Key=Name,Value=Shared VPC}]')).Vpc.VpcId;
    const v = ok(await aws('describe-vpcs', '--vpc-ids', tagged)).Vpcs[0];
    expect(Object.keys(v).sort()).toEqual(VPC_KEYS);
    expect(Object.keys(v.CidrBlockAssociationSet[0]).sort()).toEqual(VPC_CIDR_ASSOCIATION_KEYS);
    expect(v.CidrBlockAssociationSet[0]).toEqual({ AssociationId: expect.stringMatching(/^vpc-cidr-assoc-/), CidrBlock: '10.51.0.0/16', CidrBlockState: { State: 'associated' } });
    const tags = ok(await aws('describe-tags', '--filters', `Name=resource-id,Values=${tagged}`)).Tags;
    expect(tags).toEqual([{ ResourceType: 'vpc', ResourceId: tagged, Value: 'Shared VPC', Key: 'Name' }]);
    expect(Object.keys(tags[0]).sort()).toEqual(TAG_KEYS);
    const lists = ok(await aws('describe-prefix-lists')).PrefixLists;
    expect(lists.map((l: any) => l.PrefixListName)).toContain('com.amazonaws.us-east-1.s3');
    for (const l of lists) expect(Object.keys(l).sort()).toEqual(PREFIX_LIST_KEYS);
  });

  it('describe-stale-security-groups lists a group whose rule references a group that is gone', async () => {
    const set = ok(await aws('describe-stale-security-groups', '--vpc-id', DEFAULT_VPC)).StaleSecurityGroupSet;
    expect(set.map((g: any) => g.GroupId)).toEqual([STALE]);
    expect(Object.keys(set[0]).sort()).toEqual(STALE_GROUP_KEYS);
    expect(set[0].StaleIpPermissionsEgress).toEqual([]);
    expect(Object.keys(set[0].StaleIpPermissions[0]).sort()).toEqual(STALE_PERMISSION_KEYS);
    expect(set[0].StaleIpPermissions[0].UserIdGroupPairs[0].GroupId).toBe('sg-0a1b2c3d4e5f6ffff');
  });
});

describe.skipIf(skip)('the aws CLI pages through sgfw', () => {
  let total = 0;

  beforeAll(async () => {
    if (skip) return;
    for (let i = 0; i < 11; i++) ok(await aws('create-security-group', '--group-name', `paged-${i}`, '--description', 'paged'));
    total = ok(await aws('describe-security-groups', '--no-paginate')).SecurityGroups.length;
  }, 60_000);

  it('--page-size 5 still returns every group, each once', async () => {
    expect(total).toBeGreaterThanOrEqual(15);
    const paged = ok(await aws('describe-security-groups', '--page-size', '5')).SecurityGroups.map((g: any) => g.GroupId);
    expect(paged).toHaveLength(total);
    expect(new Set(paged).size).toBe(total);
  });

  it('--max-results 5 without paginating gives one page of 5 and sgfw\'s NextToken, which --next-token follows', async () => {
    const first = ok(await aws('describe-security-groups', '--max-results', '5', '--no-paginate'));
    expect(first.SecurityGroups).toHaveLength(5);
    expect(first.NextToken).toMatch(/^v1\./);
    const second = ok(await aws('describe-security-groups', '--max-results', '5', '--no-paginate', '--next-token', first.NextToken));
    expect(second.SecurityGroups).toHaveLength(5);
    const ids = [...first.SecurityGroups, ...second.SecurityGroups].map((g: any) => g.GroupId);
    expect(new Set(ids).size).toBe(10);
  });

  it('--max-items and --starting-token resume where the CLI stopped', async () => {
    const head = ok(await aws('describe-security-groups', '--page-size', '5', '--max-items', '7'));
    expect(head.SecurityGroups).toHaveLength(7);
    expect(typeof head.NextToken).toBe('string');
    const tail = ok(await aws('describe-security-groups', '--page-size', '5', '--starting-token', head.NextToken));
    const ids = [...head.SecurityGroups, ...tail.SecurityGroups].map((g: any) => g.GroupId);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
  });

  it('describe-security-group-rules and describe-tags page too', async () => {
    const rules = ok(await aws('describe-security-group-rules', '--no-paginate')).SecurityGroupRules.length;
    expect(ok(await aws('describe-security-group-rules', '--page-size', '5')).SecurityGroupRules).toHaveLength(rules);
    const tags = ok(await aws('describe-tags', '--no-paginate')).Tags.length;
    expect(ok(await aws('describe-tags', '--page-size', '5')).Tags).toHaveLength(tags);
    expect(ok(await aws('describe-vpcs', '--page-size', '5')).Vpcs.length).toBe(ok(await aws('describe-vpcs', '--no-paginate')).Vpcs.length);
  });

  it('answers EC2\'s InvalidParameterValue for MaxResults out of range and for a token it never issued', async () => {
    // the CLI itself refuses MaxResults 4 where botocore's model has the range (DescribeSecurityGroups);
    // DescribeTags' model has none, so the request reaches sgfw
    fails(await aws('describe-tags', '--max-results', '4', '--no-paginate'), 'InvalidParameterValue', 'Value ( 4 ) for parameter maxResults is invalid. Expecting a value greater than 5.');
    fails(await aws('describe-security-groups', '--next-token', 'not-a-token', '--no-paginate'), 'InvalidParameterValue', 'Value ( not-a-token ) for parameter NextToken is invalid. The token is invalid.');
  });
});
