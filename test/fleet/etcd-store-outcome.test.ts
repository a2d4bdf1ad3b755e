// A write's answer is its outcome (issue 19): with the members frozen (SIGSTOP) while a call's txn
// is on its way, or the member holding it frozen and then killed, the server finds out what became
// of the txn before answering. ServiceUnavailable only when it did not and will not commit (it was
// fenced): the client's retry then succeeds. A success is a commit: the same call again meets
// InvalidPermission.Duplicate. Never the other way round.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEtcdStore, type EtcdStore } from '../../src/fleet/etcd-store.js';
import { EtcdCluster, etcdEnabled } from './etcd-cluster.js';

const PREFIX = `/sgfw-outcome-${process.pid}/`;
let cluster: EtcdCluster;
let store: EtcdStore;
let groupId: string;

const codeOf = (e: unknown): string => (e as { code?: string }).code ?? (e as Error).message;

async function attempt(params: unknown): Promise<'ok' | string> {
  try {
    await store.apply('AuthorizeSecurityGroupIngress', params);
    return 'ok';
  } catch (e) {
    return codeOf(e);
  }
}

/** As an SDK does: retried while ServiceUnavailable. */
async function retried(params: unknown): Promise<'ok' | string> {
  const until = Date.now() + 30_000;
  for (;;) {
    const r = await attempt(params);
    if (r !== 'ServiceUnavailable' || Date.now() > until) return r;
    await sleep(200);
  }
}

const rule = (port: number): unknown => ({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '198.51.100.0/24' }] }] });

describe.runIf(etcdEnabled)('a call whose txn met a frozen or killed member is answered what became of it', () => {
  beforeAll(async () => {
    cluster = await EtcdCluster.start();
    store = await openEtcdStore({ endpoints: cluster.endpoints, prefix: PREFIX, requestTimeoutMs: 1000, onWarning: () => undefined });
    groupId = ((await store.apply('CreateSecurityGroup', { GroupName: 'outcome', Description: 'x' })) as { GroupId: string }).GroupId;
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await cluster?.destroy();
  }, 120_000);

  it('every member frozen while the call is on its way, resumed 2.5 s later: 503 means not committed, success means committed', async () => {
    const answers: string[] = [];
    for (let round = 0; round < 3; round++) {
      const unknownBefore = store.stats.unknownOutcomes;
      for (let i = 0; i < 3; i++) cluster.freeze(i);
      let answer: Promise<string>;
      try {
        answer = attempt(rule(7000 + round));
        await sleep(2500);
      } finally {
        for (let i = 0; i < 3; i++) cluster.thaw(i);
      }
      const first = await answer;
      answers.push(first);
      expect(['ok', 'ServiceUnavailable']).toContain(first);
      expect(store.stats.unknownOutcomes).toBe(unknownBefore + 1); // the txn was sent and not answered
      await sleep(1500); // whatever the members held is processed by now
      const again = await retried(rule(7000 + round));
      // a 503 was not committed (the retry goes in); a success was (the retry is a duplicate)
      expect(again).toBe(first === 'ok' ? 'InvalidPermission.Duplicate' : 'ok');
    }
    expect(answers).toHaveLength(3);
  }, 120_000);

  it('the member holding the txn frozen, then killed: answered from what the others know; the retry never meets its own success', async () => {
    for (let round = 0; round < 2; round++) {
      const unknownBefore = store.stats.unknownOutcomes;
      // the store's next txn goes to the member that answered last: that one freezes
      const victim = cluster.endpoints.indexOf(store.client.preferredEndpoint);
      expect(victim).toBeGreaterThanOrEqual(0);
      cluster.freeze(victim);
      const answer = attempt(rule(7100 + round));
      await sleep(1200); // the txn timed out there: its outcome is unknown
      await cluster.kill(victim);
      const first = await answer;
      expect(['ok', 'ServiceUnavailable']).toContain(first);
      expect(store.stats.unknownOutcomes).toBe(unknownBefore + 1);
      await cluster.startMember(victim);
      const again = await retried(rule(7100 + round));
      expect(again).toBe(first === 'ok' ? 'InvalidPermission.Duplicate' : 'ok');
    }
  }, 180_000);
});
