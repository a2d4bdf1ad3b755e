// `sgfw run --source ec2[:REGION]`: the flags, checked together with clear usage errors, and the
// model a live mode runs on (run-source.ts) against an in-process `sgfw serve` found the way any AWS
// tool finds EC2 (AWS_ENDPOINT_URL_EC2, the credential chain's environment variables, AWS_REGION): a
// Dataplane that judges by the account's rules, a rule added through the endpoint in force after the
// next poll (SIGHUP polls now), the source's families for /metrics and its part of /status, and
// staleness while the endpoint is away.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/api/credentials.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { runCli } from '../../src/cli/run-cli.js';
import { runCommand } from '../../src/cli/run.js';
import { configCommand } from '../../src/cli/config-command.js';
import type { LiveModel } from '../../src/cli/live-model.js';
import { parseSourceFilter, sourceFlags } from '../../src/cli/run-source.js';
import { sourceModel } from '../../src/cli/run-source-model.js';
import { statusSource } from '../../src/cli/run-status-source.js';
import { formatStatus } from '../../src/cli/status.js';
import { SecurityGroupService } from '../../src/control/service.js';
import { isAllowed } from '../../src/dataplane/verdict.js';
import { runStatus } from '../../src/live/run-status.js';
import { renderExposition } from '../../src/observe/metrics.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { captureIo } from './capture-io.js';
import { capturedLogger } from '../support/captured-logger.js';

async function usage(...argv: string[]): Promise<{ code: number; err: string }> {
  const io = captureIo();
  const code = await runCli(['run', ...argv], io, [runCommand]);
  return { code, err: io.err() };
}

describe('sgfw run --source: flags', () => {
  it('takes ec2 and ec2:REGION, filters, interval and jitter', () => {
    const f = sourceFlags('ec2:eu-west-1', { filters: ['vpc-id=vpc-0abc', 'tag:env=prod,staging'], interval: '2m', jitter: '0', hostId: 'web-1' })!;
    expect(f).toMatchObject({ region: 'eu-west-1', intervalMs: 120_000, jitterMs: 0, hostId: 'web-1', stateFile: undefined });
    expect(f.filters).toEqual([{ Name: 'vpc-id', Values: ['vpc-0abc'] }, { Name: 'tag:env', Values: ['prod', 'staging'] }]);
    expect(sourceFlags('ec2', { filters: [], hostId: 'h' })).toMatchObject({ region: undefined, intervalMs: 30_000, jitterMs: 5_000 });
    expect(sourceFlags(undefined, { filters: [] })).toBeNull();
    expect(parseSourceFilter('tag-key=owner')).toEqual({ Name: 'tag-key', Values: ['owner'] });
  });

  it.each([
    [['--source', 'ec2', '--state', 'a.json'], /--source takes the state from EC2: drop --state/],
    [['--source', 'ec2', '--store', 'etcd://127.0.0.1:1', '--host-id', 'h'], /--source takes the state from EC2: drop --store/],
    [['--source', 'ec2', '--listen', '127.0.0.1:0'], /drop --listen/],
    [['--source', 's3'], /--source expects ec2 or ec2:REGION/],
    [['--source', 'ec2:EU WEST'], /--source expects ec2 or ec2:REGION/],
    [['--source', 'ec2', '--source-filter', 'group-name=web'], /--source-filter 'group-name': the filter goes to DescribeSecurityGroups, DescribeNetworkInterfaces and DescribeVpcs/],
    [['--source', 'ec2', '--source-filter', 'vpc-id'], /--source-filter expects NAME=VALUE/],
    [['--source', 'ec2', '--source-filter', 'vpc-id=a,'], /--source-filter expects NAME=VALUE/],
    [['--source', 'ec2', '--source-interval', '0'], /--source-interval expects seconds \(at least 1\)/],
    [['--source', 'ec2', '--source-jitter', 'soon'], /--source-jitter expects seconds/],
    [['--source', 'ec2', '--source-state', ''], /--source-state expects a file path/],
    [['--source', 'ec2', '--host-id', '-bad'], /--host-id expects 1 to 128 letters.*got '-bad'/],
    [['--source-filter', 'vpc-id=vpc-1', '--state', 'a.json'], /--source-filter goes with --source ec2/],
  ])('host mode %j: usage error', async (argv, message) => {
    const r = await usage('--mode', 'host', ...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('sgfw config check finds a bad --source or --source-filter in the file, as run would at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-source-conf-'));
    try {
      const conf = join(dir, 'sgfw.conf');
      writeFileSync(conf, ['[run]', 'source = ec2:EU WEST', 'source-filter = vpc-id', 'source-filter = group-name=web', 'source-filter = tag:env=prod', ''].join('\n'));
      const io = captureIo();
      expect(await runCli(['config', 'check', conf], io, [runCommand, configCommand], { env: {}, defaultConfigFile: join(dir, 'none.conf') })).toBe(2);
      expect(io.err().split('\n')).toEqual([
        `${conf}:2: --source expects ec2 or ec2:REGION (e.g. ec2:eu-west-1), got 'ec2:EU WEST'`,
        `${conf}:3: --source-filter expects NAME=VALUE[,VALUE…] (e.g. vpc-id=vpc-0abc, tag:env=prod), got 'vpc-id'`,
        expect.stringMatching(new RegExp(`^${conf}:4: --source-filter 'group-name': the filter goes to DescribeSecurityGroups`)),
        '',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --source with --mode monitor', async () => {
    const r = await usage('--mode', 'monitor', '--interface', 'lo', '--source', 'ec2');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--source goes with --mode host or inline/);
  });

  it('names the flags in --help', async () => {
    const io = captureIo();
    expect(await runCli(['run', '--help'], io, [runCommand])).toBe(0);
    for (const flag of ['--source ec2[:REGION]', '--source-filter', '--source-interval', '--source-jitter', '--source-state', 'AWS_ENDPOINT_URL_EC2']) expect(io.out()).toContain(flag);
  });
});

describe('the AWS SDK is loaded only with --source', () => {
  it('no other command pays for it; --source ec2 does load it', () => {
    // A module hook that refuses @aws-sdk/client-ec2: a command that loads it fails with that error.
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-sdk-hook-'));
    try {
      writeFileSync(join(dir, 'hooks.mjs'), "export async function resolve(s, c, next) { if (s === '@aws-sdk/client-ec2') throw new Error('the AWS SDK was loaded'); return next(s, c); }\n");
      writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
      const sgfw = (...args: string[]) => spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), join(process.cwd(), 'bin', 'sgfw.js'), ...args], {
        encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' },
      });
      const help = sgfw('run', '--help');
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toContain('--source');
      const usage = sgfw('run', '--mode', 'host', '--source', 'ec2', '--state', 'a.json');
      expect(usage.status).toBe(2);
      expect(usage.stderr).not.toContain('the AWS SDK was loaded');
      const source = sgfw('run', '--mode', 'host', '--source', 'ec2', '--source-state', join(dir, 's.json'), '--host-id', 'h1');
      expect(source.status).not.toBe(0);
      expect(source.stderr).toContain('the AWS SDK was loaded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});


describe('sgfw run --source ec2: the model, from an endpoint found as AWS tools find it', () => {
  const VPC = 'vpc-0a1b2c3d4e5f60718';
  const HOST = '10.0.9.10';
  const credentials = { accessKeyId: 'AKIAQWERTYUIOPASDFGH', secretAccessKey: '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' };
  const ENV = ['AWS_ENDPOINT_URL_EC2', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_MAX_ATTEMPTS', 'AWS_EC2_METADATA_DISABLED'];
  const saved = new Map(ENV.map((k) => [k, process.env[k]]));
  let service: SecurityGroupService;
  let server: ApiServer;
  let dir: string;
  let web = '';
  let sport = 31000;

  const allows = (live: LiveModel, dport: number): boolean => {
    const frame = buildFrame({ src: '192.0.2.7', dst: HOST, proto: 'tcp', sport: sport++, dport, flags: 'S' });
    return isAllowed(live.dataplane.judge(LinkType.ETHERNET, frame, 0, frame.length, Date.now()));
  };
  const metric = async (live: LiveModel, name: string): Promise<number> => {
    const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(await renderExposition(live.metricFamilies()));
    if (m === null) throw new Error(`no ${name}`);
    return Number(m[1]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sgfw-run-source-'));
    service = new SecurityGroupService({ accountId: '111122223333' });
    server = await startApiServer({ service, credentials: staticCredentials([credentials]), listen: { host: '127.0.0.1', port: 0 } });
    web = service.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: VPC }).GroupId;
    service.authorizeSecurityGroupIngress({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    service.registerNetworkInterface({ VpcId: VPC, PrivateIpAddress: HOST, Groups: [web] });
    service.registerNetworkInterface({ VpcId: VPC, PrivateIpAddress: '10.0.9.20', Groups: [web] });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EC2: server.url, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_MAX_ATTEMPTS: '1', AWS_EC2_METADATA_DISABLED: 'true',
    });
  });

  afterAll(async () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enforces this host\'s interface, follows a change at the next poll, and reports staleness while EC2 is away', async () => {
    const { log, lines } = capturedLogger();
    const flags = sourceFlags('ec2', { filters: [`vpc-id=${VPC}`], interval: '3600', jitter: '0', stateFile: join(dir, 'source.json'), hostId: 'h1' })!;
    const live = await sourceModel(flags, log, () => new Set([HOST]));
    try {
      expect([...live.view.interfaces()].map((i) => i.privateIpv4)).toEqual([[HOST]]);
      expect(live.readyNote).toBe(`, ec2:us-east-1 [vpc-id=${VPC}] as host h1`);
      expect(lines().find((l) => l.event === 'source-connected')).toMatchObject({ endpoint: server.url, region: 'us-east-1', hostId: 'h1' });
      expect(allows(live, 443)).toBe(true);
      expect(allows(live, 8080)).toBe(false);
      service.authorizeSecurityGroupIngress({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] });
      await live.hangup();
      expect(allows(live, 8080)).toBe(true);
      expect(lines().find((l) => l.event === 'model-change')).toMatchObject({ groupsChanged: [web] });
      expect(await metric(live, 'sgfw_source_connected')).toBe(1);
      expect(await metric(live, 'sgfw_source_changes_total')).toBe(1);
      expect(await metric(live, 'sgfw_source_interfaces')).toBe(1);

      const port = Number(new URL(server.url).port);
      await server.close();
      await live.hangup();
      expect(allows(live, 8080)).toBe(true);
      expect(await metric(live, 'sgfw_source_connected')).toBe(0);
      expect(await metric(live, 'sgfw_source_poll_failures_total')).toBe(1);
      const status = runStatus(statusSource(live, 'host', Date.now()));
      expect(status.ec2).toMatchObject({ region: 'us-east-1', endpoint: server.url, hostId: 'h1', connected: false, error: expect.stringMatching(/^EC2 endpoint unreachable/) });
      expect(formatStatus(status as unknown as Record<string, unknown>)).toMatch(/^ec2: us-east-1 at http:\/\/127\.0\.0\.1:\d+ as host h1, polls failing \(EC2 endpoint unreachable/m);
      expect(lines().filter((l) => l.event === 'source-stale')).toHaveLength(1);

      server = await startApiServer({ service, credentials: staticCredentials([credentials]), listen: { host: '127.0.0.1', port } });
      await live.hangup();
      expect(await metric(live, 'sgfw_source_connected')).toBe(1);
      expect(await metric(live, 'sgfw_source_stale_seconds')).toBe(0);
      expect(lines().filter((l) => l.event === 'source-recovered')).toHaveLength(1);
    } finally {
      await live.close();
    }
    expect(lines().some((l) => l.event === 'source-stopped')).toBe(true);
  });

  it('without a region anywhere, says where to give one', async () => {
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      const { log } = capturedLogger();
      await expect(sourceModel(sourceFlags('ec2', { filters: [], stateFile: join(dir, 'x.json'), hostId: 'h1' })!, log)).rejects.toThrow(/no region; give --source ec2:REGION, or set AWS_REGION/);
    } finally {
      process.env.AWS_REGION = region;
    }
  });
});
