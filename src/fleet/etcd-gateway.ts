// An etcd v3 client over etcd's JSON gRPC gateway (/v3/kv/range, /v3/kv/txn, /v3/watch), with
// Node's fetch: no dependency (see the README's "Why the JSON gateway"). Keys and values travel
// base64; int64 fields arrive as decimal strings; fields at their default (false, 0, PUT) are left
// out of the JSON, as proto3 JSON does.
//
// Failover: each request tries the endpoints in turn, starting from the last one that answered,
// with a per-attempt timeout, so a dead member costs one refused connection and a member cut off
// from the quorum costs one timeout. A request that every endpoint failed is EtcdUnavailable.
// A txn retried on another endpoint may have committed on the first: callers make their txns
// recognisable (etcd-store.ts writes a nonce into the guard key) to tell.

export class EtcdUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdUnavailable';
  }
}

/**
 * A watch stream whose watchers were not all confirmed (`created`) in time. etcd 3.4's gateway
 * now and then drops the last create request of a body holding several (seen here: 3 of 40
 * agents' streams had 3 of 4 watchers): the stream then stays open and silent for that range
 * forever. Not an outage: the caller opens the same watch again at once.
 */
export class EtcdWatchIncomplete extends EtcdUnavailable {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdWatchIncomplete';
  }
}

/** The first wait for a watch stream's confirmations (see EtcdGateway.watchBody). */
const WATCH_CONFIRM_MS = 500;
const WATCH_CONFIRM_MAX_MS = 30_000;

/** etcd refused the request itself (bad argument, too many ops): retrying elsewhere will not help. */
export class EtcdRequestError extends Error {
  constructor(message: string, readonly grpcCode: number) {
    super(message);
    this.name = 'EtcdRequestError';
  }
}

/** A read at a revision etcd has compacted away: list at a newer one. */
export class EtcdCompacted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdCompacted';
  }
}

const GRPC_OUT_OF_RANGE = 11;

export type KeyBytes = string | Uint8Array;

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** '' for a delete */
  readonly value: string;
  readonly modRevision: number;
}

export interface Compare {
  readonly key: KeyBytes;
  /** the key's mod_revision must equal this (0: the key must not exist) */
  readonly modRevision: number;
}

export type TxnOp =
  | { readonly put: { readonly key: KeyBytes; readonly value: string; readonly lease?: string } }
  | { readonly delete: { readonly key: KeyBytes } }
  | { readonly range: { readonly key: KeyBytes } };

export interface TxnResult {
  readonly succeeded: boolean;
  readonly revision: number;
  /** the kvs of each range op of the branch that ran, in order */
  readonly ranges: readonly (readonly KeyValue[])[];
}

export interface WatchMessage {
  /** which watcher of the stream (creation order: 0, 1, …) */
  readonly watchId: number;
  /** the reply to a create request: the watcher is in place */
  readonly created: boolean;
  readonly events: readonly WatchEvent[];
  /** set when the start revision was compacted: the watch is cancelled, resync from a list */
  readonly compactRevision: number;
  readonly canceled: boolean;
  readonly cancelReason: string;
  readonly headerRevision: number;
}

export interface EtcdGatewayOptions {
  /** per attempt on one endpoint (default 2000 ms) */
  requestTimeoutMs?: number;
}

const b64 = (k: KeyBytes): string => Buffer.from(typeof k === 'string' ? Buffer.from(k, 'utf8') : k).toString('base64');
const text = (v: unknown): string => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');
const num = (v: unknown): number => (v === undefined ? 0 : Number(v));

interface RawKv { key?: string; value?: string; create_revision?: string; mod_revision?: string }

function keyValue(kv: RawKv): KeyValue {
  return { key: text(kv.key), value: text(kv.value), createRevision: num(kv.create_revision), modRevision: num(kv.mod_revision) };
}

// gRPC codes worth another endpoint: Unavailable (no leader, stopping), DeadlineExceeded (request
// timed out inside etcd), Unknown (leader changed mid-request).
const RETRYABLE_GRPC = new Set([2, 4, 14]);

function reasonOf(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'timed out';
  return err.cause?.code ?? err.cause?.message ?? err.message;
}

export class EtcdGateway {
  private preferred = 0;
  private readonly timeoutMs: number;
  /** how long the next watch waits for its watchers' confirmations (see watchBody) */
  private confirmMs = WATCH_CONFIRM_MS;

  constructor(readonly endpoints: readonly string[], options: EtcdGatewayOptions = {}) {
    if (endpoints.length === 0) throw new RangeError('at least one etcd endpoint is needed');
    this.timeoutMs = options.requestTimeoutMs ?? 2000;
  }

  private async post(path: string, body: unknown): Promise<Record<string, unknown>> {
    const failures: string[] = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      const at = (this.preferred + i) % this.endpoints.length;
      const endpoint = this.endpoints[at]!;
      let res: Response;
      let json: Record<string, unknown>;
      try {
        res = await fetch(`${endpoint}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
        json = (await res.json()) as Record<string, unknown>;
      } catch (e) {
        failures.push(`${endpoint}: ${reasonOf(e)}`);
        continue;
      }
      if (res.ok) {
        this.preferred = at;
        return json;
      }
      const code = num(json.code);
      const message = String(json.message ?? json.error ?? `HTTP ${res.status}`);
      if (!RETRYABLE_GRPC.has(code) && res.status < 500) throw new EtcdRequestError(`${endpoint}${path}: ${message}`, code);
      failures.push(`${endpoint}: ${message}`);
    }
    throw new EtcdUnavailable(`no etcd endpoint answered ${path} (${failures.join('; ')})`);
  }

  /**
   * The keys in [key, rangeEnd) (or `key` alone), at the newest revision or at `atRevision`
   * (EtcdCompacted when that revision was compacted).
   */
  async range(key: KeyBytes, rangeEnd?: KeyBytes, atRevision?: number): Promise<{ revision: number; kvs: KeyValue[] }> {
    let res: Record<string, unknown>;
    try {
      res = await this.post('/v3/kv/range', {
        key: b64(key),
        ...(rangeEnd !== undefined ? { range_end: b64(rangeEnd) } : {}),
        ...(atRevision !== undefined ? { revision: String(atRevision) } : {}),
      });
    } catch (e) {
      if (e instanceof EtcdRequestError && e.grpcCode === GRPC_OUT_OF_RANGE) throw new EtcdCompacted(e.message);
      throw e;
    }
    const header = res.header as { revision?: string } | undefined;
    return { revision: num(header?.revision), kvs: ((res.kvs as RawKv[] | undefined) ?? []).map(keyValue) };
  }

  /** One transaction: when every compare holds, `success` runs, else `failure`. */
  async txn(compares: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[] = []): Promise<TxnResult> {
    const op = (o: TxnOp): unknown => {
      if ('put' in o) return { request_put: { key: b64(o.put.key), value: b64(o.put.value), ...(o.put.lease !== undefined ? { lease: o.put.lease } : {}) } };
      if ('delete' in o) return { request_delete_range: { key: b64(o.delete.key) } };
      return { request_range: { key: b64(o.range.key) } };
    };
    const res = await this.post('/v3/kv/txn', {
      compare: compares.map((c) => ({ key: b64(c.key), target: 'MOD', result: 'EQUAL', mod_revision: String(c.modRevision) })),
      success: success.map(op),
      failure: failure.map(op),
    });
    const header = res.header as { revision?: string } | undefined;
    const responses = (res.responses as { response_range?: { kvs?: RawKv[] } }[] | undefined) ?? [];
    return {
      succeeded: res.succeeded === true,
      revision: num(header?.revision),
      ranges: responses.filter((r) => r.response_range !== undefined).map((r) => (r.response_range!.kvs ?? []).map(keyValue)),
    };
  }

  /** Compacts the history up to `revision` (operators and tests; the agents recover by listing). */
  async compact(revision: number): Promise<void> {
    await this.post('/v3/kv/compaction', { revision: String(revision), physical: true });
  }

  /** A lease of `ttlSeconds`; its id (a decimal string: int64 does not fit a JS number). */
  async leaseGrant(ttlSeconds: number): Promise<string> {
    const res = await this.post('/v3/lease/grant', { TTL: String(ttlSeconds) });
    return String(res.ID);
  }

  /** Renews a lease; false when it has expired (etcd answers without a TTL). */
  async leaseKeepAlive(id: string): Promise<boolean> {
    // The gateway maps the keepalive stream to one request and one reply per POST.
    const res = await this.post('/v3/lease/keepalive', { ID: id });
    const result = (res.result ?? res) as { TTL?: string };
    return num(result.TTL) > 0;
  }

  async leaseRevoke(id: string): Promise<void> {
    await this.post('/v3/lease/revoke', { ID: id });
  }

  /** Watches [key, rangeEnd) from `startRevision`: `watchRanges` with one range. */
  watch(key: KeyBytes, rangeEnd: KeyBytes, startRevision: number, signal: AbortSignal): AsyncGenerator<WatchMessage> {
    return this.watchRanges([{ key, rangeEnd }], startRevision, signal);
  }

  /**
   * Watches several ranges on one stream: the POST body holds one create request per range (the
   * gateway decodes them in turn, then half-closes; etcd keeps the watchers). etcd queues every
   * watcher of a stream on one channel, so a synced stream delivers revision R for all its
   * watchers before R+1 for any (see fleet/agent-watch.ts for how the agent relies on it).
   */
  async *watchRanges(ranges: readonly { key: KeyBytes; rangeEnd?: KeyBytes }[], startRevision: number, signal: AbortSignal): AsyncGenerator<WatchMessage> {
    if (ranges.length === 0) throw new RangeError('a watch needs at least one range');
    const body = ranges
      .map((r) => JSON.stringify({ create_request: { key: b64(r.key), ...(r.rangeEnd !== undefined ? { range_end: b64(r.rangeEnd) } : {}), start_revision: String(startRevision) } }))
      .join('\n');
    yield* this.watchBody(`${body}\n`, ranges.length, signal);
  }

  /**
   * Watches on one endpoint (the next one on each call, so a
   * reconnect after a member died goes elsewhere). Yields each message; ends when the stream does.
   * `Grpc-Metadata-hasleader` asks etcd to cancel the watch when the member loses its leader
   * (clientv3's WithRequireLeader), so a member cut off from the quorum does not keep it silent.
   */
  private async *watchBody(body: string, watchers: number, signal: AbortSignal): AsyncGenerator<WatchMessage> {
    const endpoint = this.endpoints[this.preferred % this.endpoints.length]!;
    this.preferred = (this.preferred + 1) % this.endpoints.length;
    // The connect timeout stops once the headers are in: the stream itself stays open as long as it may.
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(new Error('timed out')), this.timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(`${endpoint}/v3/watch`, {
          method: 'POST',
          headers: { 'Grpc-Metadata-hasleader': 'true' },
          body,
          signal: ac.signal,
        });
      } catch (e) {
        if (signal.aborted) return;
        throw new EtcdUnavailable(`${endpoint}/v3/watch: ${reasonOf(e)}`);
      } finally {
        clearTimeout(timer);
      }
      if (!res.ok || res.body === null) throw new EtcdUnavailable(`${endpoint}/v3/watch: HTTP ${res.status}`);
      const decoder = new TextDecoder();
      let buffered = '';
      // Every watcher must be confirmed in time (see EtcdWatchIncomplete)
      let created = 0;
      // Confirmations come within milliseconds when they come at all: wait WATCH_CONFIRM_MS, twice
      // as long after each incomplete stream (a loaded member, or one just back from an outage and
      // electing a leader, is slower), up to 30 s, so that a slow but working member is always
      // waited for long enough in the end; a complete stream resets it.
      const unconfirmed = setTimeout(() => {
        this.confirmMs = Math.min(this.confirmMs * 2, WATCH_CONFIRM_MAX_MS);
        ac.abort(new EtcdWatchIncomplete(`${endpoint}/v3/watch: ${created} of ${watchers} watchers created`));
      }, this.confirmMs);
      try {
        for await (const chunk of res.body) {
          buffered += decoder.decode(chunk as Uint8Array, { stream: true });
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line === '') continue;
            const msg = watchMessage(endpoint, line);
            if (msg.created && ++created >= watchers) {
              clearTimeout(unconfirmed);
              this.confirmMs = WATCH_CONFIRM_MS;
            }
            yield msg;
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        if (ac.signal.reason instanceof EtcdWatchIncomplete) throw ac.signal.reason;
        if (e instanceof EtcdUnavailable) throw e;
        throw new EtcdUnavailable(`${endpoint}/v3/watch: ${reasonOf(e)}`);
      } finally {
        clearTimeout(unconfirmed);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      ac.abort(); // a consumer that stops early closes the stream
    }
  }
}

function watchMessage(endpoint: string, line: string): WatchMessage {
  let msg: { result?: Record<string, unknown>; error?: { message?: string; grpc_code?: number; http_code?: number } };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    throw new EtcdUnavailable(`${endpoint}/v3/watch: not JSON: ${line.slice(0, 200)}`);
  }
  if (msg.error !== undefined) throw new EtcdUnavailable(`${endpoint}/v3/watch: ${msg.error.message ?? JSON.stringify(msg.error)}`);
  const r = msg.result ?? {};
  const events = ((r.events as { type?: string; kv?: RawKv }[] | undefined) ?? []).map((e): WatchEvent => {
    const kv = keyValue(e.kv ?? {});
    return { type: e.type === 'DELETE' ? 'delete' : 'put', key: kv.key, value: kv.value, modRevision: kv.modRevision };
  });
  return {
    watchId: num(r.watch_id),
    created: r.created === true,
    events,
    compactRevision: num(r.compact_revision),
    canceled: r.canceled === true,
    cancelReason: String(r.cancel_reason ?? ''),
    headerRevision: num((r.header as { revision?: string } | undefined)?.revision),
  };
}
