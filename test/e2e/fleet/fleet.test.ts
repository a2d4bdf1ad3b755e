// A fleet on one machine (issue 9): three hosts as network namespaces, each running
// `sgfw run --mode host --store etcds://… --host-id hN` inside its namespace, one set of groups kept
// by two `sgfw serve --store` in a 3-member etcd, managed with the real `aws` CLI. The etcd is as
// production runs it (issue 19): TLS for clients and peers, client certificates required, auth on,
// and each client its own etcd user with the README's roles (the API servers read and write the
// prefix; an agent reads it and writes only its own status key). Agents hA and hB log in with a
// password file and a certificate, hC with its certificate alone (its CN is its user); one API
// server takes its flags from the command line, the other from a config file and
// SGFW_STORE_PASSWORD. No password shows in any log.
//
// Where things live: a "control" namespace holds the etcd members (scripts/etcd-cluster.sh --tls
// with certificates from scripts/etcd-certs.sh, base port 25300, run inside it; a wrapper given as
// ETCD adds the control address to each member's client URLs beside the namespace's loopback) and
// both API servers, which listen on its loopback,
// where the `aws` CLI runs too. Every namespace is a port of one Linux bridge in a namespace of its
// own (support/lan.ts). Each host has two addresses on its link: a data address, the one its
// interface is registered with, and a management address in the control subnet, which no interface
// holds: the agent's etcd traffic goes out from there, so the host's own sgfw judges it
// "unmanaged" and lets it pass whatever the groups say. The root namespace sends nothing.
//
// Scenario: A's interface is in group db, whose rule admits TCP 5432 from members of group
// clients; C's interface is in clients from the start, B's is not. A membership change through the
// aws CLI (modify-network-interface-attribute --groups on B's interface, on the second API server)
// opens 5432 on A for B: a real connect fails before and succeeds after. With every etcd member
// stopped, traffic is still judged by the last state (B still gets in on 5432, not on 22) and
// /metrics shows the staleness growing; started again, the agents reconnect, and a change made then
// reaches A, which reports the newest revision. SIGTERM stops each agent: its queue rules and its
// status key go. The interfaces are made with `aws ec2 create-network-interface` in a subnet and
// placed on their hosts by the `sgfw:host-id` tag (issue 17), as the README's walk-through does.
// Needs root; skipped only outside CI when not root.
import { execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { QUEUE_CHAIN } from '../../../src/live/queue-rules.js';
import { agentRoleCommands, apiRoleCommands, enableAuthCommands, statusRoleCommands, userCommands, userFiles, type EtcdctlCommand, type EtcdUser } from '../../support/etcd-tls-cluster.js';
import { createCredentials } from '../../support/serve-process.js';
import { inNs, spawnInNs, stopProcess, tcpConnect, waitFor } from '../host-mode/netns.js';
import { awsEc2, type AwsEc2 } from '../../support/aws-cli.js';
import { createLan, destroyLan, type Lan } from '../support/lan.js';
import { SGFW_ENTRY } from '../support/sgfw-host.js';
import { tcpEchoServers } from '../support/traffic.js';
import { eventually } from '../../support/eventually.js';

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CLUSTER_SCRIPT = join(ROOT, 'scripts', 'etcd-cluster.sh');
const CERTS_SCRIPT = join(ROOT, 'scripts', 'etcd-certs.sh');
const tag = `f${process.pid % 100000}`;
const BASE_PORT = 25300;
/** the control namespace's address on the LAN: etcd's client URLs */
const CTL = '10.93.0.1';
const STORE = `etcds://${[0, 1, 2].map((i) => `${CTL}:${BASE_PORT + i}`).join(',')}`;
const PREFIX = '/sgfw/';
const QUEUE = 13;
const METRICS = '127.0.0.1:9464';

interface FleetHost {
  readonly name: 'a' | 'b' | 'c';
  readonly hostId: string;
  /** the address its interface is registered with */
  readonly data: string;
  /** its management address in the control subnet (no interface holds it) */
  readonly mgmt: string;
}
const HOSTS: readonly FleetHost[] = [
  { name: 'a', hostId: 'hA', data: '10.93.1.10', mgmt: '10.93.0.10' },
  { name: 'b', hostId: 'hB', data: '10.93.1.20', mgmt: '10.93.0.20' },
  { name: 'c', hostId: 'hC', data: '10.93.1.30', mgmt: '10.93.0.30' },
];
const [A, B, C] = HOSTS as [FleetHost, FleetHost, FleetHost];

let dir = '';
let lan: Lan | null = null;
let clusterDir = '';
let certs = '';
let clusterStarted = false;
/** etcd users: root, sgfw-api, sgfw-agent-hA … (each a password, its file, and a certificate with CN=user) */
const users: Record<string, EtcdUser> = {};
const children: ChildProcess[] = [];
const servers: { child: ChildProcess; url: string; err: () => string }[] = [];
const agents = new Map<string, { child: ChildProcess; err: () => string }>();
const groups: Record<string, string> = {};
const enis: Record<string, string> = {};
let aws1: AwsEc2 | null = null;
let aws2: AwsEc2 | null = null;

const ns = (name: string): string => lan!.ns[name]!;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, encoding: 'utf8', timeout }, (e, stdout, stderr) => {
      if (e) reject(new Error(`${cmd} ${args.join(' ')}: ${e.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** scripts/etcd-cluster.sh inside the control namespace, with the wrapper that adds the control address (TLS: --tls at the first start). */
function cluster(command: 'start' | 'stop', ...extra: string[]): Promise<string> {
  const env = { ...process.env, ETCD: join(dir, 'etcd-on-control-address.sh') };
  return run('ip', ['netns', 'exec', ns('ctl'), 'bash', CLUSTER_SCRIPT, command, clusterDir, ...extra], env);
}

/**
 * An etcd that listens on the control address too: the cluster script gives each member
 * 127.0.0.1:PORT; this adds CTL:PORT to its client URLs (the namespace's loopback is not
 * reachable from the hosts).
 */
function writeEtcdWrapper(): void {
  const file = join(dir, 'etcd-on-control-address.sh');
  writeFileSync(
    file,
    `#!/usr/bin/env bash
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --listen-client-urls|--advertise-client-urls) args+=("$1" "$2,\${2%%://*}://${CTL}:\${2##*:}"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
exec /usr/bin/etcd "\${args[@]}"
`,
  );
  chmodSync(file, 0o755);
}

/** etcdctl in the control namespace as root (its certificate: CN=root), `input` on stdin. */
function etcdctlText(command: EtcdctlCommand): Promise<string> {
  const argv = ['netns', 'exec', ns('ctl'), 'etcdctl', `--endpoints=https://127.0.0.1:${BASE_PORT}`, `--cacert=${join(certs, 'ca.pem')}`,
    `--cert=${join(certs, 'root.pem')}`, `--key=${join(certs, 'root.key')}`, '--command-timeout=3s', ...command.args];
  return new Promise((resolve, reject) => {
    const child = execFile('ip', argv, { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', timeout: 30_000 }, (e, stdout, stderr) => {
      if (e) reject(new Error(`etcdctl ${command.args.join(' ')}: ${e.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(command.input ?? '');
  });
}

/** etcdctl in the control namespace, JSON out. */
async function etcdctl(...args: string[]): Promise<any> {
  return JSON.parse(await etcdctlText({ args: [...args, '-w', 'json'] }));
}

/** The README's users and roles: sgfw-api for the API servers, sgfw-agent-<host> for each agent; then auth on. */
async function grantFleet(): Promise<void> {
  const commands = [...apiRoleCommands(PREFIX), ...agentRoleCommands(PREFIX)];
  users['sgfw-api'] = userFiles(dir, 'sgfw-api');
  commands.push(...userCommands('sgfw-api', users['sgfw-api'].password, ['sgfw-api']));
  for (const h of HOSTS) {
    const name = `sgfw-agent-${h.hostId}`;
    users[name] = userFiles(dir, name);
    commands.push(...statusRoleCommands(PREFIX, h.hostId), ...userCommands(name, users[name].password, ['sgfw-agent', `sgfw-status-${h.hostId}`]));
  }
  users.root = userFiles(dir, 'root');
  commands.push(...enableAuthCommands(users.root.password));
  for (const c of commands) await etcdctlText(c);
}

/** Every password made, to check that none is ever logged. */
const passwords = (): string[] => Object.values(users).map((u) => u.password);

/** The revision of the last API call's transaction (every call rewrites the head key). */
async function headRevision(): Promise<number> {
  const r = await etcdctl('get', `${PREFIX}head`);
  return Number(r.kvs[0].mod_revision);
}

/** status/<host-id> keys: each agent's reported revision. */
async function statusKeys(): Promise<Record<string, number>> {
  const r = await etcdctl('get', '--prefix', `${PREFIX}status/`);
  const out: Record<string, number> = {};
  for (const kv of r.kvs ?? []) {
    const value = JSON.parse(Buffer.from(kv.value, 'base64').toString()) as { hostId: string; revision: number };
    out[value.hostId] = value.revision;
  }
  return out;
}

/**
 * `sgfw serve --store etcds://…` as etcd user sgfw-api: the first with every flag on the command
 * line, the second from a config file, its password from SGFW_STORE_PASSWORD.
 */
async function startServe(stateDir: string, i: number): Promise<{ child: ChildProcess; url: string; err: () => string }> {
  const api = users['sgfw-api']!;
  const args = [SGFW_ENTRY, 'serve', '--state-dir', stateDir, '--listen', '127.0.0.1:0'];
  let env: NodeJS.ProcessEnv = process.env;
  if (i === 0) {
    args.push('--config', 'none', '--store', STORE, '--store-ca', join(certs, 'ca.pem'), '--store-cert', api.cert, '--store-key', api.key,
      '--store-user', api.name, '--store-password-file', api.passwordFile);
  } else {
    const conf = join(dir, 'serve.conf');
    writeFileSync(conf, ['[serve]', `store = ${STORE}`, `store-ca = ${join(certs, 'ca.pem')}`, `store-cert = ${api.cert}`, `store-key = ${api.key}`, `store-user = ${api.name}`, ''].join('\n'));
    args.push('--config', conf);
    env = { ...process.env, SGFW_STORE_PASSWORD: api.password };
  }
  const child = spawnInNs(ns('ctl'), process.execPath, args, env);
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  await waitFor(child, 'stderr', ' (store ', 20_000).catch((e: Error) => {
    throw new Error(`sgfw serve did not start: ${e.message}`);
  });
  const url = /listening on (http:\/\/\S+)/.exec(err)?.[1];
  if (url === undefined) throw new Error(`sgfw serve: no URL in ${err}`);
  return { child, url, err: () => err };
}

/** An agent as etcd user sgfw-agent-<host>: hA and hB by password and certificate, hC by its certificate alone. */
async function startAgent(h: FleetHost): Promise<void> {
  const user = users[`sgfw-agent-${h.hostId}`]!;
  const args = [
    SGFW_ENTRY, 'run', '--config', 'none', '--mode', 'host', '--queue', String(QUEUE), '--store', STORE, '--host-id', h.hostId,
    '--store-ca', join(certs, 'ca.pem'), '--store-cert', user.cert, '--store-key', user.key,
    ...(h === C ? [] : ['--store-user', user.name, '--store-password-file', user.passwordFile]),
    '--agent-state', join(dir, `agent-${h.hostId}.json`), '--metrics', METRICS, '--log-level', 'info',
    // A judges on two worker threads (the agent's changes reach both through the API's apply path), B and C on one
    '--workers', h === A ? '2' : '1',
  ];
  const child = spawnInNs(ns(h.name), process.execPath, args);
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  agents.set(h.hostId, { child, err: () => err });
  try {
    await waitFor(child, 'stderr', 'SIGINT/SIGTERM to stop', 30_000);
  } catch (e) {
    throw new Error(`sgfw run in ${ns(h.name)} did not start: ${(e as Error).message}\nstderr: ${err}`);
  }
  if (h === A) expect(err).toContain(`NFQUEUE ${QUEUE}:${QUEUE + 1} (2 workers)`);
}

/** The agent's JSON log records (the ready line and other plain lines skipped). */
function logRecords(hostId: string): Record<string, any>[] {
  return agents
    .get(hostId)!
    .err()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/** One sample of the host's /metrics, scraped inside its namespace (loopback: never queued). */
function metric(h: FleetHost, name: string): number {
  const text = inNs(ns(h.name), 'curl', ['-s', '--max-time', '3', `http://${METRICS}/metrics`]);
  const m = new RegExp(`^${name}\\{host_id="${h.hostId}"\\} (\\S+)$`, 'm').exec(text);
  if (m === null) throw new Error(`no ${name} for ${h.hostId} in:\n${text}`);
  return Number(m[1]);
}


/** An aws call, retried while the API answers 503 (no etcd quorum yet). */
async function awsOk(aws: AwsEc2, ...args: string[]): Promise<any> {
  const r = await eventually(async () => {
    const c = await aws(...args);
    if (c.code !== 0 && /ServiceUnavailable|503/.test(c.stderr)) return false;
    return c;
  }, 30_000, `aws ec2 ${args[0]}`, 200);
  if (r.code !== 0) throw new Error(`aws ec2 ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.json;
}

const connect = (from: FleetHost, to: FleetHost, port: number, ms = 1500): Promise<string> => tcpConnect(ns(from.name), to.data, port, from.data, ms);

describe.runIf(enabled)('a fleet of namespaces on one 3-member etcd with TLS, client certificates and auth', () => {
  beforeAll(async () => {
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    expect(existsSync('/usr/bin/etcd'), 'Debian etcd-server is not installed').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'sgfw-fleet-e2e-'));
    clusterDir = join(dir, 'etcd');
    certs = join(dir, 'certs');
    await run('bash', [CERTS_SCRIPT, certs, '--san', CTL, 'sgfw-api', ...HOSTS.map((h) => `sgfw-agent-${h.hostId}`)]);
    writeEtcdWrapper();
    lan = createLan('sgfl', tag, [
      { name: 'ctl', addresses: [`${CTL}/24`] },
      ...HOSTS.map((h) => ({ name: h.name, addresses: [`${h.data}/24`, `${h.mgmt}/24`] })),
    ], ['10.93.0.0/24']);
    clusterStarted = true; // from here on afterAll stops whatever members did start
    await cluster('start', String(BASE_PORT), '--tls', certs);
    await grantFleet();

    // Two API servers side by side on the store, each with its own key.
    const keys = [0, 1].map((i) => createCredentials(join(dir, `api-${i}`)));
    for (const i of [0, 1]) servers.push(await startServe(join(dir, `api-${i}`), i));
    aws1 = awsEc2(servers[0]!.url, keys[0]!, { netns: ns('ctl') });
    aws2 = awsEc2(servers[1]!.url, keys[1]!, { netns: ns('ctl') });
    // The hosts' data addresses are a subnet of a VPC, as in EC2 (issue 17).
    const vpc = (await awsOk(aws1, 'create-vpc', '--cidr-block', '10.93.0.0/16')).Vpc.VpcId as string;
    const subnet = (await awsOk(aws1, 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.93.1.0/24')).Subnet.SubnetId as string;
    for (const name of ['db', 'web', 'clients']) {
      groups[name] = (await awsOk(aws1, 'create-security-group', '--group-name', name, '--description', `fleet ${name}`, '--vpc-id', vpc)).GroupId;
    }
    await awsOk(aws1, 'authorize-security-group-ingress', '--group-id', groups.db!, '--ip-permissions',
      JSON.stringify([{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: groups.clients }] }]));

    // Each host's interface made with EC2's own actions through the second API server, and placed
    // on its host by the sgfw:host-id tag: A's and B's by create-tags, C's at creation.
    const hostGroups = [groups.db!, groups.web!, groups.clients!];
    for (const [i, h] of HOSTS.entries()) {
      const placeNow = h === C ? ['--tag-specifications', `ResourceType=network-interface,Tags=[{Key=sgfw:host-id,Value=${h.hostId}}]`] : [];
      enis[h.hostId] = (await awsOk(aws2, 'create-network-interface', '--subnet-id', subnet, '--groups', hostGroups[i]!,
        '--private-ip-address', h.data, ...placeNow)).NetworkInterface.NetworkInterfaceId;
      if (h !== C) await awsOk(aws2, 'create-tags', '--resources', enis[h.hostId]!, '--tags', `Key=sgfw:host-id,Value=${h.hostId}`);
    }

    children.push(await tcpEchoServers(ns('a'), [22, 5432, 6000]));
    await Promise.all(HOSTS.map((h) => startAgent(h)));
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([...agents.values()].map((a) => stopProcess(a.child, 'SIGTERM')));
    await Promise.allSettled(children.map((c) => stopProcess(c, 'SIGKILL')));
    if (clusterStarted) await run('bash', [CLUSTER_SCRIPT, 'stop', clusterDir]).catch(() => undefined);
    if (lan) destroyLan(lan);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('each host enforces the interface tagged with its host id, following etcd', async () => {
    for (const h of HOSTS) {
      expect(agents.get(h.hostId)!.err(), h.hostId).toContain(`1 managed interfaces`);
      expect(agents.get(h.hostId)!.err(), h.hostId).toContain(`fleet host ${h.hostId} on ${STORE} at revision`);
      expect(metric(h, 'sgfw_fleet_connected'), h.hostId).toBe(1);
      expect(metric(h, 'sgfw_fleet_applied_revision'), h.hostId).toBeGreaterThan(0);
      const connected = logRecords(h.hostId).find((l) => l.event === 'fleet-connected');
      expect(connected, h.hostId).toMatchObject({ hostId: h.hostId, interfaces: [enis[h.hostId]] });
    }
    const status = await eventually(async () => {
      const s = await statusKeys();
      return HOSTS.every((h) => s[h.hostId] !== undefined) && s;
    }, 15_000, 'every agent reports its revision');
    for (const h of HOSTS) expect(status[h.hostId], h.hostId).toBeGreaterThan(0);
    // C is a member of clients, B is not: only C reaches A's 5432.
    expect(await connect(C, A, 5432)).toBe('connected');
    expect(await connect(B, A, 5432)).toBe('timeout');
    expect(await connect(C, A, 22)).toBe('timeout');
  }, 60_000);

  it('a membership change through the aws CLI opens the port on the host whose rule references the group', async () => {
    await awsOk(aws2!, 'modify-network-interface-attribute', '--network-interface-id', enis[B.hostId]!, '--groups', groups.web!, groups.clients!);
    const committed = await headRevision();
    await eventually(() => metric(A, 'sgfw_fleet_applied_revision') >= committed, 15_000, 'A applies the membership change');
    expect(await eventually(async () => (await connect(B, A, 5432)) === 'connected' && 'connected', 10_000, 'B reaches A:5432')).toBe('connected');
    expect(logRecords(A.hostId).some((l) => l.event === 'model-change' && l.revision >= committed)).toBe(true);
    // The rule names 5432 only.
    expect(await connect(B, A, 6000)).toBe('timeout');
  }, 60_000);

  it('with every etcd member stopped the hosts judge by the last state and grow stale; back, they follow again', async () => {
    await cluster('stop');
    try {
      await eventually(() => HOSTS.every((h) => metric(h, 'sgfw_fleet_connected') === 0), 20_000, 'every agent notices');
      expect(await connect(B, A, 5432)).toBe('connected');
      expect(await connect(C, A, 5432)).toBe('connected');
      expect(await connect(B, A, 22)).toBe('timeout');
      const stale = metric(A, 'sgfw_fleet_stale_seconds');
      await new Promise((r) => setTimeout(r, 1500));
      expect(metric(A, 'sgfw_fleet_stale_seconds')).toBeGreaterThan(stale + 1);
      expect(metric(A, 'sgfw_fleet_reconnects_total')).toBeGreaterThan(0);
      expect(logRecords(A.hostId).some((l) => l.event === 'fleet-disconnected' && l.level === 40)).toBe(true);
    } finally {
      await cluster('start');
    }
    await eventually(() => HOSTS.every((h) => metric(h, 'sgfw_fleet_connected') === 1 && metric(h, 'sgfw_fleet_stale_seconds') === 0), 30_000, 'every agent reconnects');
    const before = await headRevision();
    // Each agent reconciles after reconnecting: it reports at least the newest state revision.
    await eventually(async () => {
      const s = await statusKeys();
      return HOSTS.every((h) => (s[h.hostId] ?? 0) >= before && metric(h, 'sgfw_fleet_applied_revision') >= before);
    }, 20_000, 'every agent current');
    for (const h of HOSTS) expect(logRecords(h.hostId).some((l) => l.event === 'fleet-reconnected'), h.hostId).toBe(true);

    // A change made now reaches A: the newest revision, in force for the next connection.
    await awsOk(aws1!, 'authorize-security-group-ingress', '--group-id', groups.db!, '--ip-permissions',
      JSON.stringify([{ IpProtocol: 'tcp', FromPort: 6000, ToPort: 6000, UserIdGroupPairs: [{ GroupId: groups.clients }] }]));
    const newest = await headRevision();
    expect(newest).toBeGreaterThan(before);
    await eventually(async () => metric(A, 'sgfw_fleet_applied_revision') >= newest && ((await statusKeys())[A.hostId] ?? 0) >= newest, 15_000, 'A reports the newest revision');
    expect(await connect(B, A, 6000)).toBe('connected');
    expect(await connect(B, A, 22)).toBe('timeout');
  }, 120_000);

  it('no password is in any log', () => {
    const logs = [...servers.map((s) => s.err()), ...[...agents.values()].map((a) => a.err())].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const p of passwords()) expect(logs).not.toContain(p);
  });

  it('SIGTERM stops each agent: queue rules removed, status key gone, state file kept', async () => {
    for (const h of HOSTS) {
      const a = agents.get(h.hostId)!;
      expect(await stopProcess(a.child, 'SIGTERM'), h.hostId).toBe(0);
      expect(inNs(ns(h.name), 'iptables', ['-w', '-S']), h.hostId).not.toContain(QUEUE_CHAIN);
      expect(logRecords(h.hostId).some((l) => l.event === 'fleet-stopped'), h.hostId).toBe(true);
      const saved = JSON.parse(readFileSync(join(dir, `agent-${h.hostId}.json`), 'utf8')) as { hostId: string; revision: number };
      expect(saved.hostId).toBe(h.hostId);
      expect(saved.revision).toBeGreaterThan(0);
    }
    expect(await statusKeys()).toEqual({});
  }, 90_000);
});
