// Fleet agents on a 3-member etcd (issue 9): simulated hosts (FleetAgent + Dataplane, no capture)
// following two API servers. A change reaches the agents it concerns and no other; a membership
// change flips a judged frame on every concerned host; agents keep judging with the last state
// while etcd is down and converge when it is back; a compaction while an agent is cut off is
// recovered by listing; a restart with etcd unreachable boots from the agent's file; a watch
// event dropped on purpose is repaired by the reconcile and counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { isAllowed } from '../../src/dataplane/verdict.js';
import type { FleetAgentOptions } from '../../src/fleet/agent-options.js';
import { FleetAgent } from '../../src/fleet/agent.js';
import { fleetMetricFamilies } from '../../src/fleet/agent-metrics.js';
import { EtcdClient } from '../../src/fleet/etcd-client.js';
import { openEtcdStore, type EtcdStore } from '../../src/fleet/etcd-store.js';
import { KeyLayout } from '../../src/fleet/key-layout.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { CutProxy } from './tcp-cut-proxy.js';
import { EtcdCluster, etcdEnabled } from './etcd-cluster.js';
import { eventually } from '../support/eventually.js';

const PREFIX = `/sgfw-agent-${process.pid}/`;

interface Host {
  agent: FleetAgent;
  dp: Dataplane;
}

let cluster: EtcdCluster;
let proxy: CutProxy;
let storeA: EtcdStore;
let storeB: EtcdStore;
let dir: string;
const hosts = new Map<string, Host>();
const ids: Record<string, string> = {};
let sport = 20000;
let dropKey: string | undefined;
let dropped = 0;
const logs: string[] = [];
let etcdClient: EtcdClient | undefined;
/** a client of the test's own, straight to the cluster */
const etcd = (): EtcdClient => (etcdClient ??= new EtcdClient(cluster.endpoints));


/** An API call, retried while the store answers ServiceUnavailable (a cluster coming back). */
async function call(store: EtcdStore, action: string, params: unknown): Promise<Record<string, unknown>> {
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      return (await store.apply(action, params)) as Record<string, unknown>;
    } catch (e) {
      if ((e as { code?: string }).code !== 'ServiceUnavailable' || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Would a TCP SYN from `src` to `dst:dport` pass this host's dataplane? (a fresh flow each time) */
function allows(h: Host, src: string, dst: string, dport: number): boolean {
  const frame = buildFrame({ src, dst, proto: 'tcp', sport: sport++, dport, flags: 'S' });
  return isAllowed(h.dp.judge(LinkType.ETHERNET, frame, 0, frame.length, Date.now()));
}

function agentOptions(hostId: string, extra: Partial<FleetAgentOptions> = {}): FleetAgentOptions {
  return {
    endpoints: cluster.endpoints,
    prefix: PREFIX,
    hostId,
    requestTimeoutMs: 1000,
    settleMs: 5,
    reconcileIntervalMs: 1000,
    reconcileAfterReconnectMs: 300,
    reconcileGraceMs: 300,
    statusTtlSeconds: 5,
    statusIntervalMs: 300,
    saveDebounceMs: 50,
    onLog: (m) => logs.push(m),
    ...extra,
  };
}

async function startHost(hostId: string, extra: Partial<FleetAgentOptions> = {}): Promise<Host> {
  const agent = new FleetAgent(agentOptions(hostId, extra));
  await agent.start();
  const dp = new Dataplane(agent.model, { conntrackCapacity: 1024 });
  agent.attach(dp);
  const h = { agent, dp };
  hosts.set(hostId, h);
  return h;
}

const host = (id: string): Host => hosts.get(id)!;
/**
 * Changes each agent applied, by whichever path brought them: the watch, or a listing after its
 * stream was reopened (on a loaded machine a stream's confirmations can miss their wait, and the
 * reopened stream's listing then carries the change). An agent the change does not concern
 * applies nothing either way.
 */
const appliedChangesOf = (): Record<string, number> => Object.fromEntries([...hosts].map(([id, h]) => [id, h.agent.stats.applies]));

/**
 * The revision of the last API call (the head key's): what an agent reports once current. Not a
 * store's own revision, which moves with every write to etcd, agents' status keys included.
 */
async function lastCallRevision(): Promise<number> {
  return (await etcd().range(new KeyLayout(PREFIX).head)).kvs[0]!.modRevision;
}

async function register(hostId: string, address: string, group: string): Promise<string> {
  const r = await call(storeA, 'RegisterNetworkInterface', { PrivateIpAddress: address, Groups: [ids[group]], HostId: hostId });
  return (r.NetworkInterface as { NetworkInterfaceId: string }).NetworkInterfaceId;
}

describe.runIf(etcdEnabled)('fleet agents on a 3-member etcd', () => {
  beforeAll(async () => {
    cluster = await EtcdCluster.start();
    proxy = await CutProxy.start(cluster.endpoints);
    dir = mkdtempSync(join(tmpdir(), 'sgfw-agent-'));
    const open = (): Promise<EtcdStore> => openEtcdStore({ endpoints: cluster.endpoints, prefix: PREFIX, requestTimeoutMs: 1000, onWarning: () => undefined });
    storeA = await open();
    storeB = await open();
    for (const name of ['app', 'db', 'web']) {
      const r = await call(storeA, 'CreateSecurityGroup', { GroupName: name, Description: name });
      ids[name] = r.GroupId as string;
    }
    await call(storeA, 'AuthorizeSecurityGroupIngress', {
      GroupId: ids.db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: ids.app }] }],
    });
    await call(storeB, 'AuthorizeSecurityGroupIngress', {
      GroupId: ids.web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
    await register('h1', '10.0.1.1', 'db');
    await register('h2', '10.0.2.1', 'app');
    await register('h3', '10.0.3.1', 'web');
    await register('h4', '10.0.4.1', 'db');
    await startHost('h1', { dropEvent: (e) => (e.key === dropKey ? (dropped++, true) : false) });
    await startHost('h2');
    await startHost('h3');
    // h4 reaches etcd through a proxy the tests cut, and keeps its state on disk.
    await startHost('h4', { endpoints: proxy.endpoints, stateFile: join(dir, 'h4.json') });
  }, 120_000);

  afterAll(async () => {
    etcdClient?.close();
    await Promise.allSettled([...hosts.values()].map((h) => h.agent.stop()));
    await Promise.allSettled([storeA?.close(), storeB?.close()]);
    await proxy?.close();
    await cluster?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('each agent enforces its own interfaces from etcd and reports its revision', async () => {
    expect([...host('h1').agent.model.interfaces()].map((i) => i.privateIpv4[0])).toEqual(['10.0.1.1']);
    expect([...host('h3').agent.model.interfaces()].map((i) => i.privateIpv4[0])).toEqual(['10.0.3.1']);
    expect(allows(host('h3'), '203.0.113.9', '10.0.3.1', 80)).toBe(true);
    expect(allows(host('h3'), '203.0.113.9', '10.0.3.1', 443)).toBe(false);
    expect(allows(host('h1'), '10.0.2.1', '10.0.1.1', 5432)).toBe(true); // h2's interface is in app
    expect(allows(host('h1'), '10.0.9.9', '10.0.1.1', 5432)).toBe(false);
    const layout = new KeyLayout(PREFIX);
    const gw = etcd();
    await eventually(async () => (await gw.range(layout.status('h1'))).kvs.length === 1, 10_000, 'status key');
    const status = JSON.parse((await gw.range(layout.status('h1'))).kvs[0]!.value) as { revision: number; interfaces: number };
    expect(status.interfaces).toBe(1);
    expect(status.revision).toBeGreaterThan(0);
    const metrics = fleetMetricFamilies(host('h1').agent);
    expect(metrics.find((m) => m.name === 'sgfw_fleet_applied_revision')!.samples[0]!.value).toBe(host('h1').agent.appliedRevision);
    expect(metrics.find((m) => m.name === 'sgfw_fleet_stale_seconds')!.samples[0]!.value).toBe(0);
  });

  it('a rule change reaches the agent enforcing the group and no other', async () => {
    const before = appliedChangesOf();
    await call(storeB, 'AuthorizeSecurityGroupIngress', {
      GroupId: ids.web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
    const committed = await lastCallRevision();
    await eventually(() => host('h3').agent.appliedRevision >= committed, 30_000, 'h3 applies the rule');
    expect(allows(host('h3'), '203.0.113.9', '10.0.3.1', 443)).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    const after = appliedChangesOf();
    expect(after.h3).toBe(before.h3! + 1);
    for (const id of ['h1', 'h2', 'h4']) expect(after[id], id).toBe(before[id]);
  }, 60_000);

  it('an interface joining a referenced group opens the port on every host whose rules reference it', async () => {
    const before = appliedChangesOf();
    expect(allows(host('h1'), '10.0.5.1', '10.0.1.1', 5432)).toBe(false);
    expect(allows(host('h4'), '10.0.5.1', '10.0.4.1', 5432)).toBe(false);
    await register('h5', '10.0.5.1', 'app');
    await eventually(() => allows(host('h1'), '10.0.5.1', '10.0.1.1', 5432) && allows(host('h4'), '10.0.5.1', '10.0.4.1', 5432), 10_000, 'db hosts allow');
    await new Promise((r) => setTimeout(r, 400));
    const after = appliedChangesOf();
    expect(after.h1).toBe(before.h1! + 1);
    expect(after.h4).toBe(before.h4! + 1);
    expect(after.h2).toBe(before.h2); // in app, but nothing it enforces references app
    expect(after.h3).toBe(before.h3);
  });

  it('a dropped watch event is repaired by the reconcile and counted', async () => {
    const repairs = host('h1').agent.stats.repairs;
    const eni = 'eni-0000000000000abcd';
    dropKey = new KeyLayout(PREFIX).member(ids.app!, eni);
    await call(storeA, 'RegisterNetworkInterface', { NetworkInterfaceId: eni, PrivateIpAddress: '10.0.8.1', Groups: [ids.app], HostId: 'h8' });
    await eventually(() => allows(host('h4'), '10.0.8.1', '10.0.4.1', 5432), 10_000, 'h4 sees the member');
    expect(dropped).toBeGreaterThan(0);
    await eventually(() => host('h1').agent.stats.repairs > repairs, 10_000, 'h1 repairs');
    expect(allows(host('h1'), '10.0.8.1', '10.0.1.1', 5432)).toBe(true);
    const families = fleetMetricFamilies(host('h1').agent);
    expect(families.find((f) => f.name === 'sgfw_fleet_repairs_total')!.samples[0]!.value).toBeGreaterThan(repairs);
    dropKey = undefined;
  });

  it('with every member stopped agents keep judging by the last state, grow stale, and converge when etcd is back', async () => {
    await cluster.stopAll();
    try {
      await eventually(() => [...hosts.values()].every((h) => !h.agent.connected), 15_000, 'agents notice');
      expect(allows(host('h1'), '10.0.5.1', '10.0.1.1', 5432)).toBe(true);
      expect(allows(host('h1'), '10.0.9.9', '10.0.1.1', 5432)).toBe(false);
      expect(allows(host('h3'), '203.0.113.9', '10.0.3.1', 443)).toBe(true);
      const stale = host('h1').agent.staleSeconds();
      await new Promise((r) => setTimeout(r, 1200));
      expect(host('h1').agent.staleSeconds()).toBeGreaterThan(stale + 1);
      expect(fleetMetricFamilies(host('h2').agent).find((f) => f.name === 'sgfw_fleet_stale_seconds')!.samples[0]!.value).toBeGreaterThan(1);
    } finally {
      await cluster.startAll();
    }
    await call(storeA, 'AuthorizeSecurityGroupIngress', {
      GroupId: ids.db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6000, ToPort: 6000, UserIdGroupPairs: [{ GroupId: ids.app }] }],
    });
    const newest = await lastCallRevision();
    await eventually(() => [...hosts.values()].every((h) => h.agent.connected && h.agent.appliedRevision >= newest), 60_000, 'all converge');
    expect(allows(host('h1'), '10.0.2.1', '10.0.1.1', 6000)).toBe(true);
    expect(allows(host('h4'), '10.0.2.1', '10.0.4.1', 6000)).toBe(true);
    for (const h of hosts.values()) expect(h.agent.stats.reconnects).toBeGreaterThan(0);
  }, 120_000);

  it('an agent cut off while its revisions are compacted converges by listing again', async () => {
    const h4 = host('h4');
    const relists = h4.agent.stats.relists;
    let committed = 0;
    await proxy.cut();
    try {
      await eventually(() => !h4.agent.connected, 15_000, 'h4 notices');
      await register('h7', '10.0.7.1', 'app');
      await call(storeB, 'AuthorizeSecurityGroupIngress', {
        GroupId: ids.db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 7000, ToPort: 7000, IpRanges: [{ CidrIp: '198.51.100.0/24' }] }],
      });
      committed = await lastCallRevision();
      await etcd().compact(committed);
      expect(allows(h4, '10.0.7.1', '10.0.4.1', 5432)).toBe(false);
    } finally {
      await proxy.restore();
    }
    await eventually(() => allows(h4, '10.0.7.1', '10.0.4.1', 5432) && allows(h4, '198.51.100.7', '10.0.4.1', 7000), 20_000, 'h4 converges');
    expect(h4.agent.stats.relists).toBeGreaterThan(relists);
    expect(h4.agent.appliedRevision).toBeGreaterThanOrEqual(committed);
  }, 60_000);

  it('an agent restarted while etcd is unreachable boots from its file, then catches up', async () => {
    const old = host('h4');
    const revision = old.agent.appliedRevision;
    await old.agent.stop();
    hosts.delete('h4');
    await proxy.cut();
    let h: Host;
    try {
      const agent = new FleetAgent(agentOptions('h4', { endpoints: proxy.endpoints, stateFile: join(dir, 'h4.json') }));
      const started = await agent.start();
      expect(started).toEqual({ source: 'file', revision });
      const dp = new Dataplane(agent.model, { conntrackCapacity: 1024 });
      agent.attach(dp);
      h = { agent, dp };
      hosts.set('h4', h);
      expect(allows(h, '10.0.7.1', '10.0.4.1', 5432)).toBe(true);
      expect(allows(h, '10.0.9.9', '10.0.4.1', 5432)).toBe(false);
      expect(agent.staleSeconds()).toBeGreaterThan(0);
      await call(storeA, 'RevokeSecurityGroupIngress', {
        GroupId: ids.db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 7000, ToPort: 7000, IpRanges: [{ CidrIp: '198.51.100.0/24' }] }],
      });
      expect(allows(h, '198.51.100.7', '10.0.4.1', 7000)).toBe(true);
    } finally {
      await proxy.restore();
    }
    await eventually(() => h.agent.connected && !allows(h, '198.51.100.7', '10.0.4.1', 7000), 20_000, 'h4 catches up');
    expect(h.agent.staleSeconds()).toBe(0);
  }, 60_000);

  it('idle agents reconciling do not rewrite their status: it moves with API calls, not with other agents\' status writes', async () => {
    const layout = new KeyLayout(PREFIX);
    const gw = etcd();
    const statusRevisions = async (): Promise<number[]> =>
      Promise.all(['h1', 'h2', 'h3'].map(async (id) => (await gw.range(layout.status(id))).kvs[0]?.modRevision ?? -1));
    // settle: every agent reconciled at least once since the last API call and reported it
    const head = (await gw.range(layout.head)).kvs[0]!.modRevision;
    await eventually(async () => ['h1', 'h2', 'h3'].every((id) => host(id).agent.appliedRevision >= head), 10_000, 'agents current');
    await new Promise((r) => setTimeout(r, 1000));
    const before = await statusRevisions();
    const reconciles = host('h1').agent.stats.reconciles;
    // several reconcile rounds (every 1 s) and status ticks (every 300 ms) with no API call
    await eventually(() => host('h1').agent.stats.reconciles >= reconciles + 3, 10_000, 'three reconciles');
    expect(await statusRevisions()).toEqual(before);
    for (const id of ['h1', 'h2', 'h3']) expect(host(id).agent.appliedRevision).toBe(head);
  }, 30_000);

  it('stopping an agent removes its lease-bound status key', async () => {
    const layout = new KeyLayout(PREFIX);
    const gw = etcd();
    await eventually(async () => (await gw.range(layout.status('h2'))).kvs.length === 1, 10_000, 'status key');
    await host('h2').agent.stop();
    hosts.delete('h2');
    expect((await gw.range(layout.status('h2'))).kvs).toEqual([]);
  });
});
