// `sgfw run --mode host --source ec2` end to end (issue 17): a host that follows an "AWS" account.
//
// Where things live: a "control" namespace runs `sgfw serve` as the EC2 endpoint on its LAN address
// (the aws CLI and curl run there too); a host namespace runs `sgfw run --mode host --source ec2`
// with AWS_ENDPOINT_URL_EC2 pointing at it and static credentials in the environment, as any AWS tool
// takes them; a client namespace connects to the host. All three are ports of one bridge
// (support/lan.ts). The host has two addresses: its data address, the private address of the
// interface registered in the account (so the source enforces that interface: it is one of the
// host's own), and a management address in the control subnet, which no interface holds: the
// source's polls go out from there, and the host's own sgfw judges them "unmanaged".
//
// Scenario: the interface's group admits nothing at first; a rule added with the aws CLI opens TCP
// 5432 within a poll. With the endpoint killed the host keeps enforcing (5432 open, 6000 closed),
// reports stale on /metrics, in its log once and in `sgfw status`; the endpoint back (a rule for
// 6000 added meanwhile), it catches up within a poll and logs the recovery once. Stopped and started
// again while the endpoint is down, it starts from the saved listing. Needs root; skipped only
// outside CI when not root.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { QUEUE_CHAIN } from '../../../src/live/queue-rules.js';
import { createCredentials } from '../../support/serve-process.js';
import { inNs, stopProcess, tcpConnect, waitFor } from '../host-mode/netns.js';
import { awsEc2, type AwsEc2 } from '../../support/aws-cli.js';
import { createLan, destroyLan, type Lan } from '../support/lan.js';
import { SGFW_ENTRY } from '../support/sgfw-host.js';
import { tcpEchoServers } from '../support/traffic.js';
import { eventually } from '../../support/eventually.js';

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const tag = `e${process.pid % 100000}`;
const CTL = '10.94.0.1';
const HOST_DATA = '10.94.1.10';
const HOST_MGMT = '10.94.0.10';
const CLIENT = '10.94.1.20';
/** inside the control namespace: no other helper's port can collide there */
const ENDPOINT = `http://${CTL}:8080`;
const QUEUE = 17;
const METRICS = '127.0.0.1:9464';

let dir = '';
let lan: Lan | null = null;
let keys: { accessKeyId: string; secretAccessKey: string } | null = null;
let serve: ChildProcess | null = null;
let host: { child: ChildProcess; err: () => string } | null = null;
const children: ChildProcess[] = [];
let aws: AwsEc2 | null = null;
let group = '';

const ns = (name: string): string => lan!.ns[name]!;

async function startServe(): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns('ctl'), process.execPath, SGFW_ENTRY, 'serve', '--state-dir', join(dir, 'api'), '--listen', `${CTL}:8080`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume();
  await waitFor(child, 'stderr', 'listening on', 20_000);
  serve = child;
}

async function startHost(readyText = 'SIGINT/SIGTERM to stop'): Promise<void> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    AWS_ENDPOINT_URL_EC2: ENDPOINT,
    AWS_ACCESS_KEY_ID: keys!.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys!.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  };
  const args = [
    SGFW_ENTRY, 'run', '--mode', 'host', '--queue', String(QUEUE), '--source', 'ec2', '--source-interval', '1', '--source-jitter', '0',
    '--source-state', join(dir, 'source-state.json'), '--host-id', 'h1', '--metrics', METRICS, '--log-level', 'info', '--drop-log-rate', '0',
  ];
  const child = spawn('ip', ['netns', 'exec', ns('h'), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  host = { child, err: () => err };
  try {
    await waitFor(child, 'stderr', readyText, 30_000);
  } catch (e) {
    throw new Error(`sgfw run in ${ns('h')} did not start: ${(e as Error).message}\nstderr: ${err}`);
  }
}

function logRecords(): Record<string, any>[] {
  return host!.err().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
}

function metric(name: string): number {
  const text = inNs(ns('h'), 'curl', ['-s', '--max-time', '3', `http://${METRICS}/metrics`]);
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text);
  if (m === null) throw new Error(`no ${name} in:\n${text}`);
  return Number(m[1]);
}


async function awsOk(...args: string[]): Promise<any> {
  const r = await aws!(...args);
  if (r.code !== 0) throw new Error(`aws ec2 ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.json;
}

const connect = (port: number): Promise<string> => tcpConnect(ns('c'), HOST_DATA, port, CLIENT, 1500);
const allow = (port: number): Promise<unknown> => awsOk('authorize-security-group-ingress', '--group-id', group, '--ip-permissions',
  JSON.stringify([{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '10.94.1.0/24' }] }]));

describe.runIf(enabled)('a host following an EC2 endpoint (sgfw serve) with --source ec2', () => {
  beforeAll(async () => {
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'sgfw-ec2-source-e2e-'));
    lan = createLan('es', tag, [
      { name: 'ctl', addresses: [`${CTL}/24`] },
      { name: 'h', addresses: [`${HOST_DATA}/24`, `${HOST_MGMT}/24`] },
      { name: 'c', addresses: [`${CLIENT}/24`] },
    ], ['10.94.0.0/24', '10.94.1.0/24']);
    keys = createCredentials(join(dir, 'api'));
    await startServe();
    aws = awsEc2(ENDPOINT, keys, { netns: ns('ctl') });
    group = (await awsOk('create-security-group', '--group-name', 'db', '--description', 'database hosts')).GroupId;
    // The host's interface, with its data address: sgfw's own RegisterNetworkInterface (the aws CLI
    // has no model for it), signed by curl --aws-sigv4.
    const xml = inNs(ns('ctl'), 'curl', ['-sS', '--fail-with-body', '--aws-sigv4', 'aws:amz:us-east-1:ec2', '--user', `${keys.accessKeyId}:${keys.secretAccessKey}`,
      `${ENDPOINT}/`, '-d', 'Action=RegisterNetworkInterface', '-d', 'Version=2016-11-15', '-d', `PrivateIpAddress=${HOST_DATA}`, '-d', `SecurityGroupId.1=${group}`]);
    expect(xml).toMatch(/<networkInterfaceId>eni-/);
    children.push(await tcpEchoServers(ns('h'), [5432, 6000]));
    await startHost();
  }, 120_000);

  afterAll(async () => {
    if (host) await stopProcess(host.child, 'SIGTERM');
    await Promise.allSettled([...children, ...(serve ? [serve] : [])].map((c) => stopProcess(c, 'SIGKILL')));
    if (lan) destroyLan(lan);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('enforces the interface holding its address, and a rule added with the aws CLI opens the port within a poll', async () => {
    expect(host!.err()).toContain('1 managed interfaces');
    expect(logRecords().find((l) => l.event === 'source-connected')).toMatchObject({ endpoint: ENDPOINT, region: 'us-east-1', hostId: 'h1' });
    expect(metric('sgfw_source_connected')).toBe(1);
    expect(await connect(5432)).toBe('timeout');
    await allow(5432);
    expect(await eventually(async () => (await connect(5432)) === 'connected' && 'connected', 10_000, 'the client reaches 5432')).toBe('connected');
    expect(logRecords().some((l) => l.event === 'model-change' && (l.groupsChanged ?? []).includes(group))).toBe(true);
    expect(await connect(6000)).toBe('timeout');
  }, 60_000);

  it('with the endpoint killed it keeps enforcing and reports stale; back, it catches up within a poll', async () => {
    await stopProcess(serve!, 'SIGKILL');
    serve = null;
    await eventually(() => metric('sgfw_source_connected') === 0, 10_000, 'the source notices');
    expect(await connect(5432)).toBe('connected');
    expect(await connect(6000)).toBe('timeout');
    const stale = metric('sgfw_source_stale_seconds');
    await new Promise((r) => setTimeout(r, 1500));
    expect(metric('sgfw_source_stale_seconds')).toBeGreaterThan(stale + 1);
    expect(metric('sgfw_source_poll_failures_total')).toBeGreaterThan(0);
    const status = inNs(ns('h'), process.execPath, [SGFW_ENTRY, 'status', '--metrics', METRICS]);
    expect(status).toMatch(/^ec2: us-east-1 at http:\/\/10\.94\.0\.1:8080 as host h1, polls failing \(EC2 endpoint unreachable/m);
    expect(logRecords().filter((l) => l.event === 'source-stale')).toHaveLength(1);

    await startServe();
    await allow(6000);
    expect(await eventually(async () => (await connect(6000)) === 'connected' && 'connected', 10_000, 'the client reaches 6000')).toBe('connected');
    expect(metric('sgfw_source_connected')).toBe(1);
    expect(metric('sgfw_source_stale_seconds')).toBe(0);
    expect(logRecords().filter((l) => l.event === 'source-recovered')).toHaveLength(1);
    expect(logRecords().filter((l) => l.event === 'source-stale')).toHaveLength(1);
  }, 90_000);

  it('stopped and started while the endpoint is down, it starts from the saved listing', async () => {
    expect(await stopProcess(host!.child, 'SIGTERM')).toBe(0);
    expect(inNs(ns('h'), 'iptables', ['-w', '-S'])).not.toContain(QUEUE_CHAIN);
    await stopProcess(serve!, 'SIGKILL');
    serve = null;
    await startHost();
    expect(host!.err()).toContain('EC2 unreachable)');
    expect(logRecords().some((l) => l.event === 'source-boot-from-file')).toBe(true);
    expect(await connect(5432)).toBe('connected');
    expect(await connect(6000)).toBe('connected');
    expect(await connect(22)).toBe('timeout');
    expect(metric('sgfw_source_connected')).toBe(0);
  }, 90_000);
});
