// The fleet's etcd client over TLS with a client certificate and an etcd user (issue 19), against the
// 3-member TLS + auth etcd of test/support/etcd-tls-cluster.ts: the API server's store commits and
// the agent follows with the users the README grants; the agent's user writes its own status key
// and is refused another host's; a wrong password and a wrong CA fail with etcd's reason.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetAgent } from '../../src/fleet/agent.js';
import { EtcdClient } from '../../src/fleet/etcd-client.js';
import { EtcdRequestError, EtcdUnavailable, type EtcdTls } from '../../src/fleet/etcd-types.js';
import { openEtcdStore, type EtcdStore } from '../../src/fleet/etcd-store.js';
import { KeyLayout } from '../../src/fleet/key-layout.js';
import { EtcdTlsCluster, type EtcdUser } from '../support/etcd-tls-cluster.js';
import { etcdEnabled } from './etcd-cluster.js';
import { eventually } from '../support/eventually.js';


describe.runIf(etcdEnabled)('the fleet over TLS with client certificates and etcd auth', () => {
  const PREFIX = `/sgfw-grpc-tls-${process.pid}/`;
  const layout = new KeyLayout(PREFIX);
  let etcd: EtcdTlsCluster;
  let apiUser: EtcdUser;
  let agentUser: EtcdUser;
  let store: EtcdStore | undefined;
  const tlsOf = (u: EtcdUser, ca = etcd.cert('ca.pem')): EtcdTls => ({ ca: readFileSync(ca), cert: readFileSync(u.cert), key: readFileSync(u.key) });

  beforeAll(async () => {
    etcd = await EtcdTlsCluster.start(PREFIX);
    apiUser = await etcd.addApiUser();
    agentUser = await etcd.addAgentUser('h1');
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await etcd?.destroy();
  }, 60_000);

  it('the store commits and an agent follows, each as its own user; the agent writes its own status key only', async () => {
    store = await openEtcdStore({ endpoints: etcd.endpoints, prefix: PREFIX, tls: tlsOf(apiUser), auth: { user: apiUser.name, password: apiUser.password } });
    const { GroupId } = (await store.apply('CreateSecurityGroup', { GroupName: 'tls', Description: 'x' })) as { GroupId: string };
    await store.apply('RegisterNetworkInterface', { PrivateIpAddress: '10.3.0.1', Groups: [GroupId], HostId: 'h1' });
    const agent = new FleetAgent({
      endpoints: etcd.endpoints, prefix: PREFIX, hostId: 'h1', tls: tlsOf(agentUser), auth: { user: agentUser.name, password: agentUser.password },
      statusIntervalMs: 100, reconcileIntervalMs: 0, onLog: () => undefined,
    });
    const started = await agent.start();
    const client = new EtcdClient(etcd.endpoints, { tls: tlsOf(agentUser), auth: { user: agentUser.name, password: agentUser.password } });
    try {
      expect(started.source).toBe('etcd');
      expect([...agent.model.interfaces()].map((i) => i.privateIpv4[0])).toEqual(['10.3.0.1']);
      // a change after start arrives through the watch
      await store.apply('AuthorizeSecurityGroupIngress', { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] });
      const committed = store.revision;
      await eventually(() => agent.appliedRevision >= committed, 10_000, 'rule change applied');
      expect(agent.connected).toBe(true);
      await eventually(async () => (await client.range(layout.status('h1'))).kvs.length === 1, 10_000, 'own status key');
      // the same user may not write another host's status key
      const refused = await client.txn([], [{ put: { key: layout.status('h2'), value: '{}' } }]).then(() => undefined, (e: unknown) => e);
      expect(refused).toBeInstanceOf(EtcdRequestError);
      expect((refused as Error).message).toMatch(/permission denied/);
    } finally {
      client.close();
      await agent.stop();
    }
  }, 90_000);

  it('a wrong password is refused with etcd\'s reason; a CA that did not sign the members reaches none', async () => {
    const wrong = new EtcdClient(etcd.endpoints, { tls: tlsOf(agentUser), auth: { user: agentUser.name, password: `${agentUser.password}x` }, requestTimeoutMs: 3000 });
    const otherCa = new EtcdClient(etcd.endpoints, { tls: tlsOf(agentUser, etcd.cert('other-ca.pem')), requestTimeoutMs: 3000 });
    try {
      const e1 = await wrong.range(PREFIX).then(() => undefined, (e: unknown) => e);
      expect(e1).toBeInstanceOf(EtcdRequestError);
      expect((e1 as Error).message).toMatch(/authentication failed, invalid user ID or password/);
      const e2 = await otherCa.range(PREFIX).then(() => undefined, (e: unknown) => e);
      expect(e2).toBeInstanceOf(EtcdUnavailable);
    } finally {
      wrong.close();
      otherCa.close();
    }
  }, 60_000);
});
