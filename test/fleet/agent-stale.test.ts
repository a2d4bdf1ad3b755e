// Staleness that tells the truth (issue 19): an agent that hears nothing from etcd, whether its
// traffic is partitioned (a proxy that stops forwarding without closing anything) or the member it
// watches is frozen (SIGSTOP), reports itself disconnected and stale within its stale time, logs it
// once, and, as soon as a member answers again, catches up through the watch: a rule revoked while
// it was cut off is gone from its dataplane right after, with no reconcile (they are off here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { isAllowed } from '../../src/dataplane/verdict.js';
import type { AgentLogFields, FleetAgentOptions } from '../../src/fleet/agent-options.js';
import { FleetAgent } from '../../src/fleet/agent.js';
import { fleetMetricFamilies } from '../../src/fleet/agent-metrics.js';
import { openEtcdStore, type EtcdStore } from '../../src/fleet/etcd-store.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { EtcdCluster, etcdEnabled } from './etcd-cluster.js';
import { CutProxy } from './tcp-cut-proxy.js';
import { eventually } from '../support/eventually.js';

const PREFIX = `/sgfw-stale-${process.pid}/`;
const STALE_MS = 1200;
let cluster: EtcdCluster;
let proxy: CutProxy;
let store: EtcdStore;
let sport = 30000;
const RULE = { IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: '192.0.2.0/24' }] };


async function call(action: string, params: unknown): Promise<Record<string, unknown>> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      return (await store.apply(action, params)) as Record<string, unknown>;
    } catch (e) {
      if ((e as { code?: string }).code !== 'ServiceUnavailable' || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

interface Host {
  agent: FleetAgent;
  dp: Dataplane;
  events: AgentLogFields[];
}

async function startHost(hostId: string, extra: Partial<FleetAgentOptions>): Promise<Host> {
  const events: AgentLogFields[] = [];
  const agent = new FleetAgent({
    endpoints: cluster.endpoints, prefix: PREFIX, hostId, requestTimeoutMs: 800, settleMs: 5, staleAfterMs: STALE_MS,
    // no periodic reconcile, none soon after a reconnect: the watch alone must bring the change
    reconcileIntervalMs: 0, reconcileAfterReconnectMs: 600_000, statusTtlSeconds: 0,
    onLog: (_m, f) => f !== undefined && events.push(f),
    ...extra,
  });
  await agent.start();
  const dp = new Dataplane(agent.model, { conntrackCapacity: 256 });
  agent.attach(dp);
  return { agent, dp, events };
}

/** Would a SYN from 192.0.2.9 to the host's interface on 8443 pass? */
function open8443(h: Host, dst: string): boolean {
  const frame = buildFrame({ src: '192.0.2.9', dst, proto: 'tcp', sport: sport++, dport: 8443, flags: 'S' });
  return isAllowed(h.dp.judge(LinkType.ETHERNET, frame, 0, frame.length, Date.now()));
}

const gauge = (h: Host, name: string): number => fleetMetricFamilies(h.agent).find((f) => f.name === name)!.samples[0]!.value;

describe.runIf(etcdEnabled)('an agent cut off from etcd says so and catches up when it can', () => {
  let groupId: string;
  beforeAll(async () => {
    cluster = await EtcdCluster.start();
    proxy = await CutProxy.start(cluster.endpoints);
    store = await openEtcdStore({ endpoints: cluster.endpoints, prefix: PREFIX, requestTimeoutMs: 1000, onWarning: () => undefined });
    groupId = (await call('CreateSecurityGroup', { GroupName: 'web', Description: 'x' })).GroupId as string;
    await call('RegisterNetworkInterface', { PrivateIpAddress: '10.7.0.1', Groups: [groupId], HostId: 'p1' });
    await call('RegisterNetworkInterface', { PrivateIpAddress: '10.7.0.2', Groups: [groupId], HostId: 'f1' });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    proxy?.resume();
    await proxy?.close();
    await cluster?.destroy();
  }, 120_000);

  it('partitioned (nothing flows, nothing closes): disconnected and stale within the stale time, logged once; healed, a rule revoked meanwhile is gone at once', async () => {
    await call('AuthorizeSecurityGroupIngress', { GroupId: groupId, IpPermissions: [RULE] });
    const h = await startHost('p1', { endpoints: proxy.endpoints });
    try {
      await eventually(() => open8443(h, '10.7.0.1'), 10_000, 'rule in force');
      expect(h.agent.connected).toBe(true);
      proxy.stall();
      const cutAt = Date.now();
      await eventually(() => !h.agent.connected, 10_000, 'reported disconnected');
      // within the stale time and one probe period (a third of it), plus scheduling slack
      expect(Date.now() - cutAt).toBeLessThan(STALE_MS * 4);
      expect(gauge(h, 'sgfw_fleet_connected')).toBe(0);
      await call('RevokeSecurityGroupIngress', { GroupId: groupId, IpPermissions: [RULE] });
      const revoked = store.revision;
      const stale1 = gauge(h, 'sgfw_fleet_stale_seconds');
      await new Promise((r) => setTimeout(r, 1500));
      const stale2 = gauge(h, 'sgfw_fleet_stale_seconds');
      expect(stale2).toBeGreaterThan(stale1);
      expect(stale2).toBeGreaterThanOrEqual(1.5);
      // still the last state: the revoked rule is in force until the agent hears of it
      expect(open8443(h, '10.7.0.1')).toBe(true);
      expect(h.agent.appliedRevision).toBeLessThan(revoked);
      const disconnected = h.events.filter((e) => e.event === 'fleet-disconnected');
      expect(disconnected).toHaveLength(1);
      expect(disconnected[0]!.silent).toBe(true);
      proxy.resume();
      await eventually(() => h.agent.appliedRevision >= revoked, 15_000, 'caught up after the partition');
      expect(open8443(h, '10.7.0.1')).toBe(false);
      expect(h.agent.connected).toBe(true);
      expect(gauge(h, 'sgfw_fleet_stale_seconds')).toBe(0);
      expect(h.agent.stats.reconciles).toBe(0); // the watch brought it, not a reconcile
      // back on a stream it listed every range at one revision: no watcher's backlog to come late
      expect(h.agent.stats.relists).toBeGreaterThan(0);
      expect(h.agent.stats.late).toBe(0);
      expect(h.events.filter((e) => e.event === 'fleet-disconnected')).toHaveLength(1);
      expect(h.events.filter((e) => e.event === 'fleet-reconnected')).toHaveLength(1);
    } finally {
      proxy.resume();
      await h.agent.stop();
    }
  }, 90_000);

  it('the member it watches frozen: it moves to another member and applies a change made meanwhile; every member frozen: stale until they resume', async () => {
    await call('AuthorizeSecurityGroupIngress', { GroupId: groupId, IpPermissions: [RULE] });
    // its first watch goes to the first endpoint that answered its listing: member 0
    const h = await startHost('f1', {});
    try {
      await eventually(() => open8443(h, '10.7.0.2'), 10_000, 'rule in force');
      cluster.freeze(0);
      try {
        await call('RevokeSecurityGroupIngress', { GroupId: groupId, IpPermissions: [RULE] });
        const revoked = store.revision;
        await eventually(() => h.agent.appliedRevision >= revoked, 20_000, 'caught up from another member');
        expect(open8443(h, '10.7.0.2')).toBe(false);
        expect(h.agent.stats.reconciles).toBe(0);
        expect(h.events.filter((e) => e.event === 'fleet-disconnected' && e.silent === true)).toHaveLength(1);
        await eventually(() => h.agent.connected, 10_000, 'connected to another member');
      } finally {
        cluster.thaw(0);
      }
      const before = h.events.filter((e) => e.event === 'fleet-disconnected').length;
      for (let i = 0; i < 3; i++) cluster.freeze(i);
      try {
        await eventually(() => !h.agent.connected, 10_000, 'every member frozen: disconnected');
        await new Promise((r) => setTimeout(r, 1500));
        expect(gauge(h, 'sgfw_fleet_stale_seconds')).toBeGreaterThanOrEqual(1.5);
        expect(h.events.filter((e) => e.event === 'fleet-disconnected')).toHaveLength(before + 1);
      } finally {
        for (let i = 0; i < 3; i++) cluster.thaw(i);
      }
      await eventually(() => h.agent.connected, 20_000, 'connected again after the members resumed');
      await call('AuthorizeSecurityGroupIngress', { GroupId: groupId, IpPermissions: [RULE] });
      const granted = store.revision;
      await eventually(() => h.agent.appliedRevision >= granted, 15_000, 'following again');
      expect(open8443(h, '10.7.0.2')).toBe(true);
    } finally {
      await h.agent.stop();
    }
  }, 120_000);
});
