// Issue 4, "Real clients in the tests": the real `aws ec2 …` against a running `sgfw serve`,
// asserting on what the CLI parsed and printed, never on our own XML.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEc2, awsFails as fails, awsOk as ok, hasAwsCli, type AwsEc2 } from '../../support/aws-cli.js';
import { createCredentials, startServe, type ServeProcess } from '../../support/serve-process.js';

// CI installs awscli (scripts/setup.sh): there a missing `aws` must fail, not skip.
const skip = !hasAwsCli && !process.env.CI;

const DEFAULT_VPC = 'vpc-00000000000000000';
const ENI = 'eni-0a1b2c3d4e5f60001';
const SEEDED = 'sg-0a1b2c3d4e5f60001';
// The aws CLI cannot call sgfw's own RegisterNetworkInterface: the interface comes from `--state`.
const SEED = {
  SecurityGroups: [
    { GroupId: SEEDED, GroupName: 'seeded', Description: 'seeded group', VpcId: DEFAULT_VPC, OwnerId: '123456789012', IpPermissions: [], IpPermissionsEgress: [] },
  ],
  NetworkInterfaces: [
    {
      NetworkInterfaceId: ENI, VpcId: DEFAULT_VPC, OwnerId: '123456789012', PrivateIpAddress: '10.0.0.10', Description: 'web instance',
      Groups: [{ GroupId: SEEDED, GroupName: 'seeded' }],
    },
  ],
};

let dir: string;
let server: ServeProcess;
let credentials: { accessKeyId: string; secretAccessKey: string };
let aws: AwsEc2;
const ids = { web: '', app: '', db: '', pl: '', sshRule: '', retried: '' };

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'sgfw-aws-cli-'));
  credentials = createCredentials(dir);
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify(SEED));
  server = await startServe(dir, ['--state', seed]);
  aws = awsEc2(server.url, credentials);
}, 60_000);
afterAll(async () => {
  if (server) await server.stop();
}, 30_000);


describe.skipIf(skip)('managing security groups with the aws CLI against sgfw serve', { timeout: 180_000 }, () => {
  it('creates groups in the default VPC and in a named VPC', async () => {
    const [web, app, db] = await Promise.all([
      aws('create-security-group', '--group-name', 'web', '--description', 'web tier'),
      aws('create-security-group', '--group-name', 'app', '--description', 'app tier'),
      aws('create-security-group', '--group-name', 'db', '--description', 'db tier', '--vpc-id', 'vpc-12345'),
    ]);
    ids.web = ok(web).GroupId;
    ids.app = ok(app).GroupId;
    ids.db = ok(db).GroupId;
    for (const id of [ids.web, ids.app, ids.db]) expect(id).toMatch(/^sg-[0-9a-f]{17}$/);

    const [byId, byName] = await Promise.all([
      aws('describe-security-groups', '--group-ids', ids.db),
      aws('describe-security-groups', '--group-names', 'web'),
    ]);
    const [db1] = ok(byId).SecurityGroups;
    expect(db1).toMatchObject({ GroupId: ids.db, GroupName: 'db', Description: 'db tier', VpcId: 'vpc-12345', IpPermissions: [] });
    // seed 001: a new group allows all outbound traffic
    expect(db1.IpPermissionsEgress).toEqual([{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    expect(ok(byName).SecurityGroups.map((g: any) => [g.GroupId, g.VpcId])).toEqual([[ids.web, DEFAULT_VPC]]);
  });

  it('authorizes ingress with --protocol/--port/--cidr', async () => {
    const r = ok(await aws('authorize-security-group-ingress', '--group-id', ids.web, '--protocol', 'tcp', '--port', '22', '--cidr', '203.0.113.5/32'));
    expect(r.Return).toBe(true);
    expect(r.SecurityGroupRules).toHaveLength(1);
    expect(r.SecurityGroupRules[0]).toMatchObject({ GroupId: ids.web, IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '203.0.113.5/32' });
    ids.sshRule = r.SecurityGroupRules[0].SecurityGroupRuleId;
    expect(ids.sshRule).toMatch(/^sgr-[0-9a-f]{17}$/);
  });

  it('manages a prefix list and authorizes ingress from IPv4, IPv6, a group and the prefix list with --ip-permissions', async () => {
    const created = ok(await aws('create-managed-prefix-list', '--prefix-list-name', 'office', '--address-family', 'IPv4', '--max-entries', '5', '--entries', 'Cidr=198.51.100.0/24,Description=hq'));
    expect(created.PrefixList).toMatchObject({ PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 5, Version: 1 });
    ids.pl = created.PrefixList.PrefixListId;

    const modified = ok(await aws('modify-managed-prefix-list', '--prefix-list-id', ids.pl, '--current-version', '1', '--add-entries', 'Cidr=192.0.2.0/24,Description=branch'));
    expect(modified.PrefixList).toMatchObject({ PrefixListId: ids.pl, Version: 2 });
    const [entries, stale] = await Promise.all([
      aws('get-managed-prefix-list-entries', '--prefix-list-id', ids.pl),
      aws('modify-managed-prefix-list', '--prefix-list-id', ids.pl, '--current-version', '1', '--add-entries', 'Cidr=192.0.3.0/24'),
    ]);
    expect(ok(entries).Entries).toEqual([
      { Cidr: '198.51.100.0/24', Description: 'hq' },
      { Cidr: '192.0.2.0/24', Description: 'branch' },
    ]);
    fails(stale, 'PrefixListVersionMismatch', `The prefix list ${ids.pl} is at version 2, not the specified version 1.`);

    const permissions = [
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'https' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: ids.web }] },
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: ids.pl }] },
    ];
    const r = ok(await aws('authorize-security-group-ingress', '--group-id', ids.app, '--ip-permissions', JSON.stringify(permissions)));
    for (const rule of r.SecurityGroupRules) {
      expect(rule.SecurityGroupRuleArn).toBe(`arn:aws:ec2:us-east-1:123456789012:security-group-rule/${rule.SecurityGroupRuleId}`);
    }
    const rules = r.SecurityGroupRules.map(({ SecurityGroupRuleId: _id, GroupOwnerId: _o, GroupId: _g, SecurityGroupRuleArn: _a, ...rest }: any) => rest);
    expect(rules).toEqual([
      { IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0', Description: 'https' },
      { IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv6: '::/0' },
      { IsEgress: false, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, ReferencedGroupInfo: { GroupId: ids.web, UserId: '123456789012' } },
      { IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListId: ids.pl },
    ]);
  });

  it('authorizes egress to a group with the shorthand syntax', async () => {
    const r = ok(await aws('authorize-security-group-egress', '--group-id', ids.web, '--ip-permissions', `IpProtocol=tcp,FromPort=8080,ToPort=8080,UserIdGroupPairs=[{GroupId=${ids.app}}]`));
    expect(r.SecurityGroupRules).toHaveLength(1);
    expect(r.SecurityGroupRules[0]).toMatchObject({ GroupId: ids.web, IsEgress: true, FromPort: 8080, ReferencedGroupInfo: { GroupId: ids.app } });
  });

  it('describes groups by filter and rules by group', async () => {
    const [byPort, rules, web] = await Promise.all([
      aws('describe-security-groups', '--filters', 'Name=ip-permission.from-port,Values=22'),
      aws('describe-security-group-rules', '--filters', `Name=group-id,Values=${ids.app}`),
      aws('describe-security-groups', '--group-ids', ids.web),
    ]);
    expect(ok(byPort).SecurityGroups.map((g: any) => g.GroupId).sort()).toEqual([ids.web, ids.app].sort());
    const appRules = ok(rules).SecurityGroupRules;
    // 4 ingress from the authorize above, plus the default all-outbound egress rule
    expect(appRules).toHaveLength(5);
    expect(appRules.filter((r: any) => r.IsEgress).map((r: any) => r.CidrIpv4)).toEqual(['0.0.0.0/0']);
    const [g] = ok(web).SecurityGroups;
    expect(g.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.5/32' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
    expect(g.IpPermissionsEgress.map((p: any) => p.UserIdGroupPairs)).toContainEqual([{ GroupId: ids.app, UserId: '123456789012' }]);
  });

  it('updates an ingress rule description', async () => {
    const r = ok(await aws('update-security-group-rule-descriptions-ingress', '--group-id', ids.web, '--ip-permissions', 'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=203.0.113.5/32,Description="admin ssh"}]'));
    expect(r.Return).toBe(true);
    const rules = ok(await aws('describe-security-group-rules', '--security-group-rule-ids', ids.sshRule)).SecurityGroupRules;
    expect(rules).toEqual([expect.objectContaining({ SecurityGroupRuleId: ids.sshRule, CidrIpv4: '203.0.113.5/32', Description: 'admin ssh' })]);
  });

  it("modifies an interface's groups, and a group in use cannot be deleted", async () => {
    const r = await aws('modify-network-interface-attribute', '--network-interface-id', ENI, '--groups', ids.web, ids.app);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const [eni, deleteApp, deleteDefault] = await Promise.all([
      aws('describe-network-interfaces', '--network-interface-ids', ENI),
      aws('delete-security-group', '--group-id', ids.app),
      aws('delete-security-group', '--group-name', 'default'),
    ]);
    expect(ok(eni).NetworkInterfaces[0].Groups.map((g: any) => g.GroupId)).toEqual([ids.web, ids.app]);
    fails(deleteApp, 'DependencyViolation', `resource ${ids.app} has a dependent object`);
    fails(deleteDefault, 'CannotDelete', /^the specified group: "sg-[0-9a-f]{17}" name: "default" cannot be deleted by a user$/);
  });

  it('reports every EC2 error code the way the CLI prints it', async () => {
    const tooMany = Array.from({ length: 61 }, (_, i) => ({ CidrIp: `10.0.${i}.0/24` }));
    const [dup, notFound, malformed, groupDup, limit, hostBits, plInUse, srcDst, bigList] = await Promise.all([
      aws('authorize-security-group-ingress', '--group-id', ids.web, '--protocol', 'tcp', '--port', '22', '--cidr', '203.0.113.5/32'),
      aws('describe-security-groups', '--group-ids', 'sg-0123456789abcdef0'),
      aws('describe-security-groups', '--group-ids', 'nope'),
      aws('create-security-group', '--group-name', 'web', '--description', 'again'),
      aws('authorize-security-group-ingress', '--group-id', ids.db, '--ip-permissions', JSON.stringify([{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: tooMany }])),
      aws('authorize-security-group-ingress', '--group-id', ids.db, '--protocol', 'tcp', '--port', '80', '--cidr', '203.0.113.5/24'),
      aws('delete-managed-prefix-list', '--prefix-list-id', ids.pl),
      aws('modify-network-interface-attribute', '--network-interface-id', ENI, '--no-source-dest-check'),
      aws('create-managed-prefix-list', '--prefix-list-name', 'big', '--address-family', 'IPv4', '--max-entries', '1001'),
    ]);
    fails(dup, 'InvalidPermission.Duplicate', 'the specified rule "peer: 203.0.113.5/32, TCP, from port: 22, to port: 22, ALLOW" already exists');
    fails(notFound, 'InvalidGroup.NotFound', "The security group 'sg-0123456789abcdef0' does not exist");
    fails(malformed, 'InvalidGroupId.Malformed', "The security group ID 'nope' is malformed");
    fails(groupDup, 'InvalidGroup.Duplicate', `The security group 'web' already exists for VPC '${DEFAULT_VPC}'`);
    fails(limit, 'RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
    fails(hostBits, 'InvalidParameterValue', /203\.0\.113\.5\/24/);
    fails(plInUse, 'DependencyViolation', `resource ${ids.pl} has a dependent object`);
    fails(srcDst, 'UnsupportedOperation', /^ModifyNetworkInterfaceAttribute with SourceDestCheck is not supported: /);
    fails(bigList, 'InvalidParameterValue', 'Must specify a max size between 1 and 1000');
    // none of the refused calls left anything behind
    const db = ok(await aws('describe-security-groups', '--group-ids', ids.db)).SecurityGroups[0];
    expect(db.IpPermissions).toEqual([]);
  });

  it('refuses a wrong secret with AuthFailure and answers --dry-run with DryRunOperation, changing nothing', async () => {
    const wrong = awsEc2(server.url, { accessKeyId: credentials.accessKeyId, secretAccessKey: 'x'.repeat(40) });
    const [denied, dry] = await Promise.all([
      wrong('create-security-group', '--group-name', 'intruder', '--description', 'no'),
      aws('create-security-group', '--group-name', 'dry', '--description', 'not really', '--dry-run'),
    ]);
    fails(denied, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
    fails(dry, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
    const names = ok(await aws('describe-security-groups')).SecurityGroups.map((g: any) => g.GroupName);
    expect(names).not.toContain('intruder');
    expect(names).not.toContain('dry');
  });

  it('revokes ingress, and a revoked rule is gone; revoking it again answers it as unknown (default VPC) or InvalidPermission.NotFound (other VPCs)', async () => {
    const revoke = ['revoke-security-group-ingress', '--protocol', 'tcp', '--port', '22', '--cidr', '203.0.113.5/32'];
    const r = ok(await aws(...revoke, '--group-id', ids.web));
    expect(r.Return).toBe(true);
    // the EC2 API reference: "For a default VPC, … no error is returned, and the output describes the security group rules that were not revoked"
    const again = ok(await aws(...revoke, '--group-id', ids.web));
    expect(again.Return).toBe(true);
    expect(again.UnknownIpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.5/32' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] },
    ]);
    expect(ok(await aws('describe-security-groups', '--group-ids', ids.web)).SecurityGroups[0].IpPermissions).toEqual([]);
    // "For a non-default VPC, … an InvalidPermission.NotFound client error is returned"
    fails(await aws(...revoke, '--group-id', ids.db), 'InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
  });

  it('a create-managed-prefix-list retried with its --client-token answers the first list; other parameters are IdempotentParameterMismatch', async () => {
    const create = ['create-managed-prefix-list', '--prefix-list-name', 'retried', '--address-family', 'IPv4', '--max-entries', '2', '--client-token', 'cli-token-1'];
    const first = ok(await aws(...create)).PrefixList;
    ids.retried = first.PrefixListId;
    const again = ok(await aws(...create)).PrefixList;
    expect(again).toEqual(first);
    fails(
      await aws(...create.slice(0, -4), '--max-entries', '3', '--client-token', 'cli-token-1'),
      'IdempotentParameterMismatch',
      'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).',
    );
    const named = ok(await aws('describe-managed-prefix-lists', '--filters', 'Name=prefix-list-name,Values=retried')).PrefixLists;
    expect(named.map((p: any) => p.PrefixListId)).toEqual([first.PrefixListId]);
    ok(await aws('delete-managed-prefix-list', '--prefix-list-id', first.PrefixListId));
  });

  it('deletes a prefix list and a group once nothing refers to them', async () => {
    ok(await aws('revoke-security-group-ingress', '--group-id', ids.app, '--ip-permissions', JSON.stringify([{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: ids.pl }] }])));
    const [pl, db] = await Promise.all([
      aws('delete-managed-prefix-list', '--prefix-list-id', ids.pl),
      aws('delete-security-group', '--group-id', ids.db),
    ]);
    expect(ok(pl).PrefixList.PrefixListId).toBe(ids.pl);
    expect(ok(db).Return).toBe(true);
    fails(await aws('describe-security-groups', '--group-ids', ids.db), 'InvalidGroup.NotFound', `The security group '${ids.db}' does not exist`);
  });

  it('keeps every group and the interface after sgfw serve restarts on the same state directory', async () => {
    expect(await server.stop()).toBe(0);
    server = await startServe(dir);
    aws = awsEc2(server.url, credentials);
    const [groups, eni] = await Promise.all([aws('describe-security-groups'), aws('describe-network-interfaces')]);
    const all = ok(groups).SecurityGroups;
    // the default groups of the default VPC and of vpc-12345 stay when db is gone
    expect(all.map((g: any) => g.GroupName).sort()).toEqual(['app', 'default', 'default', 'seeded', 'web']);
    const byName = Object.fromEntries(all.map((g: any) => [g.GroupName, g]));
    expect(byName.web.GroupId).toBe(ids.web);
    expect(byName.app.IpPermissions.map((p: any) => p.FromPort)).toEqual([443, 8080]);
    expect(ok(eni).NetworkInterfaces[0].Groups.map((g: any) => g.GroupId)).toEqual([ids.web, ids.app]);
    // the client token came back from the state directory: the retry answers the first (since deleted) list
    const retried = ok(await aws('create-managed-prefix-list', '--prefix-list-name', 'retried', '--address-family', 'IPv4', '--max-entries', '2', '--client-token', 'cli-token-1'));
    expect(retried.PrefixList.PrefixListId).toBe(ids.retried);
    expect(ok(await aws('describe-managed-prefix-lists', '--filters', 'Name=prefix-list-name,Values=retried')).PrefixLists).toEqual([]);
  });
});
