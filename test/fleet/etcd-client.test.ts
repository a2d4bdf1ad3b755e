// The fleet's door to etcd (src/fleet/etcd-client.ts) on a real 3-member etcd: a watch stream's
// watchers added and cancelled in place, puts and deletes told apart, a progress request answered
// on a quiet stream, firstChange, a keep-alive stream, and a txn to no member refused as
// unavailable (never sent) rather than of unknown outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../src/fleet/etcd-client.js';
import { EtcdOutcomeUnknown, EtcdUnavailable, type WatchMessage } from '../../src/fleet/etcd-types.js';
import { EtcdCluster, etcdEnabled } from './etcd-cluster.js';

const P = `/sgfw-client-${process.pid}/`;

describe.runIf(etcdEnabled)('EtcdClient over gRPC', () => {
  let cluster: EtcdCluster;
  let client: EtcdClient;
  beforeAll(async () => {
    cluster = await EtcdCluster.start();
    client = new EtcdClient(cluster.endpoints, { requestTimeoutMs: 2000 });
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await cluster?.destroy();
  }, 60_000);

  it('one stream: watchers added and cancelled in place, puts and deletes, progress answered', async () => {
    const start = (await client.range(P)).revision + 1;
    const stream = await client.watch();
    const seen: WatchMessage[] = [];
    const reading = (async () => {
      for await (const m of stream) seen.push(m);
    })().catch(() => undefined);
    const until = async (f: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(f()).toBe(true);
    };
    const a = stream.add(`${P}a/`, `${P}a0`, start);
    await client.txn([], [{ put: { key: `${P}a/1`, value: 'x' } }]);
    await client.txn([], [{ delete: { key: `${P}a/1` } }]);
    await until(() => seen.filter((m) => m.watchId === a).flatMap((m) => m.events).length === 2);
    expect(seen.filter((m) => m.watchId === a).flatMap((m) => m.events).map((e) => [e.type, e.key, e.value])).toEqual([['put', `${P}a/1`, 'x'], ['delete', `${P}a/1`, '']]);
    // a second watcher on the open stream, from the past: its backlog comes
    const b = stream.add(`${P}b`, undefined, start);
    await client.txn([], [{ put: { key: `${P}b`, value: 'y' } }]);
    await until(() => seen.some((m) => m.watchId === b && m.events.length > 0));
    stream.cancel(a);
    await until(() => seen.some((m) => m.watchId === a && m.canceled));
    await client.txn([], [{ put: { key: `${P}a/2`, value: 'z' } }]);
    const before = seen.length;
    stream.requestProgress();
    await until(() => seen.slice(before).some((m) => m.progress));
    expect(seen.slice(before).some((m) => m.watchId === a && m.events.length > 0)).toBe(false); // cancelled
    stream.close();
    await reading;
    const first = await client.firstChange(`${P}b`, start);
    expect(first?.value).toBe('y');
  }, 60_000);

  it('a lease kept alive on its stream; a txn no member can take is unavailable, not of unknown outcome', async () => {
    const lease = await client.leaseGrant(5);
    const ka = await client.keepAlive(lease);
    expect(await ka.renew()).toBe(5);
    ka.close();
    await client.leaseRevoke(lease);
    const nowhere = new EtcdClient([`http://127.0.0.1:${cluster.basePort + 9}`], { requestTimeoutMs: 1000 });
    try {
      const e = await nowhere.txn([], [{ put: { key: `${P}x`, value: '1' } }]).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(EtcdUnavailable);
      expect(e).not.toBeInstanceOf(EtcdOutcomeUnknown);
    } finally {
      nowhere.close();
    }
  }, 60_000);
});
