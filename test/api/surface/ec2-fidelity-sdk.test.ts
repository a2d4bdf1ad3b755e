// Issue 17's EC2 behaviours through the wire, as the AWS SDK for JavaScript v3 reads them with EC2's
// own model: the ARNs arrive in their elements (securityGroupArn, securityGroupRuleArn,
// prefixListArn), and a malformed id in a filter comes back as EC2's code and message.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../src/api/credentials.js';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import { SecurityGroupService } from '../../../src/control/service.js';

const ACCOUNT = '111122223333';
const credentials = { accessKeyId: 'AKIAQWERTYUIOPASDFGH', secretAccessKey: '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' };
let server: ApiServer;
let ec2: EC2Client;

beforeAll(async () => {
  const service = new SecurityGroupService({ accountId: ACCOUNT });
  server = await startApiServer({ service, credentials: staticCredentials([credentials]), listen: { host: '127.0.0.1', port: 0 } });
  ec2 = new EC2Client({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials });
});
afterAll(async () => {
  ec2.destroy();
  await server.close();
});

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded');
}

describe('the SDK reads what EC2 answers', () => {
  it('SecurityGroupArn from CreateSecurityGroup and DescribeSecurityGroups, SecurityGroupRuleArn from rules', async () => {
    const created = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'arn', Description: 'arn' }));
    expect(created.SecurityGroupArn).toBe(`arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/${created.GroupId}`);
    const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId!] }));
    expect(described.SecurityGroups![0]!.SecurityGroupArn).toBe(created.SecurityGroupArn);
    const authorized = await ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: created.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    }));
    const rule = authorized.SecurityGroupRules![0]!;
    expect(rule.SecurityGroupRuleArn).toBe(`arn:aws:ec2:us-east-1:${ACCOUNT}:security-group-rule/${rule.SecurityGroupRuleId}`);
    const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [created.GroupId!] }] }));
    expect(rules.SecurityGroupRules!.every((r) => r.SecurityGroupRuleArn === `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group-rule/${r.SecurityGroupRuleId}`)).toBe(true);
  });

  it('AWS-managed prefix lists come with OwnerId AWS and their PrefixListArn', async () => {
    const res = await ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'owner-id', Values: ['AWS'] }] }));
    expect(res.PrefixLists!.map((p) => p.PrefixListName)).toEqual(['com.amazonaws.us-east-1.s3', 'com.amazonaws.us-east-1.dynamodb']);
    for (const p of res.PrefixLists!) expect(p.PrefixListArn).toBe(`arn:aws:ec2:us-east-1:aws:prefix-list/${p.PrefixListId}`);
  });

  it('CreateVpc answers the canonical form of a CIDR with host bits set', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '100.68.0.18/18' }));
    expect(Vpc!.CidrBlock).toBe('100.68.0.0/18');
  });

  it('a malformed id in a filter is InvalidGroupId.Malformed, and ModifySecurityGroupRules answers EC2’s wording', async () => {
    expect(await failure(ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: ['foobar'] }] }))))
      .toEqual({ name: 'InvalidGroupId.Malformed', message: "The security group ID 'foobar' is malformed", status: 400 });
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'modify', Description: 'modify' }));
    const [rule] = (await ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    }))).SecurityGroupRules!;
    const modify = ec2.send(new ModifySecurityGroupRulesCommand({
      GroupId, SecurityGroupRules: [{ SecurityGroupRuleId: rule!.SecurityGroupRuleId, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, CidrIpv4: '10.0.0.0/8' } }],
    }));
    expect(await failure(modify)).toEqual({
      name: 'InvalidParameterValue', message: 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.', status: 400,
    });
  });

  it('RevokeSecurityGroupIngress and Egress list the rules they revoked (RevokedSecurityGroupRules)', async () => {
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'revoke', Description: 'revoke' }));
    const peer = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'revoke-peer', Description: 'p' }))).GroupId!;
    const permission = {
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443,
      IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'corp' }], UserIdGroupPairs: [{ GroupId: peer }],
    };
    const added = (await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [permission] }))).SecurityGroupRules!;
    const revoked = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: [permission] }));
    expect(revoked.Return).toBe(true);
    expect(revoked.RevokedSecurityGroupRules).toEqual(added.map((r) => ({
      SecurityGroupRuleId: r.SecurityGroupRuleId, GroupId, IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443,
      ...(r.CidrIpv4 !== undefined ? { CidrIpv4: r.CidrIpv4, Description: 'corp' } : { ReferencedGroupId: peer }),
    })));
    const egress = await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    expect(egress.RevokedSecurityGroupRules).toMatchObject([{ GroupId, IsEgress: true, IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: '0.0.0.0/0' }]);
  });
});
