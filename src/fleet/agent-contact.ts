// Whether a fleet agent is in contact with etcd, and since when the state it enforces may be stale:
// what `connected` and `staleSeconds` report, what the state file records as `currentAt`, and the
// lost / back log lines (one per outage).
import type { AgentLog } from './agent-options.js';

export class EtcdContact {
  private connectedNow = false;
  /** lost etcd (or booted without it) since the last contact: the next contact logs and reconciles */
  private wasLost = false;
  private lastCurrentAt = Date.now();

  constructor(
    private readonly hostId: string,
    private readonly log: AgentLog,
    private readonly appliedRevision: () => number,
    /** etcd answers again after it was lost */
    private readonly onBack: () => void,
  ) {}

  get connected(): boolean {
    return this.connectedNow;
  }

  /** ms since the epoch: now while connected, else the last time the state was known current */
  get currentAt(): number {
    return this.connectedNow ? Date.now() : this.lastCurrentAt;
  }

  /** 0 while connected; else seconds since the agent last knew its state current */
  staleSeconds(now = Date.now()): number {
    return this.connectedNow ? 0 : Math.max(0, (now - this.lastCurrentAt) / 1000);
  }

  /** Booted from the state file, current as of `currentAt`, without etcd. */
  bootedWithout(currentAt: number): void {
    this.lastCurrentAt = currentAt;
    this.wasLost = true;
  }

  /** etcd answered: the state in force is current now. */
  reached(): void {
    if (!this.connectedNow && this.wasLost) {
      this.wasLost = false;
      const stale = this.staleSeconds();
      this.log(`fleet agent ${this.hostId}: etcd reachable again after ${stale.toFixed(1)} s; resuming from revision ${this.appliedRevision() + 1}`, {
        event: 'fleet-reconnected', level: 'info', staleSeconds: stale, revision: this.appliedRevision(),
      });
      this.onBack();
    }
    this.connectedNow = true;
    this.lastCurrentAt = Date.now();
  }

  /**
   * etcd failed (the stream broke, was refused) or fell silent (`silent`: no answer, not even to a
   * progress request, for the stale time: a frozen or partitioned member, a hung connection). The
   * state in force has been current since `lastHeardAt`. Logged once per outage.
   */
  lost(e: Error, lastHeardAt: number, silent: boolean): void {
    if (this.connectedNow) {
      this.lastCurrentAt = Math.min(Date.now(), lastHeardAt);
      this.log(`fleet agent ${this.hostId}: ${silent ? 'etcd went silent' : 'lost etcd'} (${e.message}); enforcing revision ${this.appliedRevision()} until it is back`, {
        event: 'fleet-disconnected', level: 'warn', revision: this.appliedRevision(), error: e.message, silent,
      });
    }
    this.connectedNow = false;
    this.wasLost = true;
  }
}
