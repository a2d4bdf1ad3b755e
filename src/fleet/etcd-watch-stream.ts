// One etcd watch stream on one member (EtcdClient.watch opens it), multiplexing every watcher of
// its caller: watchers added and cancelled in place, progress requested and the liveness probe
// built on it (how the agents and an etcd store tell a quiet member from a frozen or unreachable
// one), and etcd's messages read in order as WatchMessages through an async iterator.
import { buf, keyValue, num, reasonOf, type DuplexLike } from './etcd-grpc.js';
import { EtcdUnavailable, type KeyBytes, type WatchEvent, type WatchMessage } from './etcd-types.js';

/**
 * One watch stream on one member: watchers added and cancelled in place, messages read in order
 * with `next()` (an async iterator), ending with EtcdUnavailable when the stream fails or closes.
 * `lastMessageAt` is what liveness probes read: how long the member has said nothing on it.
 */
export class EtcdWatchStream implements AsyncIterable<WatchMessage> {
  private nextId = 0;
  private readonly queue: WatchMessage[] = [];
  private ended: Error | undefined;
  private wake: (() => void) | undefined;
  private done = false;
  /** when the stream was opened, or last brought a message (read or not yet), ms since the epoch */
  lastMessageAt = Date.now();

  /** @internal use EtcdClient.watch */
  constructor(private readonly stream: DuplexLike, readonly endpoint: string) {
    stream.on('data', (msg) => {
      this.lastMessageAt = Date.now();
      this.push(watchMessage(msg));
    });
    stream.on('error', (e) => this.end(new EtcdUnavailable(`${endpoint} watch: ${reasonOf(e)}`)));
    stream.on('end', () => this.end(new EtcdUnavailable(`${endpoint} watch: the stream ended`)));
  }

  private push(msg: WatchMessage): void {
    this.queue.push(msg);
    this.wake?.();
  }

  private end(e: Error): void {
    this.ended ??= e;
    this.wake?.();
  }

  /** Adds a watcher on [key, rangeEnd) (or `key` alone) from `startRevision`; returns its id. */
  add(key: KeyBytes, rangeEnd: KeyBytes | undefined, startRevision: number): number {
    const id = this.nextId++;
    this.stream.write({
      create_request: { key: buf(key), ...(rangeEnd !== undefined ? { range_end: buf(rangeEnd) } : {}), start_revision: startRevision, watch_id: id },
    });
    return id;
  }

  cancel(id: number): void {
    this.stream.write({ cancel_request: { watch_id: id } });
  }

  /** Asks etcd for a progress notification (sent once the stream's watchers are caught up). */
  requestProgress(): void {
    this.stream.write({ progress_request: {} });
  }

  /**
   * Probes the member's liveness until the returned function is called: a stream that has said
   * nothing for a third of `silentAfterMs` is asked for progress (etcd answers at once, even when
   * no key changed); one silent for `silentAfterMs` (the member frozen, partitioned, or the
   * connection hung) is closed, after `onSilent` is told how long it was silent (ms). A probe tick
   * late by more than a period means this process was too busy to read (its own lag, not the
   * member's silence): it decides nothing.
   */
  probeLiveness(silentAfterMs: number, onSilent: (silentMs: number) => void): () => void {
    const probeMs = Math.max(50, Math.floor(silentAfterMs / 3));
    let lastTick = Date.now();
    const probe = setInterval(() => {
      const now = Date.now();
      const late = now - lastTick - probeMs;
      lastTick = now;
      if (late > probeMs) return;
      const since = now - this.lastMessageAt;
      if (since >= silentAfterMs) {
        onSilent(since);
        this.close();
      } else if (since >= probeMs) {
        this.requestProgress();
      }
    }, probeMs);
    probe.unref();
    return () => clearInterval(probe);
  }

  /** Ends the stream (the iterator then ends quietly). */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.stream.cancel?.();
    this.stream.removeAllListeners();
    this.stream.on('error', () => undefined);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WatchMessage> {
    try {
      for (;;) {
        if (this.done) return;
        const msg = this.queue.shift();
        if (msg !== undefined) {
          yield msg;
          continue;
        }
        if (this.ended !== undefined) throw this.ended;
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
      }
    } finally {
      this.close();
    }
  }
}

function watchMessage(r: Record<string, unknown>): WatchMessage {
  const events = ((r.events as { type?: string; kv?: Parameters<typeof keyValue>[0] }[] | undefined) ?? []).map((e): WatchEvent => {
    const kv = keyValue(e.kv ?? {});
    return { type: String(e.type).toUpperCase() === 'DELETE' ? 'delete' : 'put', key: kv.key, value: kv.value, modRevision: kv.modRevision };
  });
  const created = r.created === true;
  const canceled = r.canceled === true;
  const compactRevision = num(r.compact_revision);
  return {
    watchId: num(r.watch_id),
    created,
    events,
    compactRevision,
    canceled,
    cancelReason: String(r.cancel_reason ?? ''),
    headerRevision: num((r.header as { revision?: string } | undefined)?.revision),
    progress: !created && !canceled && compactRevision === 0 && events.length === 0,
  };
}
