// Many lightweight simulated agents (issue 9): 40 FleetAgents with their Dataplanes in one process,
// each the only host of one interface in group `fleet`, whose rule references group `peers`, on a
// 3-member etcd. They run the real watch and apply path, without capture. Changes made through two
// API servers at once reach every agent, whole and in revision order; a membership change of the
// referenced group flips the verdict of a judged frame on every host; hosts outside the group's
// reach hear nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { isAllowed } from '../../src/dataplane/verdict.js';
import { FleetAgent } from '../../src/fleet/agent.js';
import { openEtcdStore, type EtcdStore } from '../../src/fleet/etcd-store.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { EtcdCluster, etcdEnabled } from './etcd-cluster.js';
import { eventually } from '../support/eventually.js';

const PREFIX = `/sgfw-many-${process.pid}/`;
const AGENTS = 40;

interface Host {
  agent: FleetAgent;
  dp: Dataplane;
  address: string;
  /** every revision the agent applied, in the order it applied them */
  applied: number[];
}

let cluster: EtcdCluster;
let storeA: EtcdStore;
let storeB: EtcdStore;
const hosts: Host[] = [];
let bystander: Host;
const ids: Record<string, string> = {};
let sport = 30000;


async function call(store: EtcdStore, action: string, params: unknown): Promise<Record<string, unknown>> {
  return (await store.apply(action, params)) as Record<string, unknown>;
}

/** Would a TCP SYN from `src` to the host's address on `dport` pass its dataplane? */
function allows(h: Host, src: string, dport: number): boolean {
  const frame = buildFrame({ src, dst: h.address, proto: 'tcp', sport: sport++, dport, flags: 'S' });
  return isAllowed(h.dp.judge(LinkType.ETHERNET, frame, 0, frame.length, Date.now()));
}

async function startHost(hostId: string, address: string): Promise<Host> {
  const agent = new FleetAgent({
    endpoints: cluster.endpoints, prefix: PREFIX, hostId, requestTimeoutMs: 2000, settleMs: 5,
    reconcileIntervalMs: 0, statusTtlSeconds: 0, onLog: () => undefined,
  });
  await agent.start();
  const dp = new Dataplane(agent.model, { conntrackCapacity: 256 });
  agent.attach(dp);
  const h: Host = { agent, dp, address, applied: [] };
  agent.onApplied((revision) => h.applied.push(revision));
  return h;
}

describe.runIf(etcdEnabled)(`${AGENTS} simulated agents on a 3-member etcd`, () => {
  beforeAll(async () => {
    cluster = await EtcdCluster.start();
    const open = (): Promise<EtcdStore> => openEtcdStore({ endpoints: cluster.endpoints, prefix: PREFIX, requestTimeoutMs: 2000, onWarning: () => undefined });
    storeA = await open();
    storeB = await open();
    for (const name of ['fleet', 'peers', 'other']) ids[name] = (await call(storeA, 'CreateSecurityGroup', { GroupName: name, Description: name })).GroupId as string;
    await call(storeA, 'AuthorizeSecurityGroupIngress', {
      GroupId: ids.fleet, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: ids.peers }] }],
    });
    for (let i = 0; i < AGENTS; i++) {
      await call(storeA, 'RegisterNetworkInterface', { PrivateIpAddress: `10.1.${i >> 8}.${(i & 255) + 1}`, Groups: [ids.fleet], HostId: `sim-${i}` });
    }
    await call(storeA, 'RegisterNetworkInterface', { PrivateIpAddress: '10.2.0.1', Groups: [ids.other], HostId: 'bystander' });
    for (let i = 0; i < AGENTS; i++) hosts.push(await startHost(`sim-${i}`, `10.1.${i >> 8}.${(i & 255) + 1}`));
    bystander = await startHost('bystander', '10.2.0.1');
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([...hosts, bystander].filter(Boolean).map((h) => h.agent.stop()));
    await Promise.allSettled([storeA?.close(), storeB?.close()]);
    await cluster?.destroy();
  }, 120_000);

  it('a membership change of the referenced group opens the port on every host, and only on them', async () => {
    const joining = '10.3.0.7';
    for (const h of hosts) expect(allows(h, joining, 5432)).toBe(false);
    const bystanderApplies = bystander.applied.length;
    const eni = (await call(storeB, 'RegisterNetworkInterface', { PrivateIpAddress: joining, Groups: [ids.other] })).NetworkInterface as { NetworkInterfaceId: string };
    await call(storeA, 'ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: eni.NetworkInterfaceId, Groups: [ids.other, ids.peers] });
    await eventually(() => hosts.every((h) => allows(h, joining, 5432)), 20_000, 'every host allows the new member');
    for (const h of hosts) expect(allows(h, joining, 22)).toBe(false); // the rule names 5432 only
    expect(allows(bystander, joining, 5432)).toBe(false);
    // the bystander's ranges hold neither the fleet group nor the members of peers
    expect(bystander.applied.length).toBe(bystanderApplies);
  }, 60_000);

  it('changes from two API servers at once reach every agent whole, in revision order', async () => {
    const rules = 20;
    const grant = (store: EtcdStore, port: number): Promise<unknown> =>
      call(store, 'AuthorizeSecurityGroupIngress', {
        GroupId: ids.fleet, IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '198.51.100.0/24' }] }],
      });
    await Promise.all([
      (async () => { for (let k = 0; k < rules; k++) await grant(storeA, 7000 + k); })(),
      (async () => { for (let k = 0; k < rules; k++) await grant(storeB, 8000 + k); })(),
    ]);
    await eventually(() => hosts.every((h) => (h.agent.model.group(ids.fleet!)?.ingress.length ?? 0) === 1 + 2 * rules), 30_000, 'every agent holds every rule');
    for (const h of hosts) {
      expect(allows(h, '198.51.100.9', 7000 + rules - 1)).toBe(true);
      expect(allows(h, '198.51.100.9', 8000 + rules - 1)).toBe(true);
      // strictly increasing: no revision applied twice or out of order
      expect(h.applied.every((r, i) => i === 0 || r > h.applied[i - 1]!), h.applied.join(',')).toBe(true);
    }
    const expected = storeA.service.group(ids.fleet!)!.ingress.map((r) => r.ruleId).sort();
    for (const h of hosts) expect(h.agent.model.group(ids.fleet!)!.ingress.map((r) => r.ruleId).sort()).toEqual(expected);
  }, 90_000);
});
