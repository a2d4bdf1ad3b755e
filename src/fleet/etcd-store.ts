// The control-plane state in etcd (issue 9): what `sgfw serve --store etcd://…` serves, with the
// durable store's interface (apply, service, close), so several servers can share one state.
//
// A call:
// 1. runs on a copy of this server's live service (records are immutable, so the copy shares them);
//    a refused call throws its Ec2Error here and nothing is written;
// 2. the records it replaced are re-encoded into key puts and deletes (state-codec.ts);
// 3. one txn writes them, guarded by the `head` key's mod_revision being the revision R the copy
//    was taken at, and rewrites `head` with the call (action, params, the ids it drew, a nonce);
// 4. on a conflict (another server committed since R) it waits for the watch to bring the live
//    service up to the newer head and runs again, at most `maxAttempts` times;
// 5. a txn sent without an answer (a member frozen, cut off or killed) may have committed or may
//    commit later: the server finds out, fencing it if it has not (etcd-store-outcome.ts), and
//    answers what happened. ServiceUnavailable means the call did not and will not commit.
// The guard is one key because the service may read any record in a call (name and address
// uniqueness scan a VPC, DeleteSecurityGroup checks every group's references, quotas count rules of
// referenced prefix lists): its read set is the whole model, and `head` changes with every change to
// it, deletes included (a range compare on mod_revision cannot see a deleted key).
//
// The live service follows the store through a watch on the prefix (etcd-store-follow.ts).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecurityGroupService, type ServiceOptions } from '../control/service.js';
import { ModelState } from '../control/records.js';
import { Ec2Error } from '../model/ec2-error.js';
import { randomIdSuffix } from '../model/ids.js';
import { IdSource } from '../state/journal-ids.js';
import { IMPORT_ACTION, runStoreAction, storedParams, StoreFront } from '../state/store-front.js';
import { EtcdClient } from './etcd-client.js';
import { EtcdOutcomeUnknown, EtcdRequestError, EtcdUnavailable, type EtcdAuth, type EtcdTls, type KeyValue, type TxnOp, type TxnResult } from './etcd-types.js';
import { OutcomeUnknown, resolveOutcome } from './etcd-store-outcome.js';
import { EtcdStoreFollower, type HeadValue } from './etcd-store-follow.js';
import { KeyLayout, LAYOUT_FORMAT, prefixRangeEnd } from './key-layout.js';
import { canonicalJson, diffStates, StoreDamage } from './state-codec.js';

export interface EtcdStoreOptions {
  /** client URLs, e.g. http://127.0.0.1:23790 */
  endpoints: readonly string[];
  /** key prefix, ending in '/' (default /sgfw/) */
  prefix?: string;
  service?: ServiceOptions;
  /** runs of one call before it gives up on conflicts (default 20) */
  maxAttempts?: number;
  /** per request and endpoint (default 2000 ms) */
  requestTimeoutMs?: number;
  /** TLS to the members (server CA, client certificate) and etcd user */
  tls?: EtcdTls;
  auth?: EtcdAuth;
  /** how long a call waits for this server's watch to deliver a revision before listing (default 3000 ms) */
  catchUpMs?: number;
  /**
   * how long a call whose txn's outcome is unknown (sent, then no answer) keeps finding it out
   * before it is answered InternalError, outcome unknown (default 60 s; see etcd-store-outcome.ts)
   */
  outcomeWaitMs?: number;
  /** a watch silent this long (no answer to progress requests either) moves to the next member (default 5000 ms) */
  watchSilentMs?: number;
  onWarning?: (message: string) => void;
  /** test hook: runs after the call ran on its copy and before its txn (to inject a conflict) */
  beforeCommit?: (action: string, attempt: number) => Promise<void>;
}

interface MetaValue {
  readonly format: string;
  readonly accountId: string;
  readonly defaultVpcId: string;
}

export interface EtcdStoreStats {
  /** calls this server committed */
  commits: number;
  /** txns refused because another server committed first (each is retried) */
  conflicts: number;
  /** revisions applied by replaying the call in head */
  replayed: number;
  /** whole reloads from a list of the prefix */
  resyncs: number;
  /** watches given up because their member said nothing (not even to a progress request) */
  silentReopens: number;
  /** txns sent without an answer, whose outcome was then found out (fenced or found committed) */
  unknownOutcomes: number;
  /** of those, the ones a fence (or another call) kept from committing: answered 503 */
  fenced: number;
}

/** The store cannot be opened: unreachable, another account's, or written by something else. */
export class EtcdStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdStoreError';
  }
}

function unavailable(e: EtcdUnavailable): Ec2Error {
  // 503 ServiceUnavailable: the AWS SDKs, botocore and the aws CLI retry it with backoff.
  return new Ec2Error('ServiceUnavailable', `The control-plane store (etcd) is unavailable: ${e.message}`, 503);
}

function copyState(from: ModelState, to: ModelState): void {
  for (const [k, v] of from.groups) to.groups.set(k, v);
  for (const [k, v] of from.interfaces) to.interfaces.set(k, v);
  for (const [k, v] of from.prefixLists) to.prefixLists.set(k, v);
  for (const [k, v] of from.vpcs) to.vpcs.set(k, v);
  for (const [k, v] of from.subnets) to.subnets.set(k, v);
  for (const [k, v] of from.clientTokens) to.writableClientTokens().set(k, v);
}

export class EtcdStore {
  readonly stats: EtcdStoreStats = { commits: 0, conflicts: 0, replayed: 0, resyncs: 0, silentReopens: 0, unknownOutcomes: 0, fenced: 0 };
  private readonly front: StoreFront;
  private readonly follower: EtcdStoreFollower;
  private readonly maxAttempts: number;
  private readonly catchUpMs: number;

  /** @internal use openEtcdStore */
  constructor(
    readonly client: EtcdClient,
    readonly layout: KeyLayout,
    /** the live state as of `revision`; read it freely, change it only through apply() */
    readonly service: SecurityGroupService,
    ids: IdSource,
    private readonly options: EtcdStoreOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 20;
    this.catchUpMs = options.catchUpMs ?? 3000;
    const warn = options.onWarning ?? ((m: string) => process.stderr.write(`sgfw: ${m}\n`));
    this.follower = new EtcdStoreFollower(client, layout, service, ids, this.stats, options.watchSilentMs ?? 5000, warn, () => this.front.closed);
    this.front = new StoreFront('etcd', service, (action, params) => this.applyNow(action, params));
  }

  /** the mod_revision of `head` the live service reflects: 0 while the store has never been written */
  get seq(): number {
    return this.follower.head;
  }

  /** the etcd revision the live service is current with */
  get revision(): number {
    return this.follower.revision;
  }

  /**
   * Runs an action like `service.call` (plus `ImportSnapshot` with a state document); resolves with
   * its result once it is committed to etcd and in force in `service`. A refused call rejects with
   * its Ec2Error and writes nothing; an unreachable store rejects with ServiceUnavailable (503).
   */
  apply(action: string, params?: unknown): Promise<unknown> {
    return this.front.apply(action, params);
  }

  private async applyNow(action: string, params: unknown): Promise<unknown> {
    const input = storedParams(params);
    for (let attempt = 1; ; attempt++) {
      const base = this.service.currentState;
      const after = this.follower.head;
      const ids = new IdSource(this.options.service?.idGenerator ?? randomIdSuffix);
      const copy = new SecurityGroupService({ ...this.options.service, idGenerator: ids.next });
      copyState(base, copy.currentState);
      ids.beginLive();
      let result: unknown;
      try {
        result = runStoreAction(copy, action, input);
      } catch (e) {
        ids.endLive();
        // Refused on this server's copy: refused for good only if the copy is current. A call that
        // names what another server has just made (an interface registered there a moment ago)
        // must not fail because this server's watch has not brought it yet.
        if (!(e instanceof Ec2Error) || attempt >= this.maxAttempts) throw e;
        const newest = await this.currentHeadRevision();
        if (newest <= after) throw e;
        await this.catchUp(newest);
        continue;
      }
      const drawn = ids.endLive();
      if (copy.version === 0) return result;
      const changes = diffStates(this.layout, base, copy.currentState);
      await this.options.beforeCommit?.(action, attempt);

      const nonce = randomUUID();
      const head: HeadValue = action === IMPORT_ACTION ? { after, action, nonce } : { after, action, params: input, ids: drawn, nonce };
      const ops: TxnOp[] = [...changes].map(([key, value]) => (value === null ? { delete: { key } } : { put: { key, value } }));
      ops.push({ put: { key: this.layout.head, value: canonicalJson(head) } });
      let res: TxnResult;
      try {
        res = await this.client.txn([{ key: this.layout.head, modRevision: after }], ops, [{ range: { key: this.layout.head } }]);
      } catch (e) {
        if (e instanceof EtcdOutcomeUnknown) {
          // Sent, and no answer: find out before answering (etcd-store-outcome.ts).
          this.stats.unknownOutcomes++;
          const outcome = await this.outcomeOf(after, nonce, e);
          if (outcome.committed) {
            this.stats.commits++;
            await this.catchUp(outcome.revision);
            return result;
          }
          this.stats.fenced++;
          throw unavailable(new EtcdUnavailable(`${e.message}; not committed (${outcome.how})`));
        }
        // refused before it reached any member: certainly not committed
        if (e instanceof EtcdUnavailable) throw unavailable(e);
        if (e instanceof EtcdRequestError) throw new Ec2Error('InternalError', `etcd refused the change: ${e.message}`, 500);
        throw e;
      }
      if (res.succeeded) {
        this.stats.commits++;
        await this.catchUp(res.revision);
        return result;
      }
      const current = res.ranges[0]?.[0];
      this.stats.conflicts++;
      if (attempt >= this.maxAttempts) {
        throw new Ec2Error('RequestLimitExceeded', `Request limit exceeded: ${attempt} attempts of ${action} met concurrent changes; retry.`, 503);
      }
      await this.catchUp(current?.modRevision ?? 0);
      // Servers that lost the same race would meet again at once: a random pause, growing with
      // the attempts, lets one of them through first.
      await sleep(Math.random() * Math.min(2 ** attempt, 200));
    }
  }

  private async outcomeOf(after: number, nonce: string, cause: Error): ReturnType<typeof resolveOutcome> {
    try {
      return await resolveOutcome(this.client, this.layout.head, after, nonce, this.options.outcomeWaitMs ?? 60_000);
    } catch (e) {
      if (e instanceof OutcomeUnknown) {
        // Not 503: a client retrying it could meet its own earlier success.
        throw new Ec2Error('InternalError', `The control-plane store (etcd) took the change and did not say whether it committed (${cause.message}); ${e.message}. Check before retrying.`, 500);
      }
      throw e;
    }
  }

  /** The head key's revision in etcd now: the last committed call (0 in an empty store). */
  private async currentHeadRevision(): Promise<number> {
    try {
      return (await this.client.range(this.layout.head)).kvs[0]?.modRevision ?? 0;
    } catch (e) {
      if (e instanceof EtcdUnavailable) throw unavailable(e);
      throw e;
    }
  }

  /** Waits until the live service is at `revision` (or past it); lists the prefix when the watch is late. */
  private async catchUp(revision: number): Promise<void> {
    if (this.follower.revision >= revision) return;
    const arrived = await this.follower.waitFor(revision, this.catchUpMs);
    if (arrived || this.follower.revision >= revision) return;
    try {
      await this.follower.resync(`the watch had not delivered revision ${revision} after ${this.catchUpMs} ms`);
    } catch (e) {
      if (e instanceof EtcdUnavailable) throw unavailable(e);
      throw e;
    }
  }

  /** Lists the prefix and loads it whole into the live service. */
  resync(reason: string): Promise<void> {
    return this.follower.resync(reason);
  }

  /** @internal: the live service as listed at `revision`, followed from there */
  follow(kvs: readonly KeyValue[], revision: number): void {
    this.follower.load(kvs);
    this.follower.start(revision);
  }

  /** Waits for pending calls, then stops the watch. */
  async close(): Promise<void> {
    if (this.front.closed) return;
    await this.front.close();
    await this.follower.stop();
    this.client.close();
  }
}

/**
 * Connects to etcd, claims or checks the prefix's `meta` (layout format, account), loads the state
 * and starts following it. EtcdStoreError when no endpoint answers or the prefix is another's.
 */
export async function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  const layout = new KeyLayout(options.prefix);
  const client = new EtcdClient(options.endpoints, { requestTimeoutMs: options.requestTimeoutMs, tls: options.tls, auth: options.auth });
  const ids = new IdSource(options.service?.idGenerator ?? randomIdSuffix);
  const service = new SecurityGroupService({ ...options.service, idGenerator: ids.next });
  const meta: MetaValue = { format: LAYOUT_FORMAT, accountId: service.accountId, defaultVpcId: service.defaultVpcId };
  const where = `${options.endpoints.join(',')} ${layout.prefix}`;
  try {
    const claim = await client.txn([{ key: layout.meta, modRevision: 0 }], [{ put: { key: layout.meta, value: canonicalJson(meta) } }], [{ range: { key: layout.meta } }]);
    if (!claim.succeeded) {
      let held: Partial<MetaValue>;
      try {
        held = JSON.parse(claim.ranges[0]?.[0]?.value ?? '') as Partial<MetaValue>;
      } catch {
        throw new EtcdStoreError(`${where}: ${layout.meta} is not sgfw's; use another prefix`);
      }
      if (held.format !== LAYOUT_FORMAT) throw new EtcdStoreError(`${where}: layout ${String(held.format)}, this sgfw reads ${LAYOUT_FORMAT}`);
      if (held.accountId !== meta.accountId || held.defaultVpcId !== meta.defaultVpcId) {
        throw new EtcdStoreError(`${where}: the state belongs to account ${held.accountId} (default VPC ${held.defaultVpcId}), not ${meta.accountId}`);
      }
    }
    const store = new EtcdStore(client, layout, service, ids, options);
    const { revision, kvs } = await client.range(layout.prefix, prefixRangeEnd(layout.prefix));
    store.follow(kvs, revision);
    return store;
  } catch (e) {
    client.close();
    if (e instanceof EtcdUnavailable || e instanceof EtcdRequestError) throw new EtcdStoreError(`${where}: ${e.message}`);
    if (e instanceof StoreDamage) throw new EtcdStoreError(`${where}: ${e.message}`);
    throw e;
  }
}
