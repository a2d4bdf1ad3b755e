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
//    service up to the newer head and runs again, at most `maxAttempts` times.
// The guard is one key because the service may read any record in a call (name and address
// uniqueness scan a VPC, DeleteSecurityGroup checks every group's references, quotas count rules of
// referenced prefix lists): its read set is the whole model, and `head` changes with every change to
// it, deletes included (a range compare on mod_revision cannot see a deleted key).
//
// The live service follows the store through a watch on the prefix, one revision at a time: the
// call recorded in `head` is replayed with the ids it drew (as the durable store replays its journal,
// so the service's change listeners, e.g. a `--replay` dataplane, hear exactly what changed) and the
// keys it would write are compared with the revision's keys. A gap (head.after is not the head we
// hold), a mismatch, an import, a compacted revision or a state write without head: the store lists
// the prefix and loads it whole (a resync, counted).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecurityGroupService, type ServiceOptions } from '../control/service.js';
import { ModelState } from '../control/records.js';
import { Ec2Error } from '../model/ec2-error.js';
import { randomIdSuffix } from '../model/ids.js';
import { IdSource } from '../state/journal-ids.js';
import { IMPORT_ACTION, runStoreAction, storedParams, StoreFront } from '../state/store-front.js';
import { EtcdGateway, EtcdRequestError, EtcdUnavailable, EtcdWatchIncomplete, type KeyValue, type TxnOp, type WatchEvent } from './etcd-gateway.js';
import { KeyLayout, LAYOUT_FORMAT, prefixRangeEnd } from './key-layout.js';
import { canonicalJson, decodeState, diffStates, fillState, StoreDamage, type KeyChanges } from './state-codec.js';

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
  /** how long a call waits for this server's watch to deliver a revision before listing (default 3000 ms) */
  catchUpMs?: number;
  /**
   * a watch quiet this long is reopened from the applied revision + 1 (default 240 s): Node's fetch
   * (undici) ends a response body silent for 300 s, and etcd 3.4 sends a quiet watcher nothing
   */
  watchIdleReopenMs?: number;
  onWarning?: (message: string) => void;
  /** test hook: runs after the call ran on its copy and before its txn (to inject a conflict) */
  beforeCommit?: (action: string, attempt: number) => Promise<void>;
}

/** The value of `head`: the last change and how to replay it. */
interface HeadValue {
  /** the head revision this change was made on */
  readonly after: number;
  readonly action: string;
  /** absent for an import: too large to repeat, and a resync loads the same */
  readonly params?: unknown;
  readonly ids?: readonly string[];
  readonly nonce: string;
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
  /** quiet watches reopened (not losses) */
  idleReopens: number;
  /** watches opened again because etcd did not confirm the watcher (see EtcdWatchIncomplete) */
  rewatches: number;
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

function parseHead(value: string | undefined): HeadValue | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as HeadValue;
    return typeof v === 'object' && v !== null && typeof v.after === 'number' && typeof v.action === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function copyState(from: ModelState, to: ModelState): void {
  for (const [k, v] of from.groups) to.groups.set(k, v);
  for (const [k, v] of from.interfaces) to.interfaces.set(k, v);
  for (const [k, v] of from.prefixLists) to.prefixLists.set(k, v);
  for (const [k, v] of from.vpcs) to.vpcs.set(k, v);
}

function sameChanges(expected: KeyChanges, events: readonly WatchEvent[]): boolean {
  if (expected.size !== events.length) return false;
  return events.every((e) => {
    const want = expected.get(e.key);
    return want !== undefined && (e.type === 'delete' ? want === null : want === e.value);
  });
}

export class EtcdStore {
  readonly stats: EtcdStoreStats = { commits: 0, conflicts: 0, replayed: 0, resyncs: 0, idleReopens: 0, rewatches: 0 };
  private headRevision = 0;
  private appliedRevision = 0;
  private readonly front: StoreFront;
  private readonly stopWatch = new AbortController();
  private watching: Promise<void> = Promise.resolve();
  private waiters: { revision: number; resolve: () => void }[] = [];
  private readonly rangeEnd: Buffer;
  private readonly maxAttempts: number;
  private readonly catchUpMs: number;
  private readonly warn: (message: string) => void;
  private lastWarning = '';

  /** @internal use openEtcdStore */
  constructor(
    readonly gateway: EtcdGateway,
    readonly layout: KeyLayout,
    /** the live state as of `revision`; read it freely, change it only through apply() */
    readonly service: SecurityGroupService,
    private readonly ids: IdSource,
    private readonly options: EtcdStoreOptions,
  ) {
    this.rangeEnd = prefixRangeEnd(layout.prefix);
    this.maxAttempts = options.maxAttempts ?? 20;
    this.catchUpMs = options.catchUpMs ?? 3000;
    this.warn = options.onWarning ?? ((m: string) => process.stderr.write(`sgfw: ${m}\n`));
    this.front = new StoreFront('etcd', service, (action, params) => this.applyNow(action, params));
  }

  /** the mod_revision of `head` the live service reflects: 0 while the store has never been written */
  get seq(): number {
    return this.headRevision;
  }

  /** the etcd revision the live service is current with */
  get revision(): number {
    return this.appliedRevision;
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
      const after = this.headRevision;
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
      let res;
      try {
        res = await this.gateway.txn([{ key: this.layout.head, modRevision: after }], ops, [{ range: { key: this.layout.head } }]);
      } catch (e) {
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
      // An attempt that timed out on one member and was retried on another may have committed.
      if (parseHead(current?.value)?.nonce === nonce) {
        this.stats.commits++;
        await this.catchUp(current!.modRevision);
        return result;
      }
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

  /** The head key's revision in etcd now: the last committed call (0 in an empty store). */
  private async currentHeadRevision(): Promise<number> {
    try {
      return (await this.gateway.range(this.layout.head)).kvs[0]?.modRevision ?? 0;
    } catch (e) {
      if (e instanceof EtcdUnavailable) throw unavailable(e);
      throw e;
    }
  }

  /** Waits until the live service is at `revision` (or past it); lists the prefix when the watch is late. */
  private async catchUp(revision: number): Promise<void> {
    if (this.appliedRevision >= revision) return;
    const arrived = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.catchUpMs);
      this.waiters.push({ revision, resolve: () => (clearTimeout(timer), resolve(true)) });
    });
    if (arrived || this.appliedRevision >= revision) return;
    try {
      await this.resync(`the watch had not delivered revision ${revision} after ${this.catchUpMs} ms`);
    } catch (e) {
      if (e instanceof EtcdUnavailable) throw unavailable(e);
      throw e;
    }
  }

  private advance(revision: number): void {
    if (revision <= this.appliedRevision) return;
    this.appliedRevision = revision;
    const due = this.waiters.filter((w) => w.revision <= revision);
    this.waiters = this.waiters.filter((w) => w.revision > revision);
    for (const w of due) w.resolve();
  }

  /** Lists the prefix and loads it whole into the live service. */
  async resync(reason: string): Promise<void> {
    const { revision, kvs } = await this.gateway.range(this.layout.prefix, this.rangeEnd);
    // The watch may have applied newer revisions while the list was in flight: keep those.
    if (revision < this.appliedRevision) return;
    const decoded = decodeState(this.layout, kvs.map((kv) => [kv.key, kv.value] as const));
    // Listeners (a `--replay` dataplane) hear exactly what differs, as after a call.
    this.service.replaceState(new ModelState(decoded.groups, decoded.interfaces, decoded.prefixLists, decoded.vpcs), 'Resync');
    this.headRevision = kvs.find((kv) => kv.key === this.layout.head)?.modRevision ?? 0;
    this.stats.resyncs++;
    this.warnOnce(`etcd store: reloaded the state at revision ${revision} (${reason})`);
    this.advance(revision);
  }

  /** @internal */
  load(kvs: readonly KeyValue[]): void {
    const decoded = decodeState(this.layout, kvs.map((kv) => [kv.key, kv.value] as const));
    fillState(this.service.currentState, decoded);
    this.headRevision = kvs.find((kv) => kv.key === this.layout.head)?.modRevision ?? 0;
  }

  /** @internal */
  startWatch(revision: number): void {
    this.appliedRevision = revision;
    this.watching = this.watchLoop();
  }

  /** the watch failed and has not delivered anything since (see watchLoop) */
  private watchLost = false;

  private async watchLoop(): Promise<void> {
    let backoff = 50;
    while (!this.front.closed) {
      // A quiet watch is reopened from the applied revision + 1 (options.watchIdleReopenMs).
      const idle = new AbortController();
      let idleTimer: NodeJS.Timeout | undefined;
      const armIdle = (): void => {
        if (idleTimer !== undefined) clearTimeout(idleTimer);
        idleTimer = setTimeout(() => idle.abort(), this.options.watchIdleReopenMs ?? 240_000);
        idleTimer.unref();
      };
      try {
        armIdle();
        const signal = AbortSignal.any([this.stopWatch.signal, idle.signal]);
        for await (const msg of this.gateway.watch(this.layout.prefix, this.rangeEnd, this.appliedRevision + 1, signal)) {
          armIdle();
          backoff = 50;
          if (this.watchLost) {
            this.watchLost = false;
            this.warn(`etcd store: watch resumed from revision ${this.appliedRevision + 1}`);
          }
          if (msg.compactRevision > 0) {
            await this.resync(`revision ${this.appliedRevision + 1} was compacted (compact revision ${msg.compactRevision})`);
            break;
          }
          if (msg.canceled) throw new EtcdUnavailable(`the watch was cancelled: ${msg.cancelReason}`);
          const reason = this.applyEvents(msg.events);
          if (reason !== undefined) {
            await this.resync(reason);
            break;
          }
        }
      } catch (e) {
        if (this.front.closed) return;
        if (e instanceof EtcdWatchIncomplete) {
          this.stats.rewatches++; // not an outage either: the same watch again at once
          continue;
        }
        if (!idle.signal.aborted && !this.watchLost) {
          // Once per outage (each endpoint refusing in turn is the same outage), and once back.
          this.watchLost = true;
          this.warn(`etcd store: watch interrupted (${(e as Error).message}); reconnecting`);
        }
      } finally {
        clearTimeout(idleTimer);
      }
      if (this.front.closed) return;
      if (idle.signal.aborted) {
        this.stats.idleReopens++;
        continue; // not a loss: the same watch again, at once
      }
      // Jittered backoff capped near one second, as the issue asks of agents.
      await sleep(backoff / 2 + Math.random() * (backoff / 2), undefined, { signal: this.stopWatch.signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, 1000);
    }
  }

  /** Applies whole revisions in order; returns why a resync is needed, if it is. */
  private applyEvents(events: readonly WatchEvent[]): string | undefined {
    let i = 0;
    while (i < events.length) {
      const revision = events[i]!.modRevision;
      let j = i;
      while (j < events.length && events[j]!.modRevision === revision) j++;
      const group = events.slice(i, j);
      i = j;
      if (revision <= this.appliedRevision) continue; // delivered again after a reconnect
      const reason = this.applyRevision(revision, group);
      if (reason !== undefined) return reason;
      this.advance(revision);
    }
    return undefined;
  }

  private applyRevision(revision: number, events: readonly WatchEvent[]): string | undefined {
    const headEvent = events.find((e) => e.key === this.layout.head && e.type === 'put');
    const stateEvents = events.filter((e) => this.layout.parse(e.key) !== undefined);
    if (headEvent === undefined) {
      return stateEvents.length > 0 ? `revision ${revision} changed state keys without ${this.layout.head}` : undefined;
    }
    const head = parseHead(headEvent.value);
    if (head === undefined) return `revision ${revision}: ${this.layout.head} does not hold a change`;
    if (head.after !== this.headRevision) return `revision ${revision} follows head ${head.after}, this server holds ${this.headRevision}`;
    if (head.params === undefined || head.ids === undefined) return `revision ${revision} is an ${head.action}`;
    const before = this.service.currentState;
    this.ids.beginReplay(head.ids);
    try {
      runStoreAction(this.service, head.action, head.params);
    } catch (e) {
      this.ids.endReplay();
      return `replaying ${head.action} of revision ${revision} failed: ${(e as Error).message}`;
    }
    if (!this.ids.endReplay()) return `replaying ${head.action} of revision ${revision} drew other ids`;
    if (!sameChanges(diffStates(this.layout, before, this.service.currentState), stateEvents)) {
      return `replaying ${head.action} of revision ${revision} does not give its keys`;
    }
    this.headRevision = revision;
    this.stats.replayed++;
    return undefined;
  }

  private warnOnce(message: string): void {
    if (message === this.lastWarning) return;
    this.lastWarning = message;
    this.warn(message);
  }

  /** Waits for pending calls, then stops the watch. */
  async close(): Promise<void> {
    if (this.front.closed) return;
    await this.front.close();
    this.stopWatch.abort();
    await this.watching;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}

/**
 * Connects to etcd, claims or checks the prefix's `meta` (layout format, account), loads the state
 * and starts following it. EtcdStoreError when no endpoint answers or the prefix is another's.
 */
export async function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  const layout = new KeyLayout(options.prefix);
  const gateway = new EtcdGateway(options.endpoints, { requestTimeoutMs: options.requestTimeoutMs });
  const ids = new IdSource(options.service?.idGenerator ?? randomIdSuffix);
  const service = new SecurityGroupService({ ...options.service, idGenerator: ids.next });
  const meta: MetaValue = { format: LAYOUT_FORMAT, accountId: service.accountId, defaultVpcId: service.defaultVpcId };
  const where = `${options.endpoints.join(',')} ${layout.prefix}`;
  try {
    const claim = await gateway.txn([{ key: layout.meta, modRevision: 0 }], [{ put: { key: layout.meta, value: canonicalJson(meta) } }], [{ range: { key: layout.meta } }]);
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
    const store = new EtcdStore(gateway, layout, service, ids, options);
    const { revision, kvs } = await gateway.range(layout.prefix, prefixRangeEnd(layout.prefix));
    store.load(kvs);
    store.startWatch(revision);
    return store;
  } catch (e) {
    if (e instanceof EtcdUnavailable || e instanceof EtcdRequestError) throw new EtcdStoreError(`${where}: ${e.message}`);
    if (e instanceof StoreDamage) throw new EtcdStoreError(`${where}: ${e.message}`);
    throw e;
  }
}
