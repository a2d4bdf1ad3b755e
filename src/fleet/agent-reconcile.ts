// The fleet agent's reconcile: finds what the watch lost (etcd 3.4's watch bugs, etcd-io/etcd
// #17529, #18089) by listing every concerned range and comparing, and repairs it. Runs periodically,
// on demand, and a while after etcd came back (not in the middle of the catch-up).
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentLog, FleetAgentOptions, FleetAgentStats } from './agent-options.js';
import { noChange, type AppliedState } from './agent-applied.js';
import type { EtcdContact } from './agent-contact.js';
import type { WatchFollower } from './agent-follow.js';

export class Reconciler {
  private reconciling = false;
  private periodic: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;

  constructor(
    private readonly applied: AppliedState,
    private readonly follower: WatchFollower,
    private readonly contact: EtcdContact,
    private readonly stats: FleetAgentStats,
    private readonly options: FleetAgentOptions,
    private readonly log: AgentLog,
    private readonly stopSignal: AbortSignal,
  ) {}

  /** Every `everyMs` (0: never). */
  startPeriodic(everyMs: number): void {
    if (everyMs <= 0) return;
    this.periodic = setInterval(() => void this.reconcile().catch(() => undefined), everyMs);
    this.periodic.unref();
  }

  /** Once, `reconcileAfterReconnectMs` from now (unless one is due already). */
  scheduleSoon(): void {
    if (this.soon !== undefined || this.stopSignal.aborted) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.reconcile().catch(() => undefined);
    }, this.options.reconcileAfterReconnectMs ?? 10_000);
    this.soon.unref();
  }

  /** A listing of every range took the place of the reconcile due soon. */
  cancelSoon(): void {
    if (this.soon !== undefined) clearTimeout(this.soon);
    this.soon = undefined;
  }

  stop(): void {
    if (this.periodic !== undefined) clearInterval(this.periodic);
    if (this.soon !== undefined) clearTimeout(this.soon);
  }

  /**
   * Compares what is applied with etcd: lists every concerned range at the newest revision. Equal,
   * the agent is current as of that revision. Different, the difference may be events still on
   * their way: after `reconcileGraceMs` it lists again, and a key that still differs the same way
   * (same mod_revision listed, same value held) was lost by the watch: the agent installs the
   * listing, counting those keys as repairs. Returns the keys repaired.
   */
  async reconcile(): Promise<number> {
    if (this.stopSignal.aborted || !this.contact.connected || this.reconciling) return 0;
    this.reconciling = true;
    try {
      const first = await this.applied.queue.run(async () => {
        await this.follower.flushPending();
        this.stats.reconciles++;
        const listing = await this.applied.listConcerned();
        const differing = differences(listing.kvs, this.applied.view.liveKeys());
        if (differing.size === 0) {
          // Current as of the last API call (`head`, rewritten by every call) at the listing's
          // revision, not as of the listing's revision itself: that one moves with every write to
          // the store, other agents' status keys included, and reporting it would make each
          // reconcile write this agent's status, N agents' writes moving each other's revisions.
          this.applied.advanceTo(await this.applied.lastCallRevision(listing.revision));
          this.contact.reached();
          this.applied.emit(noChange());
        }
        return differing;
      });
      if (first.size === 0) return 0;
      await sleep(this.options.reconcileGraceMs ?? 1000, undefined, { signal: this.stopSignal }).catch(() => undefined);
      if (this.stopSignal.aborted) return 0;
      return await this.applied.queue.run(async () => {
        await this.follower.flushPending();
        const listing = await this.applied.listConcerned();
        const again = differences(listing.kvs, this.applied.view.liveKeys());
        const lost = [...again].filter(([key, d]) => first.get(key) === d).map(([key]) => key);
        if (lost.length === 0) return 0; // the watch delivered them meanwhile
        const watched = this.applied.coveredKey();
        this.applied.install(listing);
        this.stats.repairs += lost.length;
        this.log(`fleet agent ${this.options.hostId}: reconcile at revision ${listing.revision} repaired ${lost.length} key(s) the watch did not deliver: ${lost.slice(0, 5).join(', ')}`, {
          event: 'fleet-repaired', level: 'warn', revision: listing.revision, repaired: lost.length, keys: lost.slice(0, 5), repairsTotal: this.stats.repairs,
        });
        // The repair changed what concerns this host: a stream over the new ranges.
        if (this.applied.coveredKey() !== watched) this.follower.rewatch();
        return lost.length;
      });
    } finally {
      this.reconciling = false;
    }
  }
}

/** Keys whose listed and held values differ, each with a description of the difference. */
function differences(
  listed: ReadonlyMap<string, { value: string; modRevision: number }>,
  held: ReadonlyMap<string, { value: string; modRevision: number }>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of listed) {
    const h = held.get(k);
    if (h?.value !== v.value) out.set(k, `listed@${v.modRevision} held@${h?.modRevision ?? 'none'}`);
  }
  for (const [k, h] of held) if (!listed.has(k)) out.set(k, `absent held@${h.modRevision}`);
  return out;
}
