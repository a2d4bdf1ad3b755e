// What became of a call's txn whose answer never came (issue 19: a write's answer is its outcome).
// A txn sent to a member that then froze, was cut off or died may have committed, or may commit
// later (a frozen member resumes and proposes what it had read). The call's txn is guarded by
// `head` being at revision `after` and writes `head` with the call's nonce, so:
// 1. a fence: a txn under the same guard that rewrites `head` with no state change (FENCE_ACTION).
//    If it commits, `head` has moved past `after` for good: the lost txn's guard can never hold,
//    so the call certainly did not and will not commit.
// 2. if the fence's guard failed, `head` moved: the first write of `head` after `after` is the one
//    commit whose guard held, and its nonce says whose it was: the call's (committed), the fence's
//    (a fence of an earlier round committed: not committed), or another call's (not committed).
// Every step is retried on the members in turn until it is known, for at most `waitMs`; a store
// that stays away longer leaves the outcome unknown, and the call is answered InternalError saying
// so, never ServiceUnavailable (which clients retry, and might meet their own success).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalJson } from './state-codec.js';
import type { EtcdClient } from './etcd-client.js';
import { EtcdCompacted, EtcdUnavailable } from './etcd-types.js';
import { FENCE_ACTION, parseHead, type HeadValue } from './etcd-store-follow.js';

export type TxnOutcome =
  | { readonly committed: true; readonly revision: number }
  | { readonly committed: false; readonly revision: number; readonly how: string };

/** Neither fenced nor found within the wait: the call may or may not have committed. */
export class OutcomeUnknown extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutcomeUnknown';
  }
}

export async function resolveOutcome(client: EtcdClient, headKey: string, after: number, nonce: string, waitMs: number): Promise<TxnOutcome> {
  const fenceNonce = randomUUID();
  const fence: HeadValue = { after, action: FENCE_ACTION, nonce: fenceNonce };
  const until = Date.now() + waitMs;
  let lastError = '';
  for (let round = 0; Date.now() < until; round++) {
    try {
      const res = await client.txn([{ key: headKey, modRevision: after }], [{ put: { key: headKey, value: canonicalJson(fence) } }], [{ range: { key: headKey } }]);
      if (res.succeeded) return { committed: false, revision: res.revision, how: `fenced at revision ${res.revision}` };
      const current = res.ranges[0]?.[0];
      const held = parseHead(current?.value)?.nonce;
      if (current !== undefined && held === nonce) return { committed: true, revision: current.modRevision };
      if (current !== undefined && held === fenceNonce) return { committed: false, revision: current.modRevision, how: `fenced at revision ${current.modRevision}` };
      // head moved on: the first write after `after` decides
      const first = await client.firstChange(headKey, after + 1);
      if (first === undefined) throw new EtcdUnavailable(`no write of ${headKey} after revision ${after} came back`);
      const firstNonce = parseHead(first.value)?.nonce;
      if (firstNonce === nonce) return { committed: true, revision: first.modRevision };
      return { committed: false, revision: first.modRevision, how: firstNonce === fenceNonce ? `fenced at revision ${first.modRevision}` : `another call committed first, at revision ${first.modRevision}` };
    } catch (e) {
      if (e instanceof EtcdCompacted) throw new OutcomeUnknown(`the history after revision ${after} was compacted before the outcome was known`);
      if (!(e instanceof EtcdUnavailable)) throw e;
      lastError = e.message;
    }
    await sleep(Math.min(100 * 2 ** round, 1000) * (0.5 + Math.random() / 2));
  }
  throw new OutcomeUnknown(`etcd did not answer for ${Math.round(waitMs / 1000)} s (${lastError})`);
}
