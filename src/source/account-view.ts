// What this host enforces of an EC2 account (`sgfw run --source ec2`): the model of the whole
// account as one poll read it, narrowed to this host's interfaces, those whose private address is
// one of the host's own or whose `sgfw:host-id` tag names the host.
//
// The Dataplane takes the members of a referenced group from the interfaces it manages, but the
// members of a group mostly sit on other machines. So, as the fleet agent's view does
// (fleet/agent-view.ts), a rule naming a group is handed over with its peer replaced by a member
// list, `MEMBER_LIST_PREFIX + sg-id`, a prefix list of the private addresses of every listed
// interface in that group: one rule stays one rule, and a membership change elsewhere in the
// account is a change of that list.
//
// Immutable: every poll builds a new one, and `diffViews` (over dataplane/model-diff.ts, as a SIGHUP
// reload of state files) says what a Dataplane must recompile.
import ipaddr from 'ipaddr.js';
import { hostIdOf } from '../control/host-id.js';
import { diffModels, type ModelDiff } from '../dataplane/model-diff.js';
import type { InterfaceRecord } from '../control/records.js';
import type { GroupView, InterfaceView, ModelView, PrefixListView, RuleView } from '../model/model-view.js';

/** The id of the synthetic prefix list standing for a group's members (no EC2 id has a ':'). */
export const MEMBER_LIST_PREFIX = 'sgfw-members:';

/** Which interfaces are this host's. */
export interface HostSelection {
  readonly hostId: string;
  /** the host's own addresses, canonical (see canonicalAddress) */
  readonly addresses: ReadonlySet<string>;
}

/** An address as one spelling: IPv6 compressed and lower case, IPv4 dotted; unparsable ones as given. */
export function canonicalAddress(text: string): string {
  try {
    return ipaddr.parse(text.split('%')[0]!).toString();
  } catch {
    return text;
  }
}

function rewriteRule(r: RuleView): RuleView {
  if (r.peer.kind !== 'group') return r;
  return { ...r, peer: { kind: 'prefix-list', prefixListId: MEMBER_LIST_PREFIX + r.peer.groupId } };
}

export class AccountView implements ModelView {
  private readonly groupViews = new Map<string, GroupView>();
  private readonly enforced: InterfaceView[] = [];
  private readonly members = new Map<string, PrefixListView>();

  constructor(
    /** the whole account as listed (a SecurityGroupService loaded from the translated document) */
    readonly account: ModelView,
    readonly selection: HostSelection,
    /** set by the source: the Dataplane's model version */
    readonly version: number,
  ) {
    for (const g of account.groups()) {
      this.groupViews.set(g.groupId, { ...g, ingress: g.ingress.map(rewriteRule), egress: g.egress.map(rewriteRule) });
    }
    const memberAddresses = new Map<string, string[]>();
    for (const i of account.interfaces()) {
      if (isHostInterface(i, selection)) this.enforced.push(i);
      for (const g of i.groupIds) {
        let list = memberAddresses.get(g);
        if (list === undefined) memberAddresses.set(g, (list = []));
        for (const a of i.privateIpv4) list.push(`${a}/32`);
        for (const a of i.ipv6) list.push(`${a}/128`);
      }
    }
    for (const g of this.groupViews.keys()) {
      const cidrs = [...new Set(memberAddresses.get(g) ?? [])].sort();
      const id = MEMBER_LIST_PREFIX + g;
      this.members.set(id, { prefixListId: id, name: `members of ${g}`, addressFamily: 'IPv4', version: 1, entries: cidrs.map((cidr) => ({ cidr })) });
    }
  }

  groups(): Iterable<GroupView> {
    return this.groupViews.values();
  }

  group(groupId: string): GroupView | undefined {
    return this.groupViews.get(groupId);
  }

  interfaces(): Iterable<InterfaceView> {
    return this.enforced;
  }

  prefixList(prefixListId: string): PrefixListView | undefined {
    if (prefixListId.startsWith(MEMBER_LIST_PREFIX)) return this.members.get(prefixListId);
    return this.account.prefixList(prefixListId);
  }

  /** The same account and selection under another version number. */
  withVersion(version: number): AccountView {
    return new AccountView(this.account, this.selection, version);
  }
}

/** Whether the host enforces `i`: its tag names the host, or one of its private addresses is the host's. */
export function isHostInterface(i: InterfaceView, selection: HostSelection): boolean {
  if (hostIdOf(i as InterfaceRecord) === selection.hostId) return true;
  for (const a of i.privateIpv4) if (selection.addresses.has(canonicalAddress(a))) return true;
  for (const a of i.ipv6) if (selection.addresses.has(canonicalAddress(a))) return true;
  return false;
}

/** What a Dataplane on `before` must recompile to be on `after`, and a summary for the log. */
export interface ViewDiff {
  readonly groupIds: string[];
  readonly interfaceIds: string[];
  readonly prefixListIds: string[];
  readonly summary: ModelDiff;
}

export function isEmptyDiff(d: ViewDiff): boolean {
  return d.groupIds.length + d.interfaceIds.length + d.prefixListIds.length === 0;
}

/** Groups, interfaces and referenced prefix lists (member lists included) whose content differs. */
export function diffViews(before: ModelView, after: ModelView): ViewDiff {
  const summary = diffModels(before, after);
  return {
    groupIds: [...summary.groupsAdded, ...summary.groupsRemoved, ...summary.groupsChanged],
    interfaceIds: [...summary.interfacesAdded, ...summary.interfacesRemoved, ...summary.interfacesChanged],
    prefixListIds: summary.prefixListsChanged,
    summary,
  };
}
