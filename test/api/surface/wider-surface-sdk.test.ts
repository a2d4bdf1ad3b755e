// The wider EC2 surface through the wire, read back by the AWS SDK for JavaScript v3 (its own EC2
// Query serializer and XML parser), and each request as botocore (boto3, the AWS CLI, Ansible)
// serializes it decoded into the same params.
import {
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  DeleteVpcCommand,
  DescribePrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  AuthorizeSecurityGroupIngressCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../src/api/credentials.js';
import { decodeQueryParams } from '../../../src/api/query-params.js';
import { renderXmlResponse } from '../../../src/api/ec2-xml.js';
import { countingIdGenerator } from '../../../src/model/ids.js';
import { dryRunWithoutApplying } from '../../../src/api/server-dry-run.js';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import { SecurityGroupService } from '../../../src/control/service.js';
import { runBotocore, skipBotocore } from '../codec/botocore.js';

const credentials = { accessKeyId: 'AKIAQWERTYUIOPASDFGH', secretAccessKey: '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' };
let service: SecurityGroupService;
let server: ApiServer;
let ec2: EC2Client;

beforeAll(async () => {
  service = new SecurityGroupService({ accountId: '111122223333' });
  server = await startApiServer({
    service,
    credentials: staticCredentials([credentials]),
    listen: { host: '127.0.0.1', port: 0 },
    dryRun: dryRunWithoutApplying(service),
  });
  ec2 = new EC2Client({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials });
});
afterAll(async () => {
  ec2.destroy();
  await server.close();
});

async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded');
}

describe('an SDK user manages VPCs, tags and rules against sgfw serve', () => {
  it('creates a tagged VPC, reads it back, and is refused deleting it while a group is in it', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({
      CidrBlock: '10.20.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'lab' }] }],
    }));
    expect(Vpc).toMatchObject({ CidrBlock: '10.20.0.0/16', State: 'available', IsDefault: false, OwnerId: '111122223333', Tags: [{ Key: 'Name', Value: 'lab' }] });
    const vpcId = Vpc!.VpcId!;
    const listed = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    expect(listed.Vpcs).toEqual([Vpc]);
    const defaults = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    expect(defaults.Vpcs?.map((v) => v.IsDefault)).toEqual([true]);

    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'app', Description: 'app', VpcId: vpcId }));
    expect(await failure(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })))).toEqual({ name: 'DependencyViolation', status: 400 });
    expect(await failure(ec2.send(new DeleteVpcCommand({ VpcId: vpcId, DryRun: true })))).toEqual({ name: 'DependencyViolation', status: 400 });
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
    expect(await failure(ec2.send(new DeleteVpcCommand({ VpcId: vpcId, DryRun: true })))).toEqual({ name: 'DryRunOperation', status: 412 });
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    expect(await failure(ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })))).toEqual({ name: 'InvalidVpcID.NotFound', status: 400 });
  });

  it('tags a group, finds it by tag, describes and deletes its tags', async () => {
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({
      GroupName: 'tagged', Description: 'tagged', TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'tagged' }] }],
    }));
    await ec2.send(new CreateTagsCommand({ Resources: [GroupId!], Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: '' }] }));
    const found = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:env', Values: ['prod'] }] }));
    expect(found.SecurityGroups?.map((g) => [g.GroupId, g.Tags])).toEqual([[GroupId, [{ Key: 'Name', Value: 'tagged' }, { Key: 'env', Value: 'prod' }, { Key: 'team', Value: '' }]]]);
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [GroupId!] }, { Name: 'key', Values: ['env', 'team'] }] }));
    expect(tags.Tags).toEqual([
      { Key: 'env', ResourceId: GroupId, ResourceType: 'security-group', Value: 'prod' },
      { Key: 'team', ResourceId: GroupId, ResourceType: 'security-group', Value: '' },
    ]);
    await ec2.send(new DeleteTagsCommand({ Resources: [GroupId!], Tags: [{ Key: 'env' }, { Key: 'team', Value: 'other' }] }));
    const after = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [GroupId!] }] }));
    expect(after.Tags?.map((t) => t.Key)).toEqual(['Name', 'team']);
    expect(await failure(ec2.send(new CreateTagsCommand({ Resources: ['sg-0123456789abcdef0'], Tags: [{ Key: 'k', Value: 'v' }] }))))
      .toEqual({ name: 'InvalidGroup.NotFound', status: 400 });
  });

  it('modifies a rule by its id and reads the new rule back', async () => {
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'modify', Description: 'modify' }));
    const { SecurityGroupRules } = await ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    }));
    const ruleId = SecurityGroupRules![0]!.SecurityGroupRuleId!;
    const res = await ec2.send(new ModifySecurityGroupRulesCommand({
      GroupId,
      SecurityGroupRules: [{ SecurityGroupRuleId: ruleId, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 2222, ToPort: 2222, CidrIpv4: '192.168.0.0/16', Description: 'moved' } }],
    }));
    expect(res.Return).toBe(true);
    const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] }));
    expect(rules.SecurityGroupRules).toMatchObject([{ SecurityGroupRuleId: ruleId, FromPort: 2222, ToPort: 2222, CidrIpv4: '192.168.0.0/16', Description: 'moved' }]);
    await ec2.send(new CreateTagsCommand({ Resources: [ruleId], Tags: [{ Key: 'Name', Value: 'ssh' }] }));
    const tagged = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'tag:Name', Values: ['ssh'] }] }));
    expect(tagged.SecurityGroupRules?.map((r) => [r.SecurityGroupRuleId, r.Tags])).toEqual([[ruleId, [{ Key: 'Name', Value: 'ssh' }]]]);
    expect(await failure(ec2.send(new ModifySecurityGroupRulesCommand({
      GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: 'sgr-0123456789abcdef0', SecurityGroupRule: { IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' } }],
    })))).toEqual({ name: 'InvalidSecurityGroupRuleId.NotFound', status: 400 });
  });

  it('lists the AWS-managed prefix lists of the region', async () => {
    const res = await ec2.send(new DescribePrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.us-east-1.s3'] }] }));
    expect(res.PrefixLists).toHaveLength(1);
    expect(res.PrefixLists![0]).toMatchObject({ PrefixListName: 'com.amazonaws.us-east-1.s3', PrefixListId: expect.stringMatching(/^pl-/) });
    expect(res.PrefixLists![0]!.Cidrs!.length).toBeGreaterThan(0);
  });
});

describe.skipIf(skipBotocore)('boto3 and the AWS CLI send these actions as sgfw reads them', () => {
  const requests: [string, Record<string, unknown>][] = [
    ['CreateTags', { Resources: ['sg-1', 'vpc-2'], Tags: [{ Key: 'a', Value: 'b' }, { Key: 'c', Value: '' }] }],
    ['DeleteTags', { Resources: ['sg-1'], Tags: [{ Key: 'a' }, { Key: 'c', Value: 'd' }] }],
    ['DescribeTags', { Filters: [{ Name: 'resource-id', Values: ['sg-1', 'sg-2'] }] }],
    ['CreateVpc', { CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'x' }] }] }],
    ['DeleteVpc', { VpcId: 'vpc-1' }],
    ['DescribeVpcs', { VpcIds: ['vpc-1', 'vpc-2'], Filters: [{ Name: 'is-default', Values: ['false'] }] }],
    ['DescribePrefixLists', { PrefixListIds: ['pl-1'], Filters: [{ Name: 'prefix-list-name', Values: ['x'] }] }],
    ['ModifySecurityGroupRules', {
      GroupId: 'sg-1',
      SecurityGroupRules: [{ SecurityGroupRuleId: 'sgr-1', SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 1, ToPort: 2, ReferencedGroupId: 'sg-2', Description: 'd' } }],
    }],
  ];

  it('botocore’s serialized form decodes to the params it started from', () => {
    const answers = runBotocore(requests.map(([operation, params]) => ({ kind: 'serialize' as const, operation, params }))) as { params: unknown; form: Record<string, string> }[];
    requests.forEach(([action], i) => {
      const { params, form } = answers[i]!;
      const { Action: _a, Version: _v, ...rest } = form;
      expect(params, `${action}: botocore's model knows every member`).toEqual(requests[i]![1]);
      expect(decodeQueryParams(action, rest), action).toEqual(params);
    });
  });

  it('botocore parses our XML answers back into the results the service gave', () => {
    const s = new SecurityGroupService({ idGenerator: countingIdGenerator() });
    const { GroupId } = s.createSecurityGroup({ GroupName: 'g', Description: 'g' });
    const results: [string, unknown][] = [
      ['CreateVpc', s.call('CreateVpc', { CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'a & b' }] }] })],
      ['CreateTags', s.call('CreateTags', { Resources: [GroupId], Tags: [{ Key: 'k', Value: '' }] })],
      ['DescribeTags', s.call('DescribeTags', {})],
      ['DescribeVpcs', s.call('DescribeVpcs', {})],
      ['DescribePrefixLists', s.call('DescribePrefixLists', {})],
      ['DeleteTags', s.call('DeleteTags', { Resources: [GroupId] })],
    ];
    expect((results[2]![1] as { Tags: unknown[] }).Tags).toHaveLength(2);
    const answers = runBotocore(results.map(([operation, result]) => ({
      kind: 'parse' as const, operation, status: 200, dropMetadata: true, body: renderXmlResponse(operation, result, 'req-1'), expected: result,
    }))) as { parsed: unknown; expected: unknown }[];
    results.forEach(([action], i) => {
      const { parsed, expected } = answers[i]!;
      // botocore models no output for CreateTags / DeleteTags: it reads nothing, and must not fail
      if (action === 'CreateTags' || action === 'DeleteTags') expect(parsed, action).toEqual({});
      else expect(parsed, action).toEqual(expected);
    });
  });
});
