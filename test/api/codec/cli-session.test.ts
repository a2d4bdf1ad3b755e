import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SecurityGroupService } from '../../../src/control/service.js';
import { Ec2Error } from '../../../src/model/ec2-error.js';
import { decodeQueryParams } from '../../../src/api/query-params.js';
import { renderXmlError, renderXmlResponse } from '../../../src/api/ec2-xml.js';
import { runBotocore, skipBotocore } from './botocore.js';

const BODIES = JSON.parse(readFileSync(new URL('./fixtures/cli-bodies.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;

/** The result as a client would see it: JSON values only, minus sgfw's extension fields. */
function asClientSees(result: unknown): unknown {
  return JSON.parse(JSON.stringify(result, (k, v) => (k === 'Stale' ? undefined : v)));
}

describe.skipIf(skipBotocore)('a session of real AWS CLI requests, answered through the service, reads back in botocore unchanged', () => {
  it('creates, authorizes, describes, updates, revokes and reports errors as the CLI would parse them', () => {
    let n = 0;
    const service = new SecurityGroupService({ idGenerator: () => (++n).toString(16).padStart(17, '0') });
    const ids: Record<string, string> = {};
    const form = (fixture: string): Record<string, string> => {
      const body = BODIES[fixture];
      if (body === undefined) throw new Error(`no fixture ${fixture}`);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(body)) out[k] = ids[v] ?? v;
      return out;
    };
    // Parsing happens in one botocore run at the end: starting python per response costs seconds.
    const checks: { label: string; action: string; xml: string; status: number; result?: unknown; expected: (answer: { parsed: Record<string, unknown>; expected: unknown }) => void }[] = [];
    /** One request end to end: form → params → service → XML; botocore's reading is compared later. */
    const send = (fixture: string | { action: string; form: Record<string, string> }): Record<string, unknown> => {
      const f = typeof fixture === 'string' ? form(fixture) : { Action: fixture.action, ...fixture.form };
      const action = f.Action!;
      const label = typeof fixture === 'string' ? fixture : action;
      const result = asClientSees(service.call(action, decodeQueryParams(action, f))) as Record<string, unknown>;
      const xml = renderXmlResponse(action, result, `req-${label}`);
      if (action !== 'RegisterNetworkInterface' && action !== 'DeregisterNetworkInterface') {
        // botocore models no output for ModifyNetworkInterfaceAttribute: it reads `{}`, as the service returns
        checks.push({ label, action, xml, status: 200, result, expected: (answer) => {
          const { ResponseMetadata, ...rest } = answer.parsed as Record<string, unknown>;
          expect((ResponseMetadata as { RequestId: string }).RequestId, label).toBe(`req-${label}`);
          expect(rest, `${label}: botocore's reading of ${xml}`).toEqual(answer.expected);
        } });
      }
      return result;
    };
    const fails = (fixture: string, code: string): void => {
      const f = form(fixture);
      let err: unknown;
      try {
        service.call(f.Action!, decodeQueryParams(f.Action!, f));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Ec2Error);
      const e = err as Ec2Error;
      expect(e.code).toBe(code);
      checks.push({ label: fixture, action: f.Action!, xml: renderXmlError(e.code, e.message, 'req-err'), status: e.httpStatus, expected: ({ parsed }) => {
        expect(parsed.Error, fixture).toEqual({ Code: code, Message: e.message });
        expect((parsed.ResponseMetadata as { RequestId: string }).RequestId).toBe('req-err');
      } });
    };

    const web = send('create-security-group');
    ids.SG_WEB = web.GroupId as string;
    expect(web.Tags).toEqual([{ Key: 'env', Value: 'prod' }]);
    ids.SG_DB = send('create-security-group-db').GroupId as string;
    const pl = send('create-managed-prefix-list').PrefixList as Record<string, unknown>;
    ids.PL_1 = pl.PrefixListId as string;
    expect(pl).toMatchObject({ PrefixListName: 'corp', MaxEntries: 5, AddressFamily: 'IPv4', Version: 1, Tags: [{ Key: 'team', Value: 'net' }] });

    const added = send('authorize-ingress-all-peers');
    expect(added.Return).toBe(true);
    expect(added.SecurityGroupRules).toHaveLength(5);
    send('authorize-ingress-legacy');
    send('authorize-egress');

    const groups = send('describe-security-groups').SecurityGroups as Record<string, unknown>[];
    expect(groups.map((g) => g.GroupName).sort()).toEqual(['db', 'web']);
    const webGroup = groups.find((g) => g.GroupName === 'web')!;
    expect(webGroup.Description).toBe('web & api servers');
    const ssh = (webGroup.IpPermissions as Record<string, unknown>[]).find((p) => p.FromPort === 22)!;
    expect(ssh.UserIdGroupPairs).toEqual([{ Description: 'peer', GroupId: ids.SG_DB, UserId: service.accountId }]);
    expect(ssh.PrefixListIds).toEqual([{ Description: 'corp', PrefixListId: ids.PL_1 }]);
    const allEgress = (webGroup.IpPermissionsEgress as Record<string, unknown>[]).find((p) => p.IpProtocol === '-1')!;
    expect(allEgress).not.toHaveProperty('FromPort');

    const rules = send('describe-security-group-rules').SecurityGroupRules as Record<string, unknown>[];
    const sshRule = rules.find((r) => r.CidrIpv4 === '10.0.0.0/8' && r.IsEgress === false)!;
    ids.SGR_1 = sshRule.SecurityGroupRuleId as string;
    expect(send('describe-security-group-rules-by-id').SecurityGroupRules).toEqual([sshRule]);
    send('update-descriptions-by-id');
    send('update-descriptions-by-permission');
    send('update-descriptions-egress');
    const after = send('describe-security-group-rules').SecurityGroupRules as Record<string, unknown>[];
    expect(after.find((r) => r.SecurityGroupRuleId === ids.SGR_1)!.Description).toBe('bastion only');

    const registered = send({
      action: 'RegisterNetworkInterface',
      form: {
        'PrivateIpAddresses.1.PrivateIpAddress': '10.0.1.5', 'Ipv6Addresses.1.Ipv6Address': '2001:db8::5',
        'SecurityGroupId.1': ids.SG_WEB!, 'ConnectionTrackingSpecification.TcpEstablishedTimeout': '3600',
      },
    });
    ids.ENI_1 = (registered.NetworkInterface as { NetworkInterfaceId: string }).NetworkInterfaceId;
    const enis = send('describe-network-interfaces').NetworkInterfaces as Record<string, unknown>[];
    expect(enis).toHaveLength(1);
    expect(enis[0]).toMatchObject({
      PrivateIpAddress: '10.0.1.5', Groups: [{ GroupId: ids.SG_WEB, GroupName: 'web' }],
      ConnectionTrackingConfiguration: { TcpEstablishedTimeout: 3600 },
    });
    send('modify-network-interface-groups');
    send('modify-network-interface-description');
    expect(service.call('DescribeNetworkInterfaces', {})).toMatchObject({ NetworkInterfaces: [{ Description: 'front end' }] });

    expect((send('modify-managed-prefix-list').PrefixList as { Version: number }).Version).toBe(2);
    expect(send('get-managed-prefix-list-entries').Entries).toEqual([{ Cidr: '10.0.0.0/8', Description: 'corp' }, { Cidr: '192.168.0.0/16' }]);
    send('describe-managed-prefix-lists');

    send('revoke-ingress-by-id');
    send('revoke-ingress-by-permission');
    send('revoke-egress');
    fails('revoke-egress', 'InvalidPermission.NotFound');
    fails('delete-security-group', 'DependencyViolation');
    fails('delete-managed-prefix-list', 'DependencyViolation');
    send({ action: 'DeregisterNetworkInterface', form: { NetworkInterfaceId: ids.ENI_1 } });

    const answers = runBotocore(checks.map((c) => ({ kind: 'parse' as const, operation: c.action, body: c.xml, status: c.status, expected: c.result })));
    expect(answers).toHaveLength(checks.length);
    checks.forEach((c, i) => c.expected(answers[i] as { parsed: Record<string, unknown>; expected: unknown }));
  }, 60_000);
});

describe('the AWS CLI\'s own parameters', () => {
  it('a --dry-run flag reaches the params as a boolean', () => {
    expect(decodeQueryParams('CreateSecurityGroup', BODIES['dry-run-create']!)).toEqual({ GroupName: 'x', Description: 'y', DryRun: true });
  });
});
