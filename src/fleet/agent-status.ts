// The agent's report in etcd: `status/<host-id>` holds the revision it has applied, on a lease the
// agent keeps alive, so the key disappears by itself when the agent dies or loses etcd for longer
// than the TTL (issue 9). The lease is renewed on a gRPC keep-alive stream (one message each way per
// renewal, at a third of the TTL), reopened on the next member when it fails. Written at most once per interval and only when the revision moved: with
// a thousand agents, a write per agent per change would multiply every change by the fleet's size.
// On an etcd with auth, a write etcd refuses (the agent's role does not grant its status key, or the
// agent runs as another host's user) is reported once through `onRefused` until a write succeeds:
// the report is missing, enforcement is not affected.
import { SerialQueue } from '../control/serial-queue.js';
import type { EtcdClient } from './etcd-client.js';
import type { LeaseKeepAlive } from './etcd-lease-keepalive.js';
import { EtcdRequestError } from './etcd-types.js';

/** gRPC's PERMISSION_DENIED: what etcd answers a write the user's roles do not grant */
const PERMISSION_DENIED = 7;

export interface AgentStatusValue {
  readonly hostId: string;
  readonly revision: number;
  readonly interfaces: number;
  /** ms since the epoch */
  readonly at: number;
}

export class AgentStatusReporter {
  private lease: string | undefined;
  private keepAlive: LeaseKeepAlive | undefined;
  private lastKeepAlive = 0;
  private written = -1;
  private timer: NodeJS.Timeout | undefined;
  /** ticks, one at a time (a tick never rejects: report() keeps its failure in lastError) */
  private readonly ticks = new SerialQueue();
  /** the last write or keepalive failure, cleared on success */
  lastError: string | undefined;
  /** a refusal was reported and no write has succeeded since */
  private refusalReported = false;

  constructor(
    private readonly client: EtcdClient,
    private readonly key: string,
    private readonly current: () => AgentStatusValue,
    private readonly ttlSeconds = 10,
    private readonly intervalMs = 1000,
    /** etcd refused the write (permission): called once, again only after a write succeeded */
    private readonly onRefused: (reason: string) => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.busy) void this.ticks.run(() => this.tick());
    }, this.intervalMs);
    this.timer.unref();
    void this.ticks.run(() => this.tick());
  }

  /** Writes now if the revision moved (for tests and shutdown paths). */
  flush(): Promise<void> {
    return this.ticks.run(() => this.tick());
  }

  private busy = false;

  private async tick(): Promise<void> {
    this.busy = true;
    try {
      await this.report();
    } finally {
      this.busy = false;
    }
  }

  private async report(): Promise<void> {
    try {
      const now = Date.now();
      if (this.lease === undefined) {
        this.lease = await this.client.leaseGrant(this.ttlSeconds);
        this.lastKeepAlive = now;
        this.written = -1;
      } else if (now - this.lastKeepAlive >= (this.ttlSeconds * 1000) / 3) {
        this.keepAlive ??= await this.client.keepAlive(this.lease);
        let ttl: number;
        try {
          ttl = await this.keepAlive.renew();
        } catch (e) {
          this.keepAlive.close();
          this.keepAlive = undefined; // the next tick opens one on the next member
          throw e;
        }
        if (ttl <= 0) {
          this.keepAlive.close();
          this.keepAlive = undefined;
          this.lease = undefined; // expired while etcd was away: a new lease and a new write
          return this.report();
        }
        this.lastKeepAlive = now;
      }
      const value = this.current();
      if (value.revision === this.written) return;
      await this.client.txn([], [{ put: { key: this.key, value: JSON.stringify(value), lease: this.lease } }]);
      this.written = value.revision;
      this.lastError = undefined;
      this.refusalReported = false;
    } catch (e) {
      this.lastError = (e as Error).message;
      if (e instanceof EtcdRequestError && e.grpcCode === PERMISSION_DENIED && !this.refusalReported) {
        this.refusalReported = true;
        this.onRefused(e.message);
      }
    }
  }

  /**
   * Stops reporting and revokes the lease (the status key goes with it), giving etcd `withinMs`
   * for it: false when it did not answer in time (frozen, cut off), the key then expiring with
   * its lease's TTL.
   */
  async stop(withinMs: number): Promise<boolean> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const lastWords = (async (): Promise<boolean> => {
      await this.ticks.idle();
      this.keepAlive?.close();
      this.keepAlive = undefined;
      const lease = this.lease;
      this.lease = undefined;
      if (lease === undefined) return true;
      return this.client.leaseRevoke(lease).then(() => true, () => false);
    })();
    let timer: NodeJS.Timeout | undefined;
    const revoked = await Promise.race([lastWords, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), withinMs)))]);
    clearTimeout(timer);
    if (!revoked) {
      this.keepAlive?.close();
      this.keepAlive = undefined;
    }
    return revoked;
  }
}
