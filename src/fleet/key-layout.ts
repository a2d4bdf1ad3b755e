// Where the control-plane state lives in etcd (issue 9). Keys are laid out for agents that watch only
// what concerns them: one key per record they compile from, and membership as one key per (group,
// interface) pair, so an interface joining a group is one small write seen only by watchers of that
// group's members. Everything is under a prefix (default `/sgfw/`), so one etcd serves several fleets.
//
//   head                      the write guard and the call that made the last change (every call rewrites it)
//   meta                      layout format, account id, default VPC (written once)
//   sg/<sg-id>                a group and its rules, rule ids included (tags in tags/)
//   eni/<eni-id>              an interface: VPC, addresses, groups, conntrack timeouts
//   member/<sg-id>/<eni-id>   the addresses of one interface in one group
//   pl/<pl-id>                a managed prefix list's current version and entries
//   pl-version/<pl-id>/<n>    the entries of an earlier version (GetManagedPrefixListEntries TargetVersion)
//   vpc/<vpc-id>              a VPC: its default group, CIDR blocks
//   subnet/<subnet-id>        a subnet: its VPC and CIDR blocks
//   tags/<resource-id>        the tags of a group, rule, prefix list, VPC, subnet or interface
//   host/<host-id>/<eni-id>   index: the interfaces registered to a host (written with the interface)
//   token/<client-token>      a ClientToken of an idempotent create, its request and first answer
//                             (control/client-tokens.ts); the token URI-encoded, as it may hold `/`
//   status/<host-id>          an agent's applied revision, bound to the agent's lease

export const DEFAULT_PREFIX = '/sgfw/';
export const LAYOUT_FORMAT = 'sgfw-etcd/1';

export type Section = 'sg' | 'eni' | 'member' | 'pl' | 'pl-version' | 'vpc' | 'subnet' | 'tags' | 'host' | 'token';

/**
 * Sections written by API calls (member/ and host/ are derived from the interfaces); anything else
 * under the prefix (head, meta, status/) is not state.
 */
export const STATE_SECTIONS: readonly Section[] = ['sg', 'eni', 'member', 'pl', 'pl-version', 'vpc', 'subnet', 'tags', 'host', 'token'];

export class KeyLayout {
  readonly head: string;
  readonly meta: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    if (!prefix.endsWith('/')) throw new RangeError(`the etcd key prefix must end with '/', got '${prefix}'`);
    this.head = `${prefix}head`;
    this.meta = `${prefix}meta`;
  }

  group(groupId: string): string {
    return `${this.prefix}sg/${groupId}`;
  }
  interface(interfaceId: string): string {
    return `${this.prefix}eni/${interfaceId}`;
  }
  member(groupId: string, interfaceId: string): string {
    return `${this.prefix}member/${groupId}/${interfaceId}`;
  }
  /** what an agent watches to learn the members of a group its rules reference */
  members(groupId: string): string {
    return `${this.prefix}member/${groupId}/`;
  }
  /** the index key naming an interface as one of a host's */
  hostInterface(hostId: string, interfaceId: string): string {
    return `${this.prefix}host/${hostId}/${interfaceId}`;
  }
  /** what an agent watches to learn which interfaces it enforces */
  hostInterfaces(hostId: string): string {
    return `${this.prefix}host/${hostId}/`;
  }
  /** an agent's report: its applied revision, on its lease */
  status(hostId: string): string {
    return `${this.prefix}status/${hostId}`;
  }
  prefixList(prefixListId: string): string {
    return `${this.prefix}pl/${prefixListId}`;
  }
  prefixListVersion(prefixListId: string, version: number): string {
    return `${this.prefix}pl-version/${prefixListId}/${version}`;
  }
  vpc(vpcId: string): string {
    return `${this.prefix}vpc/${vpcId}`;
  }
  subnet(subnetId: string): string {
    return `${this.prefix}subnet/${subnetId}`;
  }
  tags(resourceId: string): string {
    return `${this.prefix}tags/${resourceId}`;
  }
  clientToken(token: string): string {
    return `${this.prefix}token/${encodeURIComponent(token)}`;
  }

  /** The section and the path after it (`sg-…`, `sg-…/eni-…`), or undefined outside the state sections. */
  parse(key: string): { section: Section; rest: string } | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const tail = key.slice(this.prefix.length);
    const slash = tail.indexOf('/');
    if (slash < 0) return undefined;
    const section = tail.slice(0, slash) as Section;
    return STATE_SECTIONS.includes(section) ? { section, rest: tail.slice(slash + 1) } : undefined;
  }
}

/** The end of etcd's range for every key starting with `prefix` (the prefix with its last byte + 1). */
export function prefixRangeEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix, 'utf8');
  let i = bytes.length - 1;
  while (i >= 0 && bytes[i] === 0xff) i--;
  if (i < 0) return Buffer.from([0]); // etcd: "\0" as range_end means every key from `key` on
  const end = Buffer.from(bytes.subarray(0, i + 1));
  end[i]! += 1;
  return end;
}
