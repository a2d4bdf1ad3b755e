// The service's records ↔ the keys of key-layout.ts. Values are the records themselves as canonical
// JSON (sorted fields, so equal records are equal bytes and an unchanged record is never rewritten),
// minus what lives in its own key: tags (tags/…, interfaces' and subnets' too), prefix-list history (pl-version/…). Membership
// keys are derived from interfaces and ignored when loading. Client tokens (token/…) are the records
// as they are; a listing gives them in key order, so after a reload the bound of client-tokens.ts
// drops the first tokens by name rather than the oldest.
//
// Records are immutable (control/records.ts): a call that changes a group replaces its record, so
// the keys a call must write are found by comparing record identities before and after it, and
// re-encoding only the replaced records.
import type { ClientTokenRecord, GroupRecord, InterfaceRecord, PrefixListEntryRecord, PrefixListRecord, RuleRecord, SubnetRecord, VpcRecord } from '../control/records.js';
import type { ModelState } from '../control/records.js';
import type { Tag } from '../model/types.js';
import { hostIdOf } from '../control/service.js';
import type { KeyLayout } from './key-layout.js';

/** key → new value, or null to delete it */
export type KeyChanges = Map<string, string | null>;

/** The decoded model: what ModelState's maps hold. */
export interface DecodedState {
  readonly groups: Map<string, GroupRecord>;
  readonly interfaces: Map<string, InterfaceRecord>;
  readonly prefixLists: Map<string, PrefixListRecord>;
  readonly vpcs: Map<string, VpcRecord>;
  readonly subnets: Map<string, SubnetRecord>;
  readonly clientTokens: Map<string, ClientTokenRecord>;
}

/** A key whose value does not decode: the store was written by something else. */
export class StoreDamage extends Error {
  constructor(readonly key: string, problem: string) {
    super(`etcd key ${key}: ${problem}`);
    this.name = 'StoreDamage';
  }
}

function sortedValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedValue);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sortedValue(v);
  }
  return out;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedValue(value));
}

/** The member value: what an agent adds to the address sets of rules that reference the group. */
export interface MemberValue {
  readonly vpcId: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

function putTags(out: Map<string, string>, layout: KeyLayout, id: string, tags: readonly Tag[] | undefined): void {
  if (tags !== undefined && tags.length > 0) out.set(layout.tags(id), canonicalJson(tags));
}

function stripRule(r: RuleRecord): RuleRecord {
  const { tags: _tags, ...rest } = r;
  return rest;
}

export function groupKeys(layout: KeyLayout, g: GroupRecord): Map<string, string> {
  const out = new Map<string, string>();
  const { tags, ingress, egress, ...rest } = g;
  out.set(layout.group(g.groupId), canonicalJson({ ...rest, ingress: ingress.map(stripRule), egress: egress.map(stripRule) }));
  putTags(out, layout, g.groupId, tags);
  for (const r of [...ingress, ...egress]) putTags(out, layout, r.ruleId, r.tags);
  return out;
}

export function interfaceKeys(layout: KeyLayout, n: InterfaceRecord): Map<string, string> {
  const out = new Map<string, string>();
  const { tags, ...record } = n;
  out.set(layout.interface(n.interfaceId), canonicalJson(record));
  putTags(out, layout, n.interfaceId, tags);
  const member = canonicalJson({ vpcId: n.vpcId, ipv4: n.privateIpv4, ipv6: n.ipv6 } satisfies MemberValue);
  for (const g of n.groupIds) out.set(layout.member(g, n.interfaceId), member);
  // Written in the same txn as the interface, so an agent lists its interfaces with one range.
  const hostId = hostIdOf(n);
  if (hostId !== undefined) out.set(layout.hostInterface(hostId, n.interfaceId), canonicalJson({ interfaceId: n.interfaceId } satisfies HostIndexValue));
  return out;
}

/** The value of `host/<host-id>/<eni-id>`. */
export interface HostIndexValue {
  readonly interfaceId: string;
}

export function prefixListKeys(layout: KeyLayout, p: PrefixListRecord): Map<string, string> {
  const out = new Map<string, string>();
  const { tags, history, ...rest } = p;
  out.set(layout.prefixList(p.prefixListId), canonicalJson(rest));
  putTags(out, layout, p.prefixListId, tags);
  for (const [version, entries] of history) out.set(layout.prefixListVersion(p.prefixListId, version), canonicalJson(entries));
  return out;
}

export function vpcKeys(layout: KeyLayout, v: VpcRecord): Map<string, string> {
  const out = new Map<string, string>();
  const { tags, ...rest } = v;
  out.set(layout.vpc(v.vpcId), canonicalJson(rest));
  putTags(out, layout, v.vpcId, tags);
  return out;
}

export function subnetKeys(layout: KeyLayout, s: SubnetRecord): Map<string, string> {
  const out = new Map<string, string>();
  const { tags, ...rest } = s;
  out.set(layout.subnet(s.subnetId), canonicalJson(rest));
  putTags(out, layout, s.subnetId, tags);
  return out;
}

function diffMap<T>(
  changes: KeyChanges,
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
  keysOf: (record: T) => Map<string, string>,
): void {
  const ids = new Set([...before.keys(), ...after.keys()]);
  for (const id of ids) {
    const b = before.get(id);
    const a = after.get(id);
    if (a === b) continue;
    const old = b === undefined ? new Map<string, string>() : keysOf(b);
    const next = a === undefined ? new Map<string, string>() : keysOf(a);
    for (const [k, v] of next) if (old.get(k) !== v) changes.set(k, v);
    for (const k of old.keys()) if (!next.has(k)) changes.set(k, null);
  }
}

function clientTokenKeys(layout: KeyLayout, t: ClientTokenRecord): Map<string, string> {
  return new Map([[layout.clientToken(t.token), canonicalJson(t)]]);
}

/** The key puts and deletes that turn the store of `before` into that of `after`. */
export function diffStates(layout: KeyLayout, before: ModelState, after: ModelState): KeyChanges {
  const changes: KeyChanges = new Map();
  diffMap(changes, before.groups, after.groups, (g) => groupKeys(layout, g));
  diffMap(changes, before.interfaces, after.interfaces, (n) => interfaceKeys(layout, n));
  diffMap(changes, before.prefixLists, after.prefixLists, (p) => prefixListKeys(layout, p));
  diffMap(changes, before.vpcs, after.vpcs, (v) => vpcKeys(layout, v));
  diffMap(changes, before.subnets, after.subnets, (s) => subnetKeys(layout, s));
  diffMap(changes, before.clientTokens, after.clientTokens, (t) => clientTokenKeys(layout, t));
  return changes;
}

/** Every state key of `state` (what a store holding exactly this state lists under its sections). */
export function stateKeys(layout: KeyLayout, state: ModelState): Map<string, string> {
  const out = new Map<string, string>();
  const add = (m: Map<string, string>): void => m.forEach((v, k) => out.set(k, v));
  for (const g of state.groups.values()) add(groupKeys(layout, g));
  for (const n of state.interfaces.values()) add(interfaceKeys(layout, n));
  for (const p of state.prefixLists.values()) add(prefixListKeys(layout, p));
  for (const v of state.vpcs.values()) add(vpcKeys(layout, v));
  for (const s of state.subnets.values()) add(subnetKeys(layout, s));
  for (const t of state.clientTokens.values()) add(clientTokenKeys(layout, t));
  return out;
}

function parseJson<T>(key: string, value: string, check: (v: T) => boolean, what: string): T {
  let v: T;
  try {
    v = JSON.parse(value) as T;
  } catch (e) {
    throw new StoreDamage(key, `not JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || !check(v)) throw new StoreDamage(key, `not ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** The records held by the state keys among `kvs` (other keys are skipped). */
export function decodeState(layout: KeyLayout, kvs: Iterable<readonly [string, string]>): DecodedState {
  const groups: GroupRecord[] = [];
  const interfaces = new Map<string, InterfaceRecord>();
  const lists: PrefixListRecord[] = [];
  const versions = new Map<string, Map<number, readonly PrefixListEntryRecord[]>>();
  const vpcs: VpcRecord[] = [];
  const subnets: SubnetRecord[] = [];
  const tags = new Map<string, readonly Tag[]>();
  const clientTokens = new Map<string, ClientTokenRecord>();
  for (const [key, value] of kvs) {
    const at = layout.parse(key);
    if (at === undefined) continue;
    switch (at.section) {
      case 'sg':
        groups.push(parseJson<GroupRecord>(key, value, (g) => g.groupId === at.rest && Array.isArray(g.ingress) && Array.isArray(g.egress), 'a security group'));
        break;
      case 'eni':
        interfaces.set(at.rest, parseJson<InterfaceRecord>(key, value, (n) => n.interfaceId === at.rest && Array.isArray(n.groupIds), 'a network interface'));
        break;
      case 'pl':
        lists.push(parseJson<PrefixListRecord>(key, value, (p) => p.prefixListId === at.rest && Array.isArray(p.entries), 'a prefix list'));
        break;
      case 'pl-version': {
        const slash = at.rest.lastIndexOf('/');
        const version = Number(at.rest.slice(slash + 1));
        if (slash < 0 || !Number.isSafeInteger(version)) throw new StoreDamage(key, 'expected pl-version/<pl-id>/<version>');
        const id = at.rest.slice(0, slash);
        const entries = parseJson<PrefixListEntryRecord[]>(key, value, Array.isArray, 'a list of entries');
        if (!versions.has(id)) versions.set(id, new Map());
        versions.get(id)!.set(version, entries);
        break;
      }
      case 'vpc':
        vpcs.push(parseJson<VpcRecord>(key, value, (v) => v.vpcId === at.rest, 'a VPC'));
        break;
      case 'subnet':
        subnets.push(parseJson<SubnetRecord>(key, value, (v) => v.subnetId === at.rest && isString(v.vpcId) && isString(v.cidrBlock), 'a subnet'));
        break;
      case 'tags':
        tags.set(at.rest, parseJson<Tag[]>(key, value, (t) => Array.isArray(t) && t.every((x) => isString(x?.Key) && isString(x?.Value)), 'a list of tags'));
        break;
      case 'token': {
        let token: string;
        try {
          token = decodeURIComponent(at.rest);
        } catch {
          throw new StoreDamage(key, 'expected token/<URI-encoded client token>');
        }
        clientTokens.set(token, parseJson<ClientTokenRecord>(key, value, (t) =>
          t.token === token && isString(t.action) && isString(t.request) && isString(t.answer), 'a client token'));
        break;
      }
      case 'member':
      case 'host':
        break; // derived from the interfaces
    }
  }
  const withRuleTags = (r: RuleRecord): RuleRecord => (tags.has(r.ruleId) ? { ...r, tags: tags.get(r.ruleId)! } : r);
  return {
    groups: new Map(groups.map((g) => [g.groupId, {
      ...g, tags: tags.get(g.groupId) ?? [], ingress: g.ingress.map(withRuleTags), egress: g.egress.map(withRuleTags),
    }])),
    interfaces: new Map([...interfaces].map(([id, n]) => [id, tags.has(id) ? { ...n, tags: tags.get(id)! } : n])),
    prefixLists: new Map(lists.map((p) => {
      const history = [...(versions.get(p.prefixListId) ?? new Map<number, readonly PrefixListEntryRecord[]>())].sort((a, b) => a[0] - b[0]);
      return [p.prefixListId, { ...p, tags: tags.get(p.prefixListId) ?? [], history: new Map(history) }];
    })),
    vpcs: new Map(vpcs.map((v) => [v.vpcId, tags.has(v.vpcId) ? { ...v, tags: tags.get(v.vpcId)! } : v])),
    subnets: new Map(subnets.map((s) => [s.subnetId, { ...s, tags: tags.get(s.subnetId) ?? [] }])),
    clientTokens,
  };
}

/** Replaces the maps of `state` with `decoded` in place (for a state nobody is reading mid-call). */
export function fillState(state: ModelState, decoded: DecodedState): void {
  state.fillFrom(decoded);
}
