// Two API servers on one 3-member etcd (issue 9): no lost update, no half-applied change, each
// server follows the other's changes through its watch, and a store that loses members keeps
// serving while a quorum stands and answers 503 ServiceUnavailable when none does.
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/api/credentials.js';
import { startApiServer, type ApiServer } from '../../src/api/server.js';
import { EtcdClient } from '../../src/fleet/etcd-client.js';
import { openEtcdStore, type EtcdStore, type EtcdStoreOptions } from '../../src/fleet/etcd-store.js';
import { KeyLayout, prefixRangeEnd } from '../../src/fleet/key-layout.js';
import { decodeState } from '../../src/fleet/state-codec.js';
import { Ec2Error } from '../../src/model/ec2-error.js';
import { sdkFailure as failure } from '../api/server/sdk-failure.js';
import { EtcdCluster, etcdEnabled } from './etcd-cluster.js';
import { eventually } from '../support/eventually.js';

const credentials = { accessKeyId: 'AKIAFLEETTESTKEY0001', secretAccessKey: 'ZmxlZXQtdGVzdC1zZWNyZXQtZmxlZXQtdGVzdC14eXo=' };

let cluster: EtcdCluster;
const opened: EtcdStore[] = [];
const servers: ApiServer[] = [];
let prefixCount = 0;

async function store(prefix: string, extra: Partial<EtcdStoreOptions> = {}): Promise<EtcdStore> {
  const s = await openEtcdStore({ endpoints: cluster.endpoints, prefix, requestTimeoutMs: 1000, onWarning: () => undefined, ...extra });
  opened.push(s);
  return s;
}

async function serve(s: EtcdStore): Promise<EC2Client> {
  const server = await startApiServer({
    service: { call: (a, p) => s.apply(a, p), accountId: s.service.accountId },
    credentials: staticCredentials([credentials]),
    listen: { host: '127.0.0.1', port: 0 },
  });
  servers.push(server);
  return new EC2Client({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials });
}

function freshPrefix(): string {
  return `/sgfw-test-${process.pid}-${++prefixCount}/`;
}


async function listed(prefix: string): Promise<{ revision: number; kvs: { key: string; value: string; modRevision: number }[] }> {
  const client = new EtcdClient(cluster.endpoints);
  try {
    return await client.range(prefix, prefixRangeEnd(prefix));
  } finally {
    client.close();
  }
}

const ingressCount = (s: EtcdStore, groupId: string): number => s.service.group(groupId)?.ingress.length ?? -1;

describe.runIf(etcdEnabled)('sgfw serve on a 3-member etcd', () => {
  beforeAll(async () => {
    cluster = await EtcdCluster.start();
  }, 90_000);
  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await Promise.allSettled(opened.map((s) => s.close()));
    await cluster?.destroy();
  }, 90_000);

  it('two servers taking 2×50 rules on one group and new groups at once lose none of them', async () => {
    const prefix = freshPrefix();
    // 100 rules on one group: above EC2's default quota of 60, raised as an account may have it.
    const raised = { service: { limits: { inboundRulesPerGroup: 120 } } };
    const [a, b] = [await store(prefix, raised), await store(prefix, raised)];
    const [ca, cb] = [await serve(a), await serve(b)];
    const { GroupId } = await ca.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web' }));
    const rule = (port: number) => new AuthorizeSecurityGroupIngressCommand({
      GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '198.51.100.0/24' }] }],
    });
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      calls.push(ca.send(rule(1000 + i)), cb.send(rule(2000 + i)));
      if (i % 10 === 0) {
        calls.push(ca.send(new CreateSecurityGroupCommand({ GroupName: `a${i}`, Description: 'a' })));
        calls.push(cb.send(new CreateSecurityGroupCommand({ GroupName: `b${i}`, Description: 'b' })));
      }
    }
    await Promise.all(calls);
    // Each server answered its calls once they were committed and in force on it; the other's
    // arrive through the watch.
    await eventually(() => ingressCount(a, GroupId!) === 100 && ingressCount(b, GroupId!) === 100 && a.revision === b.revision);
    const ports = (s: EtcdStore) => s.service.group(GroupId!)!.ingress.map((r) => r.fromPort).sort((x, y) => x - y);
    const expected = [...Array(50).keys()].flatMap((i) => [1000 + i, 2000 + i]).sort((x, y) => x - y);
    expect(ports(a)).toEqual(expected);
    expect(b.service.exportSnapshot()).toEqual(a.service.exportSnapshot());
    const names = (await cb.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupName).sort();
    expect(names).toEqual(['a0', 'a10', 'a20', 'a30', 'a40', 'b0', 'b10', 'b20', 'b30', 'b40', 'default', 'web']);
    // The keys hold the same: a third reader loading them sees every rule.
    const { kvs } = await listed(prefix);
    const decoded = decodeState(new KeyLayout(prefix), kvs.map((kv) => [kv.key, kv.value] as const));
    expect(decoded.groups.get(GroupId!)!.ingress).toHaveLength(100);
    expect(a.stats.commits + b.stats.commits).toBe(1 + 100 + 10);
  }, 120_000);

  it('a create retried with its ClientToken on the other server, or on a store opened afresh, answers the first list', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await store(prefix), await store(prefix)];
    const request = { PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 2, ClientToken: 'etcd-retry' };
    const first = await a.apply('CreateManagedPrefixList', request);
    await eventually(() => b.revision === a.revision);
    expect(await b.apply('CreateManagedPrefixList', request)).toEqual(first);
    const mismatch = await b.apply('CreateManagedPrefixList', { ...request, MaxEntries: 3 }).catch((e: unknown) => e);
    expect((mismatch as Ec2Error).code).toBe('IdempotentParameterMismatch');
    const c = await store(prefix);
    expect(await c.apply('CreateManagedPrefixList', request)).toEqual(first);
    expect(c.service.currentState.prefixLists.size).toBe(1);
  }, 60_000);

  it('a refused call writes nothing, and a conflict it meets is retried on the newer state', async () => {
    const prefix = freshPrefix();
    const b = await store(prefix);
    let injected = false;
    const a = await store(prefix, {
      // Between running the call on its copy and committing it, the other server commits a change.
      async beforeCommit(action, attempt) {
        if (action === 'AuthorizeSecurityGroupIngress' && attempt === 1 && !injected) {
          injected = true;
          await b.apply('CreateSecurityGroup', { GroupName: 'sneaked-in', Description: 'x' });
        }
      },
    });
    const { GroupId } = (await a.apply('CreateSecurityGroup', { GroupName: 'app', Description: 'app' })) as { GroupId: string };
    const before = await listed(prefix);
    const refused = await a.apply('AuthorizeSecurityGroupIngress', { GroupId: 'sg-0000000000000dead', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Ec2Error);
    expect((refused as Ec2Error).code).toBe('InvalidGroup.NotFound');
    // Other tests' writes move the cluster's revision: compare this prefix's keys and their revisions.
    const keysOf = (l: typeof before) => l.kvs.map((kv) => `${kv.key}@${kv.modRevision}`);
    expect(keysOf(await listed(prefix))).toEqual(keysOf(before));

    const conflictsBefore = a.stats.conflicts;
    await a.apply('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] });
    expect(injected).toBe(true);
    expect(a.stats.conflicts).toBe(conflictsBefore + 1);
    expect(a.service.group(GroupId)!.ingress.map((r) => r.fromPort)).toEqual([22]);
    expect([...a.service.groups()].map((g) => g.groupName)).toContain('sneaked-in');
    await eventually(() => b.revision === a.revision);
    expect(b.service.exportSnapshot()).toEqual(a.service.exportSnapshot());
  }, 60_000);

  it('the other server sees a change once its watch delivers it, replaying the call', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await store(prefix), await store(prefix)];
    const replayed = a.stats.replayed;
    const { GroupId } = (await b.apply('CreateSecurityGroup', { GroupName: 'seen', Description: 'x' })) as { GroupId: string };
    await eventually(() => a.service.group(GroupId) !== undefined, 5000);
    expect(a.stats.replayed).toBeGreaterThan(replayed);
    expect(a.stats.resyncs).toBe(0);
    const versions: number[] = [];
    a.service.onChange((c) => versions.push(c.version));
    await b.apply('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] });
    await eventually(() => ingressCount(a, GroupId) === 1, 5000);
    expect(versions).toHaveLength(1); // the live service's listeners (a --replay dataplane) heard it
  }, 60_000);

  it('a quiet watch stays up on the answers to its progress requests, without a warning, and changes still arrive', async () => {
    const prefix = freshPrefix();
    const warnings: string[] = [];
    const a = await store(prefix, { watchSilentMs: 300, onWarning: (m) => warnings.push(m) });
    const b = await store(prefix);
    await sleep(1500); // five times the silent limit with nothing to deliver
    expect(a.stats.silentReopens).toBe(0);
    const { GroupId } = (await b.apply('CreateSecurityGroup', { GroupName: 'after-quiet', Description: 'x' })) as { GroupId: string };
    await eventually(() => a.service.group(GroupId) !== undefined, 5000);
    expect(a.stats.resyncs).toBe(0);
    expect(warnings.filter((w) => w.includes('watch interrupted'))).toEqual([]);
  }, 60_000);

  it('a call naming what another server made a moment ago succeeds: a refusal is checked against the newest state', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await store(prefix), await store(prefix)];
    for (let k = 0; k < 5; k++) {
      const { GroupId } = (await b.apply('CreateSecurityGroup', { GroupName: `made-on-b-${k}`, Description: 'x' })) as { GroupId: string };
      // at once on the other server, before its watch may have brought the group
      await a.apply('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] });
      expect(ingressCount(a, GroupId)).toBe(1);
    }
    // a call refused on the newest state is still refused, with EC2's error
    await expect(a.apply('AuthorizeSecurityGroupIngress', { GroupId: 'sg-0123456789abcdef0', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }))
      .rejects.toMatchObject({ code: 'InvalidGroup.NotFound' });
  }, 60_000);

  it('an interface joining a group is one small write: its key and one member key', async () => {
    const prefix = freshPrefix();
    const a = await store(prefix);
    const layout = new KeyLayout(prefix);
    const web = (await a.apply('CreateSecurityGroup', { GroupName: 'web', Description: 'x' })) as { GroupId: string };
    const db = (await a.apply('CreateSecurityGroup', { GroupName: 'db', Description: 'x' })) as { GroupId: string };
    const eni = (await a.apply('RegisterNetworkInterface', { PrivateIpAddress: '10.1.0.7', Groups: [web.GroupId] })) as { NetworkInterface: { NetworkInterfaceId: string } };
    const id = eni.NetworkInterface.NetworkInterfaceId;
    const before = await listed(prefix);
    await a.apply('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: id, Groups: [db.GroupId] });
    const after = await listed(prefix);
    const written = after.kvs.filter((kv) => kv.modRevision === a.revision).map((kv) => kv.key).sort();
    expect(written).toEqual([layout.head, layout.interface(id), layout.member(db.GroupId, id)].sort());
    const gone = before.kvs.map((kv) => kv.key).filter((k) => !after.kvs.some((kv) => kv.key === k));
    expect(gone).toEqual([layout.member(web.GroupId, id)]);
    expect(JSON.parse(after.kvs.find((kv) => kv.key === layout.member(db.GroupId, id))!.value)).toMatchObject({ ipv4: ['10.1.0.7'] });
  }, 60_000);

  it('keeps serving with one member down, answers 503 ServiceUnavailable with none, and recovers', async () => {
    const prefix = freshPrefix();
    const warnings: string[] = [];
    const [a, b] = [await store(prefix), await store(prefix, { onWarning: (m) => warnings.push(m) })];
    const [ca] = [await serve(a)];
    await cluster.stopMember(0);
    const one = await ca.send(new CreateSecurityGroupCommand({ GroupName: 'one-down', Description: 'x' }));
    await eventually(() => b.service.group(one.GroupId!) !== undefined);

    await cluster.stopAll();
    const started = Date.now();
    const down = await failure(ca.send(new CreateSecurityGroupCommand({ GroupName: 'all-down', Description: 'x' })));
    expect(down).toMatchObject({ name: 'ServiceUnavailable', status: 503 });
    expect(down.message).toMatch(/etcd/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect([...a.service.groups()].map((g) => g.groupName)).not.toContain('all-down');
    // Reads keep answering from the last state this server holds.
    expect((await ca.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupName)).toContain('one-down');

    await cluster.startAll();
    let created: string | undefined;
    await eventually(async () => {
      created = (await ca.send(new CreateSecurityGroupCommand({ GroupName: 'back', Description: 'x' })).catch(() => undefined))?.GroupId;
      return created !== undefined;
    }, 30_000);
    await eventually(() => b.service.group(created!) !== undefined, 15_000);
    expect(b.service.exportSnapshot()).toEqual(a.service.exportSnapshot());
    // each outage is said once however many times each endpoint refused, and so is the way back:
    // interrupted, resumed, (interrupted, resumed) — one pair per outage the watch saw (1 or 2)
    const said = warnings.filter((w) => /watch (interrupted|resumed)/.test(w)).map((w) => (w.includes('interrupted') ? 'down' : 'up'));
    expect(said.length === 2 || said.length === 4, said.join(' ')).toBe(true);
    expect(said).toEqual(said.map((_, i) => (i % 2 === 0 ? 'down' : 'up')));
    expect(await cluster.status()).toMatch(/m0 \S+ healthy/);
  }, 120_000);
});
