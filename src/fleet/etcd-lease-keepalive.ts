// One lease's keep-alive stream on one member (EtcdClient.keepAlive opens it): `renew()` sends a
// keep-alive and resolves with the TTL etcd granted again, one renewal at a time, each bounded by
// the request timeout; a failed or ended stream fails every renewal after it with EtcdUnavailable.
import { num, reasonOf, type DuplexLike } from './etcd-grpc.js';
import { EtcdUnavailable } from './etcd-types.js';

export class LeaseKeepAlive {
  private waiting: { resolve: (ttl: number) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private failed: Error | undefined;

  /** @internal use EtcdClient.keepAlive */
  constructor(private readonly stream: DuplexLike, private readonly id: string, readonly endpoint: string, private readonly timeoutMs: number) {
    stream.on('data', (msg) => this.settle(undefined, num(msg.TTL)));
    stream.on('error', (e) => this.fail(new EtcdUnavailable(`${endpoint} lease keep-alive: ${reasonOf(e)}`)));
    stream.on('end', () => this.fail(new EtcdUnavailable(`${endpoint} lease keep-alive: the stream ended`)));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    this.settle(e, 0);
  }

  private settle(e: Error | undefined, ttl: number): void {
    const w = this.waiting;
    if (w === undefined) return;
    this.waiting = undefined;
    clearTimeout(w.timer);
    if (e !== undefined) w.reject(e);
    else w.resolve(ttl);
  }

  /** One keep-alive: the TTL etcd granted again (0: the lease expired). */
  renew(): Promise<number> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.waiting !== undefined) return Promise.reject(new EtcdUnavailable(`${this.endpoint} lease keep-alive: one renewal at a time`));
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new EtcdUnavailable(`${this.endpoint} lease keep-alive: no answer in ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiting = { resolve, reject, timer };
      this.stream.write({ ID: this.id });
    });
  }

  close(): void {
    this.fail(new EtcdUnavailable(`${this.endpoint} lease keep-alive: closed`));
    this.stream.cancel?.();
    this.stream.removeAllListeners();
    this.stream.on('error', () => undefined);
  }
}
