// The fleet's one door to etcd: its v3 gRPC API through the npm `etcd3` package (connection,
// TLS credentials, auth tokens, the generated service clients). Nothing else in fleet imports etcd3.
//
// One etcd3 client per member, each with no retry or circuit-breaker policy of its own, so that
// this module decides which member a call goes to and what a failure means:
// - reads and lease calls try the members in turn, starting from the last one that answered, with a
//   per-attempt deadline; a request every member failed is EtcdUnavailable;
// - a txn that failed after it may have reached etcd is EtcdOutcomeUnknown: it may have committed,
//   or commit later (a proposal held by a frozen or cut-off member). Only a txn refused before it
//   was sent (no connection to any member) is plain EtcdUnavailable. The caller finds out the rest
//   (etcd-store-outcome.ts).
// - a watch (EtcdWatchStream) is one gRPC stream on one member multiplexing every watcher; watchers
//   are added and cancelled in place, and `requestProgress` asks etcd to say how far it is, which
//   the stream's liveness probe (probeLiveness, run by the agents and the etcd store) uses to tell
//   a quiet member from a frozen or unreachable one.
// Every request is bounded: each attempt on a member by the request timeout (the wait for an auth
// token included: etcd3 fetches one before the call's own deadline starts), and `close()` fails
// whatever is still waiting at once, so a caller stopping while etcd is frozen or cut off is not
// held by it.
//
// The watch and keep-alive streams it opens are etcd-watch-stream.ts and etcd-lease-keepalive.ts;
// the values and errors it speaks in, etcd-types.ts; the gRPC messages and failures it reads,
// etcd-grpc.ts.
import { Etcd3, type IOptions } from 'etcd3';
import { buf, GRPC, grpcCode, keyValue, num, reasonOf, type DuplexLike } from './etcd-grpc.js';
import { LeaseKeepAlive } from './etcd-lease-keepalive.js';
import {
  EtcdCompacted, EtcdOutcomeUnknown, EtcdRequestError, EtcdUnavailable,
  type Compare, type EtcdAuth, type EtcdTls, type KeyBytes, type KeyValue, type TxnOp, type TxnResult, type WatchEvent,
} from './etcd-types.js';
import { EtcdWatchStream } from './etcd-watch-stream.js';

export interface EtcdClientOptions {
  /** per attempt on one member (default 2000 ms) */
  requestTimeoutMs?: number;
  tls?: EtcdTls;
  auth?: EtcdAuth;
}

/** Failures another member may not have: the member is down, cut off, leaderless or slow. */
const RETRYABLE = new Set<number>([GRPC.CANCELLED, GRPC.UNKNOWN, GRPC.DEADLINE_EXCEEDED, GRPC.INTERNAL, GRPC.UNAVAILABLE]);

/** A failure before the request left this process: no connection to the member at all. */
function neverSent(e: unknown): boolean {
  return grpcCode(e) === GRPC.UNAVAILABLE && /No connection established|ECONNREFUSED|Failed to connect|Name resolution failed|EHOSTUNREACH|ENETUNREACH/i.test(reasonOf(e));
}

/** A grpc-js call as an interceptor sees it (etcd3 passes call options through to grpc-js). */
interface GrpcCall {
  cancelWithStatus(code: number, details: string): void;
}

/** grpc-js CallOptions, as far as used here */
type GrpcCallOptions = { deadline: number };

/** What the per-member etcd3 client lets this module reach (its service clients and its pool). */
interface MemberClient {
  readonly client: Etcd3;
  readonly endpoint: string;
}

interface PoolLike {
  withConnection(service: 'Watch', fn: (c: { client: { watch(md: unknown, opts: object): DuplexLike }; metadata: { clone(): { set(k: string, v: string): void } } }) => DuplexLike): Promise<DuplexLike>;
}

const noPolicy = { execute: <T>(fn: (ctx: unknown) => T | Promise<T>) => Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 1 })) };

export class EtcdClient {
  private preferred = 0;
  /** the member the next watch goes to: the preferred one first, then each in turn */
  private watchCursor: number | undefined;
  private keepAliveCursor: number | undefined;
  private readonly timeoutMs: number;
  private readonly members: MemberClient[];
  private closed = false;
  /** aborted by close(): every request still waiting fails at once */
  private readonly closing = new AbortController();
  /** token requests (etcd3 makes them before a call when auth is on), cancelled by close() */
  private readonly authCalls = new Set<GrpcCall>();

  constructor(readonly endpoints: readonly string[], options: EtcdClientOptions = {}) {
    if (endpoints.length === 0) throw new RangeError('at least one etcd endpoint is needed');
    this.timeoutMs = options.requestTimeoutMs ?? 2000;
    this.members = endpoints.map((endpoint) => {
      const o: IOptions = {
        hosts: [endpoint],
        dialTimeout: this.timeoutMs,
        // this module chooses members and retries: etcd3's own policies would hide which member a
        // txn reached and retry it behind our back
        faultHandling: { global: noPolicy as never, host: () => noPolicy as never },
        grpcOptions: {
          // a member that stops answering (frozen, partitioned) is found by the watch probe; these
          // only keep a dead TCP connection from lingering (long enough not to drop a live one
          // whose process is busy)
          'grpc.keepalive_time_ms': 30_000,
          'grpc.keepalive_timeout_ms': 20_000,
          // grpc-js waits up to 120 s between connection attempts to a member that refused; the
          // fleet's reconnects are capped near one second
          'grpc.initial_reconnect_backoff_ms': 200,
          'grpc.max_reconnect_backoff_ms': 1000,
          'grpc.max_receive_message_length': 64 * 1024 * 1024,
          'grpc.max_send_message_length': 64 * 1024 * 1024,
          // connections of its own, not shared with the other EtcdClients of the process: an API
          // server's watch behind a thousand in-process agents' (the benchmark) would share one
          // HTTP/2 connection window with them, and wait behind their backlogs
          'grpc.use_local_subchannel_pool': 1,
        },
      };
      if (options.tls !== undefined) {
        o.credentials = { rootCertificate: options.tls.ca ?? Buffer.alloc(0), privateKey: options.tls.key, certChain: options.tls.cert };
        if (options.tls.ca === undefined) delete (o.credentials as { rootCertificate?: Buffer }).rootCertificate;
      }
      // etcd3 asks for a token with no deadline of its own, and every call of the client waits for it:
      // a member frozen while it answers would hold them all
      if (options.auth !== undefined) o.auth = { username: options.auth.user, password: options.auth.password, callOptions: () => this.callOptions(this.authCalls) };
      return { client: new Etcd3(o), endpoint };
    });
  }

  /** the member the next request goes to first (the last one that answered) */
  get preferredEndpoint(): string {
    return this.endpoints[this.preferred]!;
  }

  /**
   * A call's options: the request timeout as its deadline, and an interceptor that hands the call
   * to `calls`, so that one given up (timed out, or the client closed) can be cancelled: a call
   * left waiting on a frozen member would keep the process alive until its deadline.
   */
  private callOptions(calls: Set<GrpcCall>): GrpcCallOptions {
    const keep = (options: object, next: (options: object) => GrpcCall): GrpcCall => {
      const call = next(options);
      if (this.closed) call.cancelWithStatus(GRPC.CANCELLED, 'the etcd client is closed');
      calls.add(call);
      // token requests are few and one at a time: the last few are all that can still be waiting
      if (calls === this.authCalls && calls.size > 8) calls.delete(calls.values().next().value!);
      return call;
    };
    return { deadline: Date.now() + this.timeoutMs, interceptors: [keep] } as GrpcCallOptions;
  }

  /**
   * `fn`'s call, unless the request timeout passes first (a DEADLINE_EXCEEDED, as etcd3's own
   * deadline would give once the call started: etcd3 may first wait for an auth token) or the
   * client is closed (EtcdUnavailable); the call given up is cancelled.
   */
  private async attempt<T>(m: MemberClient, what: string, fn: (m: MemberClient, call: GrpcCallOptions) => Promise<T>): Promise<T> {
    const calls = new Set<GrpcCall>();
    let settled = false;
    try {
      const r = await withTimeout(fn(m, this.callOptions(calls)), this.timeoutMs, what, this.closing.signal, () => Object.assign(new Error(`${what}: no answer in ${this.timeoutMs} ms`), { code: GRPC.DEADLINE_EXCEEDED }));
      settled = true;
      return r;
    } finally {
      if (!settled) for (const c of calls) c.cancelWithStatus(GRPC.CANCELLED, `${what}: given up`);
    }
  }

  /**
   * Runs `fn` on the members in turn from the preferred one; a failure another member may not have
   * moves on. `onFailure` may turn a failure into a final error (e.g. a txn whose outcome is unknown).
   */
  private async onAny<T>(what: string, fn: (m: MemberClient, call: GrpcCallOptions) => Promise<T>, mayRetry: (e: unknown) => boolean = () => true): Promise<T> {
    if (this.closed) throw new EtcdUnavailable(`${what}: the etcd client is closed`);
    const failures: string[] = [];
    for (let i = 0; i < this.members.length; i++) {
      const at = (this.preferred + i) % this.members.length;
      const m = this.members[at]!;
      try {
        const r = await this.attempt(m, `${m.endpoint} ${what}`, fn);
        this.preferred = at;
        return r;
      } catch (e) {
        if (this.closed) {
          // a txn that may have left is not known not to commit
          if (mayRetry(e)) throw new EtcdUnavailable(`${what}: the etcd client is closed`);
          throw new EtcdOutcomeUnknown(`${m.endpoint} ${what}: the etcd client was closed before it answered (the outcome is unknown)`);
        }
        const code = grpcCode(e);
        if (code === GRPC.OUT_OF_RANGE) throw new EtcdCompacted(`${m.endpoint} ${what}: ${reasonOf(e)}`);
        if (code === undefined || !RETRYABLE.has(code)) {
          if (e instanceof EtcdOutcomeUnknown) throw e;
          throw new EtcdRequestError(`${m.endpoint} ${what}: ${reasonOf(e)}`, code ?? GRPC.UNKNOWN);
        }
        if (!mayRetry(e)) {
          this.preferred = (at + 1) % this.members.length; // whatever comes next goes elsewhere
          throw new EtcdOutcomeUnknown(`${m.endpoint} ${what}: ${reasonOf(e)} (the outcome is unknown)`);
        }
        failures.push(`${m.endpoint}: ${reasonOf(e)}`);
      }
    }
    throw new EtcdUnavailable(`no etcd endpoint answered ${what} (${failures.join('; ')})`);
  }

  /**
   * The keys in [key, rangeEnd) (or `key` alone), at the newest revision or at `atRevision`
   * (EtcdCompacted when that revision was compacted).
   */
  async range(key: KeyBytes, rangeEnd?: KeyBytes, atRevision?: number): Promise<{ revision: number; kvs: KeyValue[] }> {
    const req = { key: buf(key), ...(rangeEnd !== undefined ? { range_end: buf(rangeEnd) } : {}), ...(atRevision !== undefined ? { revision: atRevision } : {}) };
    const res = await this.onAny('range', (m, call) => m.client.kv.range(req, call));
    return { revision: num(res.header.revision), kvs: res.kvs.map(keyValue) };
  }

  /**
   * One transaction: when every compare holds, `success` runs, else `failure`. EtcdUnavailable only
   * when it reached no member; EtcdOutcomeUnknown when it may have committed.
   */
  async txn(compares: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[] = []): Promise<TxnResult> {
    const op = (o: TxnOp): object => {
      if ('put' in o) return { request_put: { key: buf(o.put.key), value: Buffer.from(o.put.value, 'utf8'), ...(o.put.lease !== undefined ? { lease: o.put.lease } : {}) } };
      if ('delete' in o) return { request_delete_range: { key: buf(o.delete.key) } };
      return { request_range: { key: buf(o.range.key) } };
    };
    const req = {
      compare: compares.map((c) => ({ key: buf(c.key), target: 'Mod' as const, result: 'Equal' as const, mod_revision: c.modRevision })),
      success: success.map(op),
      failure: failure.map(op),
    };
    const res = await this.onAny('txn', (m, call) => m.client.kv.txn(req, call), neverSent);
    return {
      succeeded: res.succeeded,
      revision: num(res.header.revision),
      ranges: res.responses.filter((r) => r.response_range !== undefined && r.response_range !== null).map((r) => r.response_range.kvs.map(keyValue)),
    };
  }

  /** Compacts the history up to `revision` (operators and tests; the agents recover by listing). */
  async compact(revision: number): Promise<void> {
    await this.onAny('compact', (m, call) => m.client.kv.compact({ revision, physical: true }, call));
  }

  /** A lease of `ttlSeconds`; its id (a decimal string: int64 does not fit a JS number). */
  async leaseGrant(ttlSeconds: number): Promise<string> {
    const res = await this.onAny('lease grant', (m, call) => m.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }, call));
    return String(res.ID);
  }

  async leaseRevoke(id: string): Promise<void> {
    await this.onAny('lease revoke', (m, call) => m.client.leaseClient.leaseRevoke({ ID: id }, call));
  }

  /**
   * A keep-alive stream for one lease on the preferred member: `renew()` sends one keep-alive and
   * resolves with the remaining TTL (0: the lease expired), rejecting after the request timeout.
   */
  async keepAlive(id: string): Promise<LeaseKeepAlive> {
    const at = (this.keepAliveCursor ?? this.preferred) % this.members.length;
    const m = this.members[at]!;
    this.keepAliveCursor = (at + 1) % this.members.length;
    if (this.closed) throw new EtcdUnavailable('lease keep-alive: the etcd client is closed');
    const stream = await withTimeout(m.client.leaseClient.leaseKeepAlive(), this.timeoutMs, `${m.endpoint} lease keep-alive`, this.closing.signal);
    return new LeaseKeepAlive(stream as unknown as DuplexLike, id, m.endpoint, this.timeoutMs);
  }

  /**
   * A watch stream on the next member in turn (so a reconnect after a member failed goes
   * elsewhere). `hasleader` asks etcd to cancel the watchers when the member loses its leader
   * (clientv3's WithRequireLeader), so a member cut off from the quorum does not keep them silent.
   */
  async watch(): Promise<EtcdWatchStream> {
    if (this.closed) throw new EtcdUnavailable('watch: the etcd client is closed');
    const at = (this.watchCursor ?? this.preferred) % this.members.length;
    const m = this.members[at]!;
    this.watchCursor = (at + 1) % this.members.length;
    const pool = (m.client as unknown as { pool: PoolLike }).pool;
    try {
      const stream = await withTimeout(
        pool.withConnection('Watch', ({ client, metadata }) => {
          const md = metadata.clone();
          md.set('hasleader', 'true');
          return client.watch(md, {});
        }),
        this.timeoutMs,
        `${m.endpoint} watch`,
        this.closing.signal,
      );
      return new EtcdWatchStream(stream, m.endpoint);
    } catch (e) {
      if (e instanceof EtcdUnavailable) throw e;
      throw new EtcdUnavailable(`${m.endpoint} watch: ${reasonOf(e)}`);
    }
  }

  /**
   * The first change of `key` at `fromRevision` or later, if there is one within the request
   * timeout (undefined: none yet). EtcdCompacted when that history is gone.
   */
  async firstChange(key: KeyBytes, fromRevision: number): Promise<WatchEvent | undefined> {
    const stream = await this.watch();
    const timer = setTimeout(() => stream.close(), this.timeoutMs);
    try {
      stream.add(key, undefined, fromRevision);
      for await (const msg of stream) {
        if (msg.compactRevision > 0) throw new EtcdCompacted(`${stream.endpoint}: revision ${fromRevision} of ${String(key)} was compacted (at ${msg.compactRevision})`);
        if (msg.canceled) throw new EtcdUnavailable(`${stream.endpoint}: the watch was cancelled: ${msg.cancelReason}`);
        if (msg.events.length > 0) return msg.events[0];
      }
      return undefined;
    } finally {
      clearTimeout(timer);
      stream.close();
    }
  }

  /** Closes the connections; every request still waiting fails at once with EtcdUnavailable. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    for (const c of this.authCalls) c.cancelWithStatus(GRPC.CANCELLED, 'the etcd client is closed');
    this.authCalls.clear();
    for (const m of this.members) {
      // etcd3 closes a channel still connecting (to a frozen member) only a second later, a
      // workaround for an old grpc-js (grpc/grpc-node#1487) that holds the process: closed now
      const hosts = (m.client as unknown as { pool: { hosts?: { cachedServices?: Record<string, { close(): void } | undefined> }[] } }).pool.hosts ?? [];
      for (const h of hosts) for (const service of Object.values(h.cachedServices ?? {})) service?.close();
      m.client.close();
    }
  }
}

/**
 * `p`, or a rejection after `ms` (`timedOut()`, else EtcdUnavailable) or once `closing` aborts
 * (EtcdUnavailable). A stream `p` brings after it lost is closed.
 */
async function withTimeout<T>(p: Promise<T>, ms: number, what: string, closing: AbortSignal, timedOut?: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  let lost = false;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timedOut?.() ?? new EtcdUnavailable(`${what}: timed out`)), ms);
        onClose = () => reject(new EtcdUnavailable(`${what}: the etcd client is closed`));
        if (closing.aborted) onClose();
        else closing.addEventListener('abort', onClose, { once: true });
      }),
    ]);
  } catch (e) {
    lost = true;
    throw e;
  } finally {
    clearTimeout(timer);
    if (onClose !== undefined) closing.removeEventListener('abort', onClose);
    // a late answer: a stream nobody reads is cancelled, a rejection nobody awaits is ignored
    if (lost) p.then((late) => (late as { cancel?: () => void } | null)?.cancel?.(), () => undefined);
  }
}

