// What a fleet agent holds: the etcd keys that concern its host, and the ModelView the Dataplane
// compiles from them (issue 9).
//
// Concerned keys, derived from the held keys themselves:
//   host/<host-id>/            which interfaces are this host's
//   eni/<eni-id>               each of them (addresses, groups, conntrack timeouts)
//   sg/<sg-id>                 each of their groups (rules)
//   member/<sg-id>/            the members of every group those rules reference
//   pl/<pl-id>                 every prefix list those rules reference
// A referenced group's own record (sg/<ref>) is not watched: nothing in it reaches the classifier,
// only its members do, and a group with members cannot be deleted.
//
// The view enforces only this host's interfaces, so a rule naming a group cannot be expanded from
// `interfaces()` (the Dataplane's members come from the interfaces it manages, and the members of a
// referenced group mostly live on other hosts). The view hands the Dataplane such rules with the
// peer replaced by a member list, `MEMBER_LIST_PREFIX + sg-id`, a prefix list whose entries are the
// members' addresses: one rule stays one rule, and a membership change is a change of that list.
import { awsPrefixListRecords, DEFAULT_REGION } from '../control/aws-prefix-lists.js';
import type { GroupRecord, InterfaceRecord, PrefixListRecord, RuleRecord } from '../control/records.js';
import type { GroupView, InterfaceView, ModelView, PrefixListView, RuleView } from '../model/model-view.js';
import type { ModelChange } from '../dataplane/dataplane.js';
import { prefixRangeEnd, type KeyLayout } from './key-layout.js';
import type { MemberValue } from './state-codec.js';

/** The id of the synthetic prefix list standing for a group's members (no EC2 id has a ':'). */
export const MEMBER_LIST_PREFIX = 'sgfw-members:';

export interface HeldKey {
  /** null: deleted at `modRevision` (kept so that an older event cannot bring it back) */
  readonly value: string | null;
  readonly modRevision: number;
}

export interface KeyEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
}

/** A range to list and watch: one key, or every key under a prefix. */
export interface ConcernedRange {
  readonly key: string;
  readonly prefix: boolean;
}

export function rangeEnd(r: ConcernedRange): Buffer | undefined {
  return r.prefix ? prefixRangeEnd(r.key) : undefined;
}

const rangeId = (r: ConcernedRange): string => (r.prefix ? `${r.key}*` : r.key);

/** A change in the shape the Dataplane takes, plus whether anything changed at all. */
export interface ViewChange extends ModelChange {
  readonly groupIds: string[];
  readonly interfaceIds: string[];
  readonly prefixListIds: string[];
}

function emptyChange(): ViewChange {
  return { groupIds: [], interfaceIds: [], prefixListIds: [] };
}

export function isEmptyChange(c: ViewChange): boolean {
  return c.groupIds.length + c.interfaceIds.length + c.prefixListIds.length === 0;
}

export function mergeChanges(a: ViewChange, b: ViewChange): ViewChange {
  const u = (x: string[], y: string[]): string[] => [...new Set([...x, ...y])];
  return { groupIds: u(a.groupIds, b.groupIds), interfaceIds: u(a.interfaceIds, b.interfaceIds), prefixListIds: u(a.prefixListIds, b.prefixListIds) };
}

function parse<T>(value: string): T | undefined {
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}

function rewriteRule(r: RuleRecord): RuleView {
  if (r.peer.kind !== 'group') return r;
  return { ...r, peer: { kind: 'prefix-list', prefixListId: MEMBER_LIST_PREFIX + r.peer.groupId } };
}

export class FleetView implements ModelView {
  private versionCounter = 0;
  private readonly held = new Map<string, HeldKey>();
  private readonly hostEnis = new Set<string>();
  private readonly enis = new Map<string, InterfaceView>();
  private readonly groupViews = new Map<string, GroupView>();
  /** referenced groups and prefix lists of each group's rules */
  private readonly groupRefs = new Map<string, { groups: string[]; lists: string[] }>();
  private readonly lists = new Map<string, PrefixListView>();
  private readonly members = new Map<string, Map<string, MemberValue>>();
  private readonly memberLists = new Map<string, PrefixListView>();
  private readonly awsLists: ReadonlyMap<string, PrefixListRecord>;
  private readonly hostPrefix: string;

  constructor(
    readonly layout: KeyLayout,
    readonly hostId: string,
    region: string = DEFAULT_REGION,
  ) {
    this.awsLists = awsPrefixListRecords(region);
    this.hostPrefix = layout.hostInterfaces(hostId);
  }

  // ---- ModelView ---------------------------------------------------------------------------------

  get version(): number {
    return this.versionCounter;
  }
  groups(): Iterable<GroupView> {
    return this.groupViews.values();
  }
  group(groupId: string): GroupView | undefined {
    return this.groupViews.get(groupId);
  }
  interfaces(): Iterable<InterfaceView> {
    return this.enis.values();
  }
  prefixList(prefixListId: string): PrefixListView | undefined {
    if (prefixListId.startsWith(MEMBER_LIST_PREFIX)) return this.memberList(prefixListId.slice(MEMBER_LIST_PREFIX.length));
    return this.lists.get(prefixListId) ?? this.awsLists.get(prefixListId);
  }

  // ---- held keys ---------------------------------------------------------------------------------

  /** the live keys held (no tombstones), for the state file and comparisons */
  liveKeys(): Map<string, { value: string; modRevision: number }> {
    const out = new Map<string, { value: string; modRevision: number }>();
    for (const [k, h] of this.held) if (h.value !== null) out.set(k, { value: h.value, modRevision: h.modRevision });
    return out;
  }

  heldKey(key: string): HeldKey | undefined {
    return this.held.get(key);
  }

  /**
   * Applies events of one or more whole revisions, in order. An event older than what is held for
   * its key (a repeat after a reconnect, or a key listed after it changed) is skipped.
   */
  applyEvents(events: readonly KeyEvent[]): ViewChange {
    const change = emptyChange();
    for (const e of events) {
      const held = this.held.get(e.key);
      if (held !== undefined && held.modRevision >= e.modRevision) continue;
      this.set(e.key, e.type === 'delete' ? null : e.value, e.modRevision, change);
    }
    return this.finish(change);
  }

  /**
   * Makes the held keys equal to `listed` (a list of every concerned range at one revision):
   * returns what changed and how many keys differed.
   */
  replaceWith(listed: ReadonlyMap<string, { value: string; modRevision: number }>, atRevision: number): { change: ViewChange; differing: string[] } {
    const change = emptyChange();
    const differing: string[] = [];
    for (const [key, kv] of listed) {
      const held = this.held.get(key);
      if (held?.value !== kv.value) differing.push(key);
      this.set(key, kv.value, kv.modRevision, change, held?.value === kv.value);
    }
    for (const [key, held] of [...this.held]) {
      if (listed.has(key)) continue;
      if (held.value !== null) differing.push(key);
      // Deleted by `atRevision` (or never there): a tombstone at that revision.
      this.set(key, null, Math.max(held.modRevision, atRevision), change, held.value === null);
    }
    return { change: this.finish(change), differing };
  }

  /** Every range this host's enforcement depends on, as the held keys say now. */
  concernedRanges(): ConcernedRange[] {
    const out: ConcernedRange[] = [{ key: this.hostPrefix, prefix: true }];
    const groups = new Set<string>();
    for (const eni of this.hostEnis) {
      out.push({ key: this.layout.interface(eni), prefix: false });
      for (const g of this.enis.get(eni)?.groupIds ?? []) groups.add(g);
    }
    const refGroups = new Set<string>();
    const refLists = new Set<string>();
    for (const g of groups) {
      out.push({ key: this.layout.group(g), prefix: false });
      const refs = this.groupRefs.get(g);
      for (const r of refs?.groups ?? []) refGroups.add(r);
      for (const l of refs?.lists ?? []) if (!this.awsLists.has(l)) refLists.add(l);
    }
    for (const r of refGroups) out.push({ key: this.layout.members(r), prefix: true });
    for (const l of refLists) out.push({ key: this.layout.prefixList(l), prefix: false });
    return out;
  }

  /** A stable name of a set of ranges: equal names, equal watches. */
  static signature(ranges: readonly ConcernedRange[]): string {
    return ranges.map(rangeId).sort().join('\n');
  }

  /** Whether `key` lies in one of `ranges`. */
  static inRanges(key: string, ranges: readonly ConcernedRange[]): boolean {
    return ranges.some((r) => (r.prefix ? key.startsWith(r.key) : key === r.key));
  }

  /** Forgets held keys outside `ranges` (no longer concerned): they change nothing compiled. */
  prune(ranges: readonly ConcernedRange[]): void {
    for (const key of [...this.held.keys()]) {
      if (FleetView.inRanges(key, ranges)) continue;
      this.set(key, null, 0, emptyChange());
      this.held.delete(key);
    }
  }

  // ---- internals ---------------------------------------------------------------------------------

  private finish(change: ViewChange): ViewChange {
    if (!isEmptyChange(change)) this.versionCounter++;
    return change;
  }

  private memberList(groupId: string): PrefixListView | undefined {
    let list = this.memberLists.get(groupId);
    if (list !== undefined) return list;
    const members = this.members.get(groupId);
    if (members === undefined) return undefined;
    const entries: { cidr: string }[] = [];
    for (const m of members.values()) {
      for (const a of m.ipv4) entries.push({ cidr: `${a}/32` });
      for (const a of m.ipv6) entries.push({ cidr: `${a}/128` });
    }
    list = { prefixListId: MEMBER_LIST_PREFIX + groupId, name: `members of ${groupId}`, addressFamily: 'IPv4', version: 1, entries };
    this.memberLists.set(groupId, list);
    return list;
  }

  /** Sets one key and updates what derives from it; `quiet`: the value is unchanged. */
  private set(key: string, value: string | null, modRevision: number, change: ViewChange, quiet = false): void {
    this.held.set(key, { value, modRevision });
    if (quiet) return;
    const p = this.layout.prefix;
    if (key.startsWith(this.hostPrefix)) {
      const eni = key.slice(this.hostPrefix.length);
      if (value === null) this.hostEnis.delete(eni);
      else this.hostEnis.add(eni);
      this.refreshInterface(eni, change);
      return;
    }
    const at = this.layout.parse(key);
    if (at === undefined || !key.startsWith(p)) return;
    switch (at.section) {
      case 'eni':
        this.refreshInterface(at.rest, change);
        break;
      case 'sg': {
        const g = value === null ? undefined : parse<GroupRecord>(value);
        if (g === undefined || g.groupId !== at.rest) {
          this.groupViews.delete(at.rest);
          this.groupRefs.delete(at.rest);
        } else {
          this.groupViews.set(at.rest, { ...g, ingress: g.ingress.map(rewriteRule), egress: g.egress.map(rewriteRule) });
          const rules = [...g.ingress, ...g.egress];
          this.groupRefs.set(at.rest, {
            groups: rules.flatMap((r) => (r.peer.kind === 'group' ? [r.peer.groupId] : [])),
            lists: rules.flatMap((r) => (r.peer.kind === 'prefix-list' ? [r.peer.prefixListId] : [])),
          });
        }
        change.groupIds.push(at.rest);
        break;
      }
      case 'member': {
        const slash = at.rest.indexOf('/');
        if (slash < 0) return;
        const groupId = at.rest.slice(0, slash);
        const eni = at.rest.slice(slash + 1);
        const m = value === null ? undefined : parse<MemberValue>(value);
        let set = this.members.get(groupId);
        if (m !== undefined && Array.isArray(m.ipv4) && Array.isArray(m.ipv6)) {
          if (set === undefined) this.members.set(groupId, (set = new Map()));
          set.set(eni, m);
        } else if (set !== undefined) {
          set.delete(eni);
          if (set.size === 0) this.members.delete(groupId);
        }
        this.memberLists.delete(groupId);
        change.prefixListIds.push(MEMBER_LIST_PREFIX + groupId);
        break;
      }
      case 'pl': {
        const pl = value === null ? undefined : parse<PrefixListRecord>(value);
        if (pl === undefined || !Array.isArray(pl.entries)) this.lists.delete(at.rest);
        else this.lists.set(at.rest, pl);
        change.prefixListIds.push(at.rest);
        break;
      }
      default:
        break;
    }
  }

  private refreshInterface(eni: string, change: ViewChange): void {
    const held = this.held.get(this.layout.interface(eni));
    const record = this.hostEnis.has(eni) && held?.value != null ? parse<InterfaceRecord>(held.value) : undefined;
    const had = this.enis.has(eni);
    if (record !== undefined && record.interfaceId === eni && Array.isArray(record.groupIds)) this.enis.set(eni, record);
    else this.enis.delete(eni);
    if (had || this.enis.has(eni)) change.interfaceIds.push(eni);
  }
}
