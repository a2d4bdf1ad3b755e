import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../src/api/credentials.js';
import { dryRunWithoutApplying } from '../../../src/api/server-dry-run.js';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import { SecurityGroupService } from '../../../src/control/service.js';
import { botocoreSign } from './botocore-sign.js';
import { sdkFailure as failure } from './sdk-failure.js';

const credentials = { accessKeyId: 'AKIAQWERTYUIOPASDFGH', secretAccessKey: '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' };

let service: SecurityGroupService;
let server: ApiServer;
let skewMs = 0;
const acked: string[] = [];
let failNextAck = false;
let acksInFlight = 0;
let maxAcksInFlight = 0;

beforeAll(async () => {
  service = new SecurityGroupService({ accountId: '111122223333' });
  server = await startApiServer({
    service,
    credentials: staticCredentials([credentials]),
    listen: { host: '127.0.0.1', port: 0 },
    dryRun: dryRunWithoutApplying(service),
    now: () => Date.now() + skewMs,
    maxBodyBytes: 64 * 1024,
    async beforeAck(action) {
      if (failNextAck) {
        failNextAck = false;
        throw new Error('disk full');
      }
      acksInFlight++;
      maxAcksInFlight = Math.max(maxAcksInFlight, acksInFlight);
      await new Promise((r) => setTimeout(r, 5));
      acksInFlight--;
      acked.push(action);
    },
  });
});
afterAll(async () => {
  await server.close();
});

function client(secretAccessKey = credentials.secretAccessKey, region = 'us-east-1'): EC2Client {
  return new EC2Client({ endpoint: server.url, region, maxAttempts: 1, credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey } });
}

/** A request botocore signed, sent with fetch: for what the SDK cannot send (unknown actions). */
async function signedPost(body: string, service = 'ec2'): Promise<{ status: number; text: string; requestId: string | null }> {
  const signed = botocoreSign({
    method: 'POST',
    url: `${server.url}/`,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    key: credentials.accessKeyId,
    secret: credentials.secretAccessKey,
    service,
  });
  const res = await fetch(`${server.url}/`, { method: 'POST', headers: signed.headers, body });
  return { status: res.status, text: await res.text(), requestId: res.headers.get('x-amzn-requestid') };
}

describe('the AWS SDK for JavaScript manages security groups through sgfw serve', () => {
  it('creates a group, authorizes, describes and revokes ingress', async () => {
    const ec2 = client();
    const created = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web tier', VpcId: 'vpc-12345' }));
    expect(created.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    const permission = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'clients' }] };
    const authorized = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: created.GroupId, IpPermissions: [permission] }));
    expect(authorized.Return).toBe(true);
    expect(authorized.SecurityGroupRules?.[0]).toMatchObject({ GroupId: created.GroupId, IsEgress: false, FromPort: 443, CidrIpv4: '203.0.113.0/24' });

    const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId as string] }));
    expect(described.SecurityGroups).toHaveLength(1);
    const group = described.SecurityGroups?.[0];
    expect(group).toMatchObject({ GroupName: 'web', Description: 'web tier', VpcId: 'vpc-12345', OwnerId: '111122223333' });
    expect(group?.IpPermissions).toEqual([{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'clients' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);

    const revoked = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: created.GroupId, IpPermissions: [permission] }));
    expect(revoked.Return).toBe(true);
    const after = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId as string] }));
    expect(after.SecurityGroups?.[0].IpPermissions ?? []).toEqual([]);
  });

  it('reports EC2 errors as the SDK names them', async () => {
    const err = await failure(client().send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })));
    expect(err.name).toBe('InvalidGroup.NotFound');
    expect(err.status).toBe(400);
    expect(err.message).toContain('sg-0123456789abcdef0');
  });

  it('accepts a signature scoped to any region', async () => {
    const out = await client(undefined, 'ap-southeast-2').send(new DescribeSecurityGroupsCommand({}));
    expect(out.SecurityGroups?.some((g) => g.GroupName === 'web')).toBe(true);
  });
});

describe('only requests signed by a known credential, now, change anything', () => {
  it('a wrong secret gets AuthFailure (401) and the group is not created', async () => {
    const before = service.version;
    const err = await failure(client('x'.repeat(40)).send(new CreateSecurityGroupCommand({ GroupName: 'evil', Description: 'x' })));
    expect(err).toMatchObject({ name: 'AuthFailure', status: 401 });
    expect(service.version).toBe(before);
  });

  it('an unsigned request gets AuthFailure', async () => {
    const res = await fetch(`${server.url}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Action=CreateSecurityGroup&Version=2016-11-15&GroupName=evil&GroupDescription=x' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('text/xml;charset=UTF-8');
    expect(await res.text()).toContain('<Code>AuthFailure</Code>');
    expect([...service.groups()].some((g) => g.groupName === 'evil')).toBe(false);
  });

  it('a request signed more than 15 minutes ago gets AuthFailure', async () => {
    skewMs = 20 * 60_000;
    try {
      const err = await failure(client().send(new DescribeSecurityGroupsCommand({})));
      expect(err).toMatchObject({ name: 'AuthFailure', status: 401 });
    } finally {
      skewMs = 0;
    }
  });
});

describe('what sgfw does not serve is a client error, never a 5xx', () => {
  it('an unknown action gets InvalidAction (400)', async () => {
    const res = await signedPost('Action=RunInstances&Version=2016-11-15&ImageId=ami-1');
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidAction</Code>');
    expect(res.text).toContain(`<RequestID>${res.requestId}</RequestID>`);
  });

  it('a call without Version, or with one sgfw does not speak, is refused and applies nothing', async () => {
    const missing = await signedPost('Action=CreateSecurityGroup&GroupName=no-version&GroupDescription=d');
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('<Code>MissingParameter</Code>');
    expect(missing.text).toContain('The request must contain the parameter Version.');
    const wrong = await signedPost('Action=CreateSecurityGroup&Version=2014-10-01&GroupName=old-version&GroupDescription=d');
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('<Code>NoSuchVersion</Code>');
    expect(wrong.text).toContain('The requested version (2014-10-01) of service AmazonEC2 does not exist.');
    const names = (await client().send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupName);
    expect(names).not.toContain('no-version');
    expect(names).not.toContain('old-version');
  });

  it('a body over the limit gets 413', async () => {
    const res = await signedPost(`Action=DescribeSecurityGroups&Version=2016-11-15&Pad=${'x'.repeat(70 * 1024)}`);
    expect(res.status).toBe(413);
    expect(res.text).toContain('<Code>RequestEntityTooLarge</Code>');
  });
});

describe('DryRun says whether the call would succeed, and changes nothing', () => {
  it('a call that would succeed gets DryRunOperation (412)', async () => {
    const before = service.version;
    const err = await failure(client().send(new CreateSecurityGroupCommand({ GroupName: 'dry', Description: 'dry', DryRun: true })));
    expect(err).toMatchObject({ name: 'DryRunOperation', status: 412 });
    expect(service.version).toBe(before);
    expect([...service.groups()].some((g) => g.groupName === 'dry')).toBe(false);
  });

  it('a call that would fail gets its real error', async () => {
    await client().send(new CreateSecurityGroupCommand({ GroupName: 'taken', Description: 'x', VpcId: 'vpc-12345' }));
    const err = await failure(client().send(new CreateSecurityGroupCommand({ GroupName: 'taken', Description: 'again', VpcId: 'vpc-12345', DryRun: true })));
    expect(err.name).toBe('InvalidGroup.Duplicate');
  });

  it('a call naming a rule by its id gets DryRunOperation, and the rule stays', async () => {
    const ec2 = client();
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'dry-rules', Description: 'x', VpcId: 'vpc-12345' }));
    const added = await ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    }));
    const ruleId = added.SecurityGroupRules![0]!.SecurityGroupRuleId!;
    const before = service.version;
    const err = await failure(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, SecurityGroupRuleIds: [ruleId], DryRun: true })));
    expect(err.name).toBe('DryRunOperation');
    expect(service.version).toBe(before);
    expect(service.group(GroupId!)!.ingress.map((r) => r.ruleId)).toEqual([ruleId]);
  });
});

describe('a change is acknowledged only after the durable store took it', () => {
  it('beforeAck sees changes, not reads', async () => {
    acked.length = 0;
    const ec2 = client();
    await ec2.send(new DescribeSecurityGroupsCommand({}));
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'acked', Description: 'x', VpcId: 'vpc-12345' }));
    expect(acked).toEqual(['CreateSecurityGroup']);
  });

  it('a failing store turns the answer into InternalError (500)', async () => {
    failNextAck = true;
    const err = await failure(client().send(new CreateSecurityGroupCommand({ GroupName: 'unacked', Description: 'x', VpcId: 'vpc-12345' })));
    expect(err).toMatchObject({ name: 'InternalError', status: 500 });
  });

  it('concurrent calls run one at a time, in order', async () => {
    const ec2 = client();
    const names = Array.from({ length: 8 }, (_, i) => `serial-${i}`);
    acked.length = 0;
    await Promise.all(names.map((n) => ec2.send(new CreateSecurityGroupCommand({ GroupName: n, Description: 'x', VpcId: 'vpc-777' }))));
    expect(acked.filter((a) => a === 'CreateSecurityGroup')).toHaveLength(8);
    expect(maxAcksInFlight).toBe(1);
    expect([...service.groups()].filter((g) => g.groupName.startsWith('serial-')).map((g) => g.groupName).sort()).toEqual(names);
  });
});

describe('STS GetCallerIdentity answers with the account that owns the groups', () => {
  // botocore runs in a child process while this process serves it: spawnSync would deadlock.
  it('as botocore parses it', async () => {
    const script = String.raw`
import json, sys, botocore.session
s = botocore.session.get_session()
c = s.create_client('sts', endpoint_url=sys.argv[1], region_name='eu-west-1', aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
r = c.get_caller_identity()
print(json.dumps({k: r[k] for k in ('Account', 'Arn', 'UserId')}))
`;
    const out = await promisify(execFile)('python3', ['-c', script, server.url, credentials.accessKeyId, credentials.secretAccessKey], { encoding: 'utf8' });
    expect(JSON.parse(out.stdout)).toEqual({ Account: '111122223333', Arn: 'arn:aws:iam::111122223333:root', UserId: '111122223333' });
  });

  it('and refuses other STS actions', async () => {
    const res = await signedPost('Action=AssumeRole&Version=2011-06-15', 'sts');
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidAction</Code>');
  });
});
