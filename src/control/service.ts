// The control-plane service: one method per EC2 action, taking the request as
// `aws ec2 <action> --cli-input-json` takes it and returning the response as the AWS CLI prints it.
// Every front end (replay timelines, the CLI, the Query API) goes through here.
//
// Atomicity: each mutating call works on a draft copy of the state (ModelState.draft copies the maps,
// records are immutable) and the draft replaces the state only when the whole call succeeded, so a
// failing call changes nothing, however far it got.
//
// Choices where EC2 leaves room (documented for users in the issue):
// - VPC ids are namespaces: the first API use of a VPC id creates it with its `default` group. The
//   default VPC (`DEFAULT_VPC_ID`) appears on the first call that omits VpcId. Reads never create.
// - Default and new groups get the IPv4 allow-all egress (0.0.0.0/0) only: EC2 adds ::/0 only in
//   VPCs with an IPv6 CIDR, and sgfw does not model VPC CIDRs; authorize ::/0 egress where needed.
// - A rule referencing a group or prefix list that the model does not hold (another account's group,
//   or one gone from an imported snapshot) is kept and reported stale; it matches nothing.
// - A prefix list referenced by a rule cannot be deleted (DependencyViolation); a referenced prefix
//   list counts as its MaxEntries rules against the rules-per-group quota, as in EC2.
import { createHash } from 'node:crypto';
import type { ConntrackTimeouts, GroupView, InterfaceView, ModelView, PrefixListView } from '../model/model-view.js';
import type { IpPermission, ModelDocument, SnapshotDocument, Tag } from '../model/types.js';
import { Ec2Error, Ec2PathError } from '../model/ec2-error.js';
import { Ec2Errors } from '../model/errors.js';
import { isResourceId, randomIdSuffix } from '../model/ids.js';
import { checkGroupDescription, checkGroupName, checkRuleDescription } from '../model/names.js';
import { parseAddress, parseCidr } from '../model/cidr.js';
import { CONNTRACK_DEFAULTS, parseConntrackSpec } from '../model/conntrack-spec.js';
import { ModelState, type GroupRecord, type InterfaceRecord, type PrefixListEntryRecord, type PrefixListRecord, type RuleRecord } from './records.js';
import { describeRuleForError, expandPermissions, ruleKey, type RuleSpec } from './permissions.js';
import { renderEntries, renderGroup, renderInterface, renderPrefixList, renderRule } from './render.js';
import { checkFilterNames, compileFilters, matchesFilters } from './filters.js';
import { groupFields, interfaceFields, isGroupFilter, prefixListFields, ruleFields } from './describe-fields.js';
import { exportSnapshot, importSnapshot } from './snapshot.js';
import { modifyRules } from './modify-rules.js';
import {
  checkTag, mergeTags, removeTags, setTags, tagDescriptionFields, taggedResource, tagsFromSpecifications, type TagDescription,
} from './tags.js';
import { renderVpc, vpcFields, type Vpc, type VpcItem } from './vpcs.js';
import { awsPrefixListFields, awsPrefixListRecords, awsPrefixLists, DEFAULT_REGION, type AwsPrefixList } from './aws-prefix-lists.js';
import { pageLimits, paginate, withNextToken } from './pagination.js';
import { describeStaleSecurityGroups, type StaleSecurityGroup } from './stale-groups.js';

export const DEFAULT_ACCOUNT_ID = '123456789012';
/** The VPC a call without VpcId works in. 17 zero digits: well-formed, and plainly not a real VPC. */
export const DEFAULT_VPC_ID = 'vpc-00000000000000000';
export const DEFAULT_GROUP_DESCRIPTION = 'default VPC security group';

export interface Limits {
  inboundRulesPerGroup: number;
  outboundRulesPerGroup: number;
  groupsPerVpc: number;
  groupsPerInterface: number;
  /** EC2's ceiling on a managed prefix list's MaxEntries */
  prefixListMaxEntries: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  inboundRulesPerGroup: 60,
  outboundRulesPerGroup: 60,
  groupsPerVpc: 2500,
  groupsPerInterface: 5,
  prefixListMaxEntries: 1000,
};

export interface ServiceOptions {
  accountId?: string;
  defaultVpcId?: string;
  limits?: Partial<Limits>;
  /** returns the 17 hex digits after `sg-`, `sgr-`, `pl-`, `eni-`, `vpc-` (deterministic ids in tests) */
  idGenerator?: () => string;
  /** the region whose AWS-managed prefix lists DescribePrefixLists shows; us-east-1 by default */
  region?: string;
  /**
   * Rule ids derived from what the rule is (its group, direction, protocol, ports and peer)
   * instead of drawn: for state files read from disk (replay, run, monitor, SIGHUP reloads), whose
   * describe-security-groups JSON carries no rule ids, so the same rule is named by the same
   * `sgr-` id in verdicts, logs and flow records from one run or reload to the next.
   */
  ruleIdsFromContent?: boolean;
}

/**
 * An interface registered to a host (issue 9): the fleet agent started with `--host-id NAME`
 * enforces the interfaces whose HostId is NAME. sgfw's own field, set by RegisterNetworkInterface
 * and ModifyNetworkInterfaceAttribute (`HostId`); kept in the record, hence in the etcd store's
 * interface key and its `host/<host-id>/<eni-id>` index key.
 */
export interface HostedInterfaceRecord extends InterfaceRecord {
  readonly hostId?: string;
}

/** What a host id may be: it becomes an etcd key segment, so no '/'. */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function hostIdOf(record: InterfaceRecord): string | undefined {
  return (record as HostedInterfaceRecord).hostId;
}

function checkHostId(value: unknown): string {
  if (typeof value !== 'string' || !HOST_ID_PATTERN.test(value)) {
    throw Ec2Errors.invalidParameterValue(
      `Invalid HostId '${String(value)}': 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.`,
    );
  }
  return value;
}

/** Structural equality of two records (JSON values): a reload tells apart what really changed. */
function sameRecord(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !sameRecord(v, b.get(k))) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameRecord((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function differingIds<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>, into: Set<string>): void {
  for (const [id, record] of after) if (!sameRecord(before.get(id), record)) into.add(id);
  for (const id of before.keys()) if (!after.has(id)) into.add(id);
}

export interface ModelChange {
  version: number;
  action: string;
  groupIds: string[];
  interfaceIds: string[];
  prefixListIds: string[];
}

/** What a mutating call touched; becomes the ModelChange. */
export class ChangeSet {
  readonly groupIds = new Set<string>();
  readonly interfaceIds = new Set<string>();
  readonly prefixListIds = new Set<string>();
}

type Params = Record<string, unknown>;

function asParams(p: unknown): Params {
  if (p === undefined || p === null) return {};
  if (typeof p !== 'object' || Array.isArray(p)) throw Ec2Errors.invalidParameterValue('the request parameters must be an object');
  return p as Params;
}

function stringList(v: unknown, name: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw Ec2Errors.invalidParameterValue(`${name} must be a list of strings`);
  return v as string[];
}

export class SecurityGroupService implements ModelView {
  readonly accountId: string;
  readonly defaultVpcId: string;
  readonly limits: Readonly<Limits>;
  readonly region: string;
  private readonly nextIdSuffix: () => string;
  private state: ModelState;
  private versionCounter = 0;
  private readonly ruleIdsFromContent: boolean;
  private readonly listeners = new Set<(change: ModelChange) => void>();

  constructor(options: ServiceOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.defaultVpcId = options.defaultVpcId ?? DEFAULT_VPC_ID;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.nextIdSuffix = options.idGenerator ?? randomIdSuffix;
    this.ruleIdsFromContent = options.ruleIdsFromContent ?? false;
    this.region = options.region ?? DEFAULT_REGION;
    this.state = new ModelState(undefined, undefined, undefined, undefined, awsPrefixListRecords(this.region));
  }

  // ---- ModelView -------------------------------------------------------------------------------

  get version(): number {
    return this.versionCounter;
  }
  groups(): Iterable<GroupView> {
    return this.state.groups.values();
  }
  group(groupId: string): GroupView | undefined {
    return this.state.groups.get(groupId);
  }
  interfaces(): Iterable<InterfaceView> {
    return this.state.interfaces.values();
  }
  prefixList(prefixListId: string): PrefixListView | undefined {
    return this.state.referenceablePrefixList(prefixListId);
  }

  /**
   * Called after every accepted change, with what it touched (a prefix-list change also lists the
   * groups whose rules reference it). Listeners must not throw: the change is already made.
   */
  onChange(listener: (change: ModelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- dispatcher ------------------------------------------------------------------------------

  /** Runs an EC2 action by its API name (`AuthorizeSecurityGroupIngress`); InvalidAction otherwise. */
  call(action: string, params: unknown): unknown {
    const handler = ACTIONS[action];
    if (handler === undefined) throw Ec2Errors.invalidAction(action);
    return handler(this, params);
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  /** @internal */
  newId(prefix: 'sg' | 'sgr' | 'pl' | 'eni' | 'vpc'): string {
    return `${prefix}-${this.nextIdSuffix()}`;
  }

  private mutate<T>(action: string, fn: (draft: ModelState, change: ChangeSet) => T): T {
    const draft = this.state.draft();
    const change = new ChangeSet();
    const result = fn(draft, change);
    this.state = draft;
    this.versionCounter++;
    const event: ModelChange = {
      version: this.versionCounter,
      action,
      groupIds: [...change.groupIds],
      interfaceIds: [...change.interfaceIds],
      prefixListIds: [...change.prefixListIds],
    };
    for (const l of this.listeners) l(event);
    return result;
  }

  /**
   * Swaps in `next` whole (a store that reloaded its state: etcd-store.ts's resync) and tells the
   * listeners what differs: groups, interfaces and prefix lists whose records are not equal, plus
   * the groups whose rules reference a changed prefix list. No change, no event.
   */
  replaceState(next: ModelState, action = 'ReplaceState'): ModelChange | undefined {
    const before = this.state;
    const change = new ChangeSet();
    differingIds(before.groups, next.groups, change.groupIds);
    differingIds(before.interfaces, next.interfaces, change.interfaceIds);
    differingIds(before.prefixLists, next.prefixLists, change.prefixListIds);
    const vpcsDiffer = new Set<string>();
    differingIds(before.vpcs, next.vpcs, vpcsDiffer);
    if (change.groupIds.size + change.interfaceIds.size + change.prefixListIds.size + vpcsDiffer.size === 0) return undefined;
    for (const state of [before, next]) {
      for (const g of state.groups.values()) {
        for (const r of [...g.ingress, ...g.egress]) {
          if (r.peer.kind === 'prefix-list' && change.prefixListIds.has(r.peer.prefixListId)) change.groupIds.add(g.groupId);
        }
      }
    }
    const fresh = new ModelState(next.groups, next.interfaces, next.prefixLists, next.vpcs, before.awsPrefixLists);
    return this.mutate(action, (d, c) => {
      d.fillFrom(fresh);
      for (const id of change.groupIds) c.groupIds.add(id);
      for (const id of change.interfaceIds) c.interfaceIds.add(id);
      for (const id of change.prefixListIds) c.prefixListIds.add(id);
      return { version: this.versionCounter + 1, action, groupIds: [...c.groupIds], interfaceIds: [...c.interfaceIds], prefixListIds: [...c.prefixListIds] };
    });
  }

  /** @internal the current state, for snapshot export */
  get currentState(): ModelState {
    return this.state;
  }

  /** @internal Makes sure `vpcId` exists with its default group (seed 001: "inbound from itself, all outbound"). */
  ensureVpc(d: ModelState, vpcId: string, change: ChangeSet): void {
    if (d.vpcs.get(vpcId)?.defaultGroupId !== undefined) return;
    if (d.groupByName(vpcId, 'default') !== undefined) return;
    if (d.groupCount(vpcId) >= this.limits.groupsPerVpc) throw Ec2Errors.groupLimit();
    const groupId = this.newId('sg');
    const all = { protocol: -1, protocolText: '-1', fromPort: -1, toPort: -1 };
    const group: GroupRecord = {
      groupId,
      groupName: 'default',
      vpcId,
      ownerId: this.accountId,
      description: DEFAULT_GROUP_DESCRIPTION,
      tags: [],
      ingress: [{ ...all, ruleId: this.newId('sgr'), groupId, egress: false, peer: { kind: 'group', groupId, userId: this.accountId } }],
      egress: [{ ...all, ruleId: this.newId('sgr'), groupId, egress: true, peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } }],
    };
    d.groups.set(groupId, group);
    // keeps what the record had (tags given to the default VPC before its first use)
    d.vpcs.set(vpcId, { ...d.vpcs.get(vpcId), vpcId, defaultGroupId: groupId });
    change.groupIds.add(groupId);
  }

  private vpcOf(v: unknown): string {
    if (v === undefined) return this.defaultVpcId;
    if (!isResourceId('vpc', v)) throw Ec2Errors.vpcIdMalformed(String(v));
    return v;
  }

  /** @internal */
  groupById(d: ModelState, id: unknown): GroupRecord {
    if (!isResourceId('sg', id)) throw Ec2Errors.groupIdMalformed(String(id));
    const g = d.groups.get(id);
    if (g === undefined) throw Ec2Errors.groupNotFound(id);
    return g;
  }

  /** GroupId, or GroupName in the default VPC (EC2 resolves names only there). */
  private targetGroup(d: ModelState, p: Params): GroupRecord {
    if (p.GroupId !== undefined) return this.groupById(d, p.GroupId);
    if (typeof p.GroupName === 'string') {
      const g = d.groupByName(this.defaultVpcId, p.GroupName);
      if (g === undefined) throw Ec2Errors.groupNameNotFound(p.GroupName, this.defaultVpcId);
      return g;
    }
    throw Ec2Errors.missingParameter('GroupId');
  }

  /** Rules count against the quota one each, but a referenced prefix list counts as its MaxEntries. */
  private ruleWeight(d: ModelState, r: { peer: RuleRecord['peer'] }): number {
    if (r.peer.kind !== 'prefix-list') return 1;
    return d.referenceablePrefixList(r.peer.prefixListId)?.maxEntries ?? 1;
  }

  /** @internal */
  checkRuleQuota(d: ModelState, rules: readonly RuleRecord[], egress: boolean): void {
    let n = 0;
    for (const r of rules) n += this.ruleWeight(d, r);
    if (n > (egress ? this.limits.outboundRulesPerGroup : this.limits.inboundRulesPerGroup)) throw Ec2Errors.rulesLimit();
  }

  /** @internal gives specs ids; refuses duplicates among themselves and against `existing`. */
  makeRules(groupId: string, existing: readonly RuleRecord[], specs: readonly RuleSpec[]): RuleRecord[] {
    const keys = new Set(existing.map(ruleKey));
    const out: RuleRecord[] = [];
    for (const s of specs) {
      const key = ruleKey(s);
      if (keys.has(key)) throw Ec2Errors.permissionDuplicate(describeRuleForError(s));
      keys.add(key);
      const { path: _path, ...rest } = s;
      out.push({ ...rest, ruleId: this.ruleIdsFromContent ? contentRuleId(groupId, key) : this.newId('sgr'), groupId });
    }
    return out;
  }

  private withRules(g: GroupRecord, egress: boolean, rules: readonly RuleRecord[]): GroupRecord {
    return egress ? { ...g, egress: rules } : { ...g, ingress: rules };
  }

  /** The permission in the legacy top-level form (`IpProtocol`, `CidrIp`, `SourceSecurityGroupName`). */
  private permissionsOf(p: Params): unknown {
    if (p.IpPermissions !== undefined || p.IpProtocol === undefined) return p.IpPermissions;
    const perm: IpPermission = { IpProtocol: String(p.IpProtocol) };
    if (p.FromPort !== undefined) perm.FromPort = p.FromPort as number;
    if (p.ToPort !== undefined) perm.ToPort = p.ToPort as number;
    if (p.CidrIp !== undefined) perm.IpRanges = [{ CidrIp: p.CidrIp as string }];
    if (p.SourceSecurityGroupName !== undefined) {
      perm.UserIdGroupPairs = [
        { GroupName: p.SourceSecurityGroupName as string, ...(p.SourceSecurityGroupOwnerId ? { UserId: p.SourceSecurityGroupOwnerId as string } : {}) },
      ];
    }
    return [perm];
  }

  // ---- security groups ---------------------------------------------------------------------------

  createSecurityGroup(params: unknown): { GroupId: string; Tags?: Tag[] } {
    const p = asParams(params);
    return this.mutate('CreateSecurityGroup', (d, change) => {
      const name = checkGroupName(p.GroupName);
      const description = checkGroupDescription(p.Description ?? p.GroupDescription);
      const vpcId = this.vpcOf(p.VpcId);
      this.ensureVpc(d, vpcId, change);
      if (d.groupByName(vpcId, name) !== undefined) throw Ec2Errors.groupDuplicate(name, vpcId);
      if (d.groupCount(vpcId) >= this.limits.groupsPerVpc) throw Ec2Errors.groupLimit();
      const groupId = this.newId('sg');
      const tags = tagsFromSpecifications(p.TagSpecifications, 'security-group', groupId);
      // seed 001: a new group "allows no inbound traffic, allows all outbound traffic"
      const egress: RuleRecord = {
        ruleId: this.newId('sgr'), groupId, egress: true, protocol: -1, protocolText: '-1', fromPort: -1, toPort: -1,
        peer: { kind: 'cidr4', cidr: '0.0.0.0/0' },
      };
      d.groups.set(groupId, { groupId, groupName: name, vpcId, ownerId: this.accountId, description, tags, ingress: [], egress: [egress] });
      change.groupIds.add(groupId);
      return { GroupId: groupId, ...(tags.length > 0 ? { Tags: tags } : {}) };
    });
  }

  deleteSecurityGroup(params: unknown): { Return: true; GroupId: string } {
    const p = asParams(params);
    return this.mutate('DeleteSecurityGroup', (d, change) => {
      const g = this.targetGroup(d, p);
      if (d.vpcs.get(g.vpcId)?.defaultGroupId === g.groupId || g.groupName === 'default') {
        throw Ec2Errors.cannotDeleteDefault(g.groupId);
      }
      for (const i of d.interfaces.values()) if (i.groupIds.includes(g.groupId)) throw Ec2Errors.dependencyViolation(g.groupId);
      for (const other of d.groups.values()) {
        if (other.groupId === g.groupId) continue;
        for (const r of [...other.ingress, ...other.egress]) {
          if (r.peer.kind === 'group' && r.peer.groupId === g.groupId) throw Ec2Errors.dependencyViolation(g.groupId);
        }
      }
      d.groups.delete(g.groupId);
      change.groupIds.add(g.groupId);
      return { Return: true as const, GroupId: g.groupId };
    });
  }

  authorizeSecurityGroupIngress(params: unknown): { Return: true; SecurityGroupRules: ReturnType<typeof renderRule>[] } {
    return this.authorize('AuthorizeSecurityGroupIngress', asParams(params), false);
  }

  authorizeSecurityGroupEgress(params: unknown): { Return: true; SecurityGroupRules: ReturnType<typeof renderRule>[] } {
    return this.authorize('AuthorizeSecurityGroupEgress', asParams(params), true);
  }

  private authorize(action: string, p: Params, egress: boolean) {
    return this.mutate(action, (d, change) => {
      const g = this.targetGroup(d, p);
      const specs = expandPermissions(this.permissionsOf(p), {
        state: d, accountId: this.accountId, vpcId: g.vpcId, egress, keepMissingReferences: false,
      }, 'IpPermissions');
      const existing = egress ? g.egress : g.ingress;
      const made = this.makeRules(g.groupId, existing, specs);
      // EC2 gives each rule the call creates the tags of its `security-group-rule` TagSpecifications
      const tags = tagsFromSpecifications(p.TagSpecifications, 'security-group-rule', made[0]?.ruleId ?? g.groupId);
      const added = tags.length > 0 ? made.map((r) => ({ ...r, tags })) : made;
      const all = [...existing, ...added];
      this.checkRuleQuota(d, all, egress);
      const updated = this.withRules(g, egress, all);
      d.groups.set(g.groupId, updated);
      change.groupIds.add(g.groupId);
      return { Return: true as const, SecurityGroupRules: added.map((r) => renderRule(r, updated, d)) };
    });
  }

  revokeSecurityGroupIngress(params: unknown): { Return: true } {
    return this.revoke('RevokeSecurityGroupIngress', asParams(params), false);
  }

  revokeSecurityGroupEgress(params: unknown): { Return: true } {
    return this.revoke('RevokeSecurityGroupEgress', asParams(params), true);
  }

  private revoke(action: string, p: Params, egress: boolean): { Return: true } {
    return this.mutate(action, (d, change) => {
      const g = this.targetGroup(d, p);
      const existing = egress ? g.egress : g.ingress;
      const remove = new Set<string>();
      for (const id of stringList(p.SecurityGroupRuleIds, 'SecurityGroupRuleIds')) {
        if (!isResourceId('sgr', id)) throw Ec2Errors.ruleIdMalformed(id);
        if (!existing.some((r) => r.ruleId === id)) throw Ec2Errors.ruleIdNotFound(id);
        remove.add(id);
      }
      const perms = this.permissionsOf(p);
      if (perms === undefined && remove.size === 0) throw Ec2Errors.missingParameter('IpPermissions');
      if (perms !== undefined) {
        const specs = expandPermissions(perms, {
          state: d, accountId: this.accountId, vpcId: g.vpcId, egress, keepMissingReferences: false, forRevoke: true,
        }, 'IpPermissions');
        for (const s of specs) {
          const key = ruleKey(s);
          const hit = existing.find((r) => ruleKey(r) === key);
          if (hit === undefined) throw Ec2Errors.permissionNotFound();
          remove.add(hit.ruleId);
        }
      }
      d.groups.set(g.groupId, this.withRules(g, egress, existing.filter((r) => !remove.has(r.ruleId))));
      change.groupIds.add(g.groupId);
      return { Return: true as const };
    });
  }

  describeSecurityGroups(params?: unknown): { SecurityGroups: ReturnType<typeof renderGroup>[]; NextToken?: string } {
    const p = asParams(params);
    const d = this.state;
    const filters = compileFilters(p.Filters);
    checkFilterNames(filters, isGroupFilter);
    let candidates: GroupRecord[];
    const ids = stringList(p.GroupIds, 'GroupIds');
    const names = stringList(p.GroupNames, 'GroupNames');
    if (ids.length > 0 || names.length > 0) {
      const picked = new Map<string, GroupRecord>();
      for (const id of ids) {
        const g = this.groupById(d, id);
        picked.set(g.groupId, g);
      }
      for (const name of names) {
        const g = d.groupByName(this.defaultVpcId, name);
        if (g === undefined) throw Ec2Errors.groupNameNotFound(name, this.defaultVpcId);
        picked.set(g.groupId, g);
      }
      candidates = [...picked.values()];
    } else {
      candidates = [...d.groups.values()];
    }
    // EC2's reference sets no rule against MaxResults with GroupId here (it does for DescribeNetworkInterfaces)
    const matched = candidates.filter((g) => matchesFilters(g, filters, (x, n) => groupFields(x, n, d)));
    const page = paginate(matched, (g) => g.groupId, p, pageLimits('DescribeSecurityGroups'));
    return withNextToken('SecurityGroups', { ...page, items: page.items.map((g) => renderGroup(g, d)) });
  }

  describeSecurityGroupRules(params?: unknown): { SecurityGroupRules: ReturnType<typeof renderRule>[]; NextToken?: string } {
    const p = asParams(params);
    const d = this.state;
    const filters = compileFilters(p.Filters);
    checkFilterNames(filters, (n) => ruleFields({} as RuleRecord, n) !== undefined || n === 'group-id');
    const ids = stringList(p.SecurityGroupRuleIds, 'SecurityGroupRuleIds');
    for (const id of ids) {
      if (!isResourceId('sgr', id)) throw Ec2Errors.ruleIdMalformed(id);
      if (d.findRule(id) === undefined) throw Ec2Errors.ruleIdNotFound(id);
    }
    const wanted = new Set(ids);
    const matched: { r: RuleRecord; g: GroupRecord }[] = [];
    for (const g of d.groups.values()) {
      for (const r of [...g.ingress, ...g.egress]) {
        if (wanted.size > 0 && !wanted.has(r.ruleId)) continue;
        if (!matchesFilters(r, filters, ruleFields)) continue;
        matched.push({ r, g });
      }
    }
    const page = paginate(matched, (x) => x.r.ruleId, p, pageLimits('DescribeSecurityGroupRules'));
    // DescribeSecurityGroupRules always prints `Tags` (`[]` when none), unlike Authorize's answer
    return withNextToken('SecurityGroupRules', { ...page, items: page.items.map((x) => renderRule(x.r, x.g, d, { tags: 'always' })) });
  }

  updateSecurityGroupRuleDescriptionsIngress(params: unknown): { Return: true } {
    return this.updateDescriptions('UpdateSecurityGroupRuleDescriptionsIngress', asParams(params), false);
  }

  updateSecurityGroupRuleDescriptionsEgress(params: unknown): { Return: true } {
    return this.updateDescriptions('UpdateSecurityGroupRuleDescriptionsEgress', asParams(params), true);
  }

  private updateDescriptions(action: string, p: Params, egress: boolean): { Return: true } {
    return this.mutate(action, (d, change) => {
      const g = this.targetGroup(d, p);
      const existing = egress ? g.egress : g.ingress;
      const newDescription = new Map<string, string | undefined>();
      if (Array.isArray(p.SecurityGroupRuleDescriptions)) {
        for (const item of p.SecurityGroupRuleDescriptions as { SecurityGroupRuleId?: string; Description?: string }[]) {
          const id = item?.SecurityGroupRuleId;
          if (!isResourceId('sgr', id)) throw Ec2Errors.ruleIdMalformed(String(id));
          if (!existing.some((r) => r.ruleId === id)) throw Ec2Errors.ruleIdNotFound(id);
          newDescription.set(id, checkRuleDescription(item.Description));
        }
      }
      if (p.IpPermissions !== undefined) {
        const specs = expandPermissions(p.IpPermissions, {
          state: d, accountId: this.accountId, vpcId: g.vpcId, egress, keepMissingReferences: false, forRevoke: true,
        }, 'IpPermissions');
        for (const s of specs) {
          const key = ruleKey(s);
          const hit = existing.find((r) => ruleKey(r) === key);
          if (hit === undefined) throw Ec2Errors.permissionNotFound();
          newDescription.set(hit.ruleId, s.description);
        }
      }
      if (newDescription.size === 0) throw Ec2Errors.missingParameter('IpPermissions');
      const rules = existing.map((r) => {
        if (!newDescription.has(r.ruleId)) return r;
        const { description: _old, ...rest } = r;
        const description = newDescription.get(r.ruleId);
        return description === undefined ? rest : { ...rest, description };
      });
      d.groups.set(g.groupId, this.withRules(g, egress, rules));
      change.groupIds.add(g.groupId);
      return { Return: true as const };
    });
  }

  /** Rewrites rules of one group in place by SecurityGroupRuleId (ids kept), all or nothing. */
  modifySecurityGroupRules(params: unknown): { Return: true } {
    const p = asParams(params);
    return this.mutate('ModifySecurityGroupRules', (d, change) => {
      if (p.GroupId === undefined) throw Ec2Errors.missingParameter('GroupId');
      const g = this.groupById(d, p.GroupId);
      const next = modifyRules(d, g, this.accountId, p.SecurityGroupRules);
      this.checkRuleQuota(d, next.ingress, false);
      this.checkRuleQuota(d, next.egress, true);
      d.groups.set(g.groupId, next);
      change.groupIds.add(g.groupId);
      return { Return: true as const };
    });
  }

  // ---- tags --------------------------------------------------------------------------------------

  private vpcKnown(d: ModelState, id: string): boolean {
    return d.vpcs.has(id) || id === this.defaultVpcId;
  }

  private resourcesOf(d: ModelState, v: unknown) {
    const ids = stringList(v, 'Resources');
    if (ids.length === 0) throw Ec2Errors.missingParameter('ResourceId');
    return ids.map((id) => taggedResource(d, id, (x) => this.vpcKnown(d, x), (x) => d.vpcs.get(x)?.tags ?? []));
  }

  /** Tags change no rule, so the change lists nothing for the dataplane to recompile. */
  createTags(params: unknown): { Return: true } {
    const p = asParams(params);
    return this.mutate('CreateTags', (d) => {
      if (!Array.isArray(p.Tags) || p.Tags.length === 0) throw Ec2Errors.missingParameter('Tag');
      const add = (p.Tags as unknown[]).map(checkTag);
      for (const r of this.resourcesOf(d, p.Resources)) setTags(d, r, mergeTags(r.tags, add, r.id));
      return { Return: true as const };
    });
  }

  deleteTags(params: unknown): { Return: true } {
    const p = asParams(params);
    return this.mutate('DeleteTags', (d) => {
      for (const r of this.resourcesOf(d, p.Resources)) setTags(d, r, removeTags(r.tags, p.Tags));
      return { Return: true as const };
    });
  }

  describeTags(params?: unknown): { Tags: TagDescription[]; NextToken?: string } {
    const p = asParams(params);
    const d = this.state;
    const filters = compileFilters(p.Filters);
    const item: TagDescription = { Key: '', ResourceId: '', ResourceType: 'vpc', Value: '' };
    checkFilterNames(filters, (n) => tagDescriptionFields(item, n) !== undefined || n.startsWith('tag:'));
    const all: TagDescription[] = [];
    const add = (ResourceType: TagDescription['ResourceType'], ResourceId: string, tags: readonly Tag[]) => {
      for (const t of tags) all.push({ Key: t.Key, ResourceId, ResourceType, Value: t.Value });
    };
    for (const g of d.groups.values()) {
      add('security-group', g.groupId, g.tags);
      for (const r of [...g.ingress, ...g.egress]) add('security-group-rule', r.ruleId, r.tags ?? []);
    }
    for (const pl of d.prefixLists.values()) add('prefix-list', pl.prefixListId, pl.tags);
    for (const v of d.vpcs.values()) add('vpc', v.vpcId, v.tags ?? []);
    // `tag:K=V` on DescribeTags keeps the tags whose key is K and value matches V
    const fields = (t: TagDescription, n: string) => (n.startsWith('tag:') ? (t.Key === n.slice(4) ? [t.Value] : []) : tagDescriptionFields(t, n));
    const matched = all.filter((t) => matchesFilters(t, filters, fields));
    return withNextToken('Tags', paginate(matched, (t) => `${t.ResourceId}\u0000${t.Key}`, p, pageLimits('DescribeTags')));
  }

  // ---- VPCs --------------------------------------------------------------------------------------

  private vpcItems(d: ModelState): VpcItem[] {
    const items: VpcItem[] = [];
    if (!d.vpcs.has(this.defaultVpcId)) items.push({ record: { vpcId: this.defaultVpcId }, isDefault: true, ownerId: this.accountId });
    for (const v of d.vpcs.values()) items.push({ record: v, isDefault: v.vpcId === this.defaultVpcId, ownerId: this.accountId });
    return items;
  }

  /** A VPC with its IPv4 CIDR (/16 to /28, as EC2 allows) and its `default` group. */
  createVpc(params: unknown): { Vpc: Vpc } {
    const p = asParams(params);
    return this.mutate('CreateVpc', (d, change) => {
      if (p.CidrBlock === undefined) throw Ec2Errors.missingParameter('CidrBlock');
      const cidr = parseCidr(p.CidrBlock, 4);
      const bits = Number(cidr.text.split('/')[1]);
      if (bits < 16 || bits > 28) throw Ec2Errors.vpcRange(cidr.text);
      let vpcId = this.newId('vpc');
      while (d.vpcs.has(vpcId)) vpcId = this.newId('vpc');
      const tags = tagsFromSpecifications(p.TagSpecifications, 'vpc', vpcId);
      this.ensureVpc(d, vpcId, change);
      const record = { ...d.vpcs.get(vpcId)!, cidrBlock: cidr.text, tags };
      d.vpcs.set(vpcId, record);
      return { Vpc: renderVpc({ record, isDefault: false, ownerId: this.accountId }) };
    });
  }

  /**
   * Refused (DependencyViolation) while the VPC has groups other than its default one, interfaces,
   * or a group elsewhere referencing its default group; deleting it removes its default group. The
   * default VPC cannot be deleted: any call without VpcId would bring it back.
   */
  deleteVpc(params: unknown): { Return: true } {
    const p = asParams(params);
    return this.mutate('DeleteVpc', (d, change) => {
      if (p.VpcId === undefined) throw Ec2Errors.missingParameter('VpcId');
      if (!isResourceId('vpc', p.VpcId)) throw Ec2Errors.vpcIdMalformed(String(p.VpcId));
      const vpcId = p.VpcId;
      if (vpcId === this.defaultVpcId) throw Ec2Errors.operationNotPermitted(`The default VPC '${vpcId}' cannot be deleted in sgfw.`);
      const v = d.vpcs.get(vpcId);
      if (v === undefined) throw Ec2Errors.vpcNotFound(vpcId);
      const defaultId = v.defaultGroupId ?? d.groupByName(vpcId, 'default')?.groupId;
      for (const g of d.groups.values()) {
        if (g.vpcId === vpcId && g.groupId !== defaultId) throw Ec2Errors.vpcDependency(vpcId);
        if (g.vpcId !== vpcId && defaultId !== undefined) {
          for (const r of [...g.ingress, ...g.egress]) if (r.peer.kind === 'group' && r.peer.groupId === defaultId) throw Ec2Errors.vpcDependency(vpcId);
        }
      }
      for (const i of d.interfaces.values()) if (i.vpcId === vpcId) throw Ec2Errors.vpcDependency(vpcId);
      if (defaultId !== undefined) {
        d.groups.delete(defaultId);
        change.groupIds.add(defaultId);
      }
      d.vpcs.delete(vpcId);
      return { Return: true as const };
    });
  }

  describeVpcs(params?: unknown): { Vpcs: Vpc[]; NextToken?: string } {
    const p = asParams(params);
    const d = this.state;
    const filters = compileFilters(p.Filters);
    const probe: VpcItem = { record: { vpcId: '' }, isDefault: false, ownerId: '' };
    checkFilterNames(filters, (n) => vpcFields(probe, n) !== undefined);
    const ids = stringList(p.VpcIds, 'VpcIds');
    const items = this.vpcItems(d);
    for (const id of ids) {
      if (!isResourceId('vpc', id)) throw Ec2Errors.vpcIdMalformed(id);
      if (!items.some((v) => v.record.vpcId === id)) throw Ec2Errors.vpcNotFound(id);
    }
    const matched = items.filter((v) => (ids.length === 0 || ids.includes(v.record.vpcId)) && matchesFilters(v, filters, vpcFields));
    const page = paginate(matched, (v) => v.record.vpcId, p, pageLimits('DescribeVpcs'));
    return withNextToken('Vpcs', { ...page, items: page.items.map(renderVpc) });
  }

  // ---- AWS-managed prefix lists ------------------------------------------------------------------

  /** The AWS-managed prefix lists of the service's region (stand-ins: see aws-prefix-lists.ts). */
  describePrefixLists(params?: unknown): { PrefixLists: AwsPrefixList[]; NextToken?: string } {
    const p = asParams(params);
    const filters = compileFilters(p.Filters);
    checkFilterNames(filters, (n) => n === 'prefix-list-id' || n === 'prefix-list-name');
    const lists = awsPrefixLists(this.region);
    const ids = stringList(p.PrefixListIds, 'PrefixListIds');
    for (const id of ids) {
      if (!isResourceId('pl', id)) throw Ec2Errors.prefixListIdMalformed(id);
      if (!lists.some((l) => l.PrefixListId === id)) throw Ec2Errors.prefixListNotFound(id);
    }
    const matched = lists.filter((l) => (ids.length === 0 || ids.includes(l.PrefixListId)) && matchesFilters(l, filters, awsPrefixListFields));
    return withNextToken('PrefixLists', paginate(matched, (l) => l.PrefixListId, p, pageLimits('DescribePrefixLists')));
  }

  /** The groups of a VPC with rules that reference a group the model no longer holds. */
  describeStaleSecurityGroups(params: unknown): { StaleSecurityGroupSet: StaleSecurityGroup[]; NextToken?: string } {
    const p = asParams(params);
    if (p.VpcId === undefined) throw Ec2Errors.missingParameter('VpcId');
    if (!isResourceId('vpc', p.VpcId)) throw Ec2Errors.vpcIdMalformed(String(p.VpcId));
    if (!this.vpcKnown(this.state, p.VpcId)) throw Ec2Errors.vpcNotFound(p.VpcId);
    const all = describeStaleSecurityGroups(this.state, p.VpcId);
    return withNextToken('StaleSecurityGroupSet', paginate(all, (g) => g.GroupId, p, pageLimits('DescribeStaleSecurityGroups')));
  }

  // ---- network interfaces ------------------------------------------------------------------------

  /** Checks a group list for an interface in `vpcId`: exists, same VPC, within the quota. */
  private interfaceGroups(d: ModelState, groups: unknown, vpcId: string | undefined): { groupIds: string[]; vpcId: string | undefined } {
    if (!Array.isArray(groups)) throw Ec2Errors.invalidParameterValue('Groups must be a list of security group ids');
    const ids: string[] = [];
    for (const item of groups as unknown[]) {
      const id = typeof item === 'object' && item !== null ? (item as { GroupId?: unknown }).GroupId : item;
      const g = this.groupById(d, id);
      if (vpcId === undefined) vpcId = g.vpcId;
      else if (g.vpcId !== vpcId) {
        throw Ec2Errors.invalidParameter(`Security group ${g.groupId} and network interface belong to different networks (${g.vpcId}, ${vpcId}).`);
      }
      if (!ids.includes(g.groupId)) ids.push(g.groupId);
    }
    if (ids.length > this.limits.groupsPerInterface) throw Ec2Errors.groupsPerInterfaceLimit();
    return { groupIds: ids, vpcId };
  }

  /** Addresses an interface may not share with another interface of the same VPC. */
  private checkAddressesFree(d: ModelState, vpcId: string, interfaceId: string, addresses: readonly string[]): void {
    for (const other of d.interfaces.values()) {
      if (other.vpcId !== vpcId || other.interfaceId === interfaceId) continue;
      for (const a of addresses) {
        if (other.privateIpv4.includes(a) || other.ipv6.includes(a)) throw Ec2Errors.addressInUse(a, vpcId);
      }
    }
  }

  /** @internal builds and checks an interface record (registration and snapshot import). */
  buildInterface(
    d: ModelState,
    change: ChangeSet,
    p: {
      NetworkInterfaceId?: unknown;
      VpcId?: unknown;
      Description?: unknown;
      PrivateIpAddress?: unknown;
      PrivateIpAddresses?: unknown;
      Ipv6Addresses?: unknown;
      Groups?: unknown;
      ConnectionTracking?: unknown;
      HostId?: unknown;
    },
  ): InterfaceRecord {
    let interfaceId: string;
    if (p.NetworkInterfaceId === undefined) interfaceId = this.newId('eni');
    else if (!isResourceId('eni', p.NetworkInterfaceId)) throw Ec2Errors.interfaceIdMalformed(String(p.NetworkInterfaceId));
    else interfaceId = p.NetworkInterfaceId;
    if (d.interfaces.has(interfaceId)) throw Ec2Errors.interfaceDuplicate(interfaceId);
    let vpcId = p.VpcId === undefined ? undefined : this.vpcOf(p.VpcId);
    let groupIds: string[];
    if (p.Groups !== undefined) {
      const checked = this.interfaceGroups(d, p.Groups, vpcId);
      groupIds = checked.groupIds;
      vpcId = checked.vpcId;
    } else {
      groupIds = [];
    }
    vpcId ??= this.defaultVpcId;
    if (p.Groups === undefined) {
      // seed 001: "If you don't specify a security group … the instance is automatically
      // associated with the default security group for the VPC".
      this.ensureVpc(d, vpcId, change);
      groupIds = [d.vpcs.get(vpcId)?.defaultGroupId ?? d.groupByName(vpcId, 'default')!.groupId];
    }
    const ipv4: string[] = [];
    const primaryText = p.PrivateIpAddress;
    const list = p.PrivateIpAddresses === undefined ? [] : p.PrivateIpAddresses;
    if (!Array.isArray(list)) throw Ec2Errors.invalidParameterValue('PrivateIpAddresses must be a list');
    let primary: string | undefined;
    if (primaryText !== undefined) {
      primary = parseAddress(primaryText, 4);
      if (primary === undefined) throw Ec2Errors.invalidParameterValue(`Invalid private IPv4 address: ${String(primaryText)}`);
    }
    for (const item of list as { PrivateIpAddress?: unknown; Primary?: unknown }[]) {
      const a = parseAddress(item?.PrivateIpAddress, 4);
      if (a === undefined) throw Ec2Errors.invalidParameterValue(`Invalid private IPv4 address: ${String(item?.PrivateIpAddress)}`);
      if (item.Primary === true) {
        if (primary !== undefined && primary !== a) throw Ec2Errors.invalidParameterValue('Only one private IPv4 address can be primary.');
        primary = a;
      }
      if (!ipv4.includes(a)) ipv4.push(a);
    }
    if (primary !== undefined) {
      const at = ipv4.indexOf(primary);
      if (at >= 0) ipv4.splice(at, 1);
      ipv4.unshift(primary);
    }
    const ipv6: string[] = [];
    if (p.Ipv6Addresses !== undefined) {
      if (!Array.isArray(p.Ipv6Addresses)) throw Ec2Errors.invalidParameterValue('Ipv6Addresses must be a list');
      for (const item of p.Ipv6Addresses as { Ipv6Address?: unknown }[]) {
        const a = parseAddress(item?.Ipv6Address, 6);
        if (a === undefined) throw Ec2Errors.invalidParameterValue(`Invalid IPv6 address: ${String(item?.Ipv6Address)}`);
        if (!ipv6.includes(a)) ipv6.push(a);
      }
    }
    if (ipv4.length === 0 && ipv6.length === 0) throw Ec2Errors.missingParameter('PrivateIpAddresses');
    this.checkAddressesFree(d, vpcId, interfaceId, [...ipv4, ...ipv6]);
    if (p.Description !== undefined && typeof p.Description !== 'string') throw Ec2Errors.invalidParameterValue('Description must be a string');
    const conntrack: ConntrackTimeouts = parseConntrackSpec(p.ConnectionTracking, CONNTRACK_DEFAULTS);
    if (!d.vpcs.has(vpcId)) d.vpcs.set(vpcId, { vpcId });
    const hostId = p.HostId === undefined ? undefined : checkHostId(p.HostId);
    const record: HostedInterfaceRecord = {
      interfaceId, vpcId, privateIpv4: ipv4, ipv6, groupIds, conntrack,
      ...(typeof p.Description === 'string' && p.Description !== '' ? { description: p.Description } : {}),
      ...(hostId !== undefined ? { hostId } : {}),
    };
    d.interfaces.set(interfaceId, record);
    change.interfaceIds.add(interfaceId);
    return record;
  }

  /** sgfw's own action: a network interface this host enforces groups for. */
  registerNetworkInterface(params: unknown): { NetworkInterface: ReturnType<typeof renderInterface> } {
    const p = asParams(params);
    return this.mutate('RegisterNetworkInterface', (d, change) => {
      const record = this.buildInterface(d, change, { ...p, ConnectionTracking: p.ConnectionTrackingSpecification });
      return { NetworkInterface: renderInterface(record, d) };
    });
  }

  deregisterNetworkInterface(params: unknown): { Return: true } {
    const p = asParams(params);
    return this.mutate('DeregisterNetworkInterface', (d, change) => {
      const i = this.interfaceById(d, p.NetworkInterfaceId);
      d.interfaces.delete(i.interfaceId);
      change.interfaceIds.add(i.interfaceId);
      return { Return: true as const };
    });
  }

  private interfaceById(d: ModelState, id: unknown): InterfaceRecord {
    if (id === undefined) throw Ec2Errors.missingParameter('NetworkInterfaceId');
    if (!isResourceId('eni', id)) throw Ec2Errors.interfaceIdMalformed(String(id));
    const i = d.interfaces.get(id);
    if (i === undefined) throw Ec2Errors.interfaceNotFound(id);
    return i;
  }

  describeNetworkInterfaces(params?: unknown): { NetworkInterfaces: ReturnType<typeof renderInterface>[]; NextToken?: string } {
    const p = asParams(params);
    const d = this.state;
    const filters = compileFilters(p.Filters);
    checkFilterNames(filters, (n) => interfaceFields({ privateIpv4: [], ipv6: [], groupIds: [] } as unknown as InterfaceRecord, n) !== undefined);
    const ids = stringList(p.NetworkInterfaceIds, 'NetworkInterfaceIds');
    const candidates = ids.length > 0 ? ids.map((id) => this.interfaceById(d, id)) : [...d.interfaces.values()];
    const matched = candidates.filter((i) => matchesFilters(i, filters, interfaceFields));
    // EC2: "You cannot specify this parameter and the network interface IDs parameter in the same request."
    const limits = pageLimits('DescribeNetworkInterfaces', { wireName: 'networkInterfaceIdSet', given: ids.length > 0 });
    const page = paginate(matched, (i) => i.interfaceId, p, limits);
    return withNextToken('NetworkInterfaces', { ...page, items: page.items.map((i) => renderInterface(i, d)) });
  }

  /** Groups (and, as EC2 allows, ConnectionTrackingSpecification and Description) of an interface. */
  modifyNetworkInterfaceAttribute(params: unknown): Record<string, never> {
    const p = asParams(params);
    return this.mutate('ModifyNetworkInterfaceAttribute', (d, change) => {
      const i = this.interfaceById(d, p.NetworkInterfaceId);
      let next: InterfaceRecord = i;
      if (p.Groups !== undefined) {
        const { groupIds } = this.interfaceGroups(d, p.Groups, i.vpcId);
        if (groupIds.length === 0) throw Ec2Errors.missingParameter('Groups');
        next = { ...next, groupIds };
      }
      if (p.ConnectionTrackingSpecification !== undefined) {
        next = { ...next, conntrack: parseConntrackSpec(p.ConnectionTrackingSpecification, i.conntrack) };
      }
      if (p.Description !== undefined) {
        const v = typeof p.Description === 'object' && p.Description !== null ? (p.Description as { Value?: unknown }).Value : p.Description;
        if (typeof v !== 'string') throw Ec2Errors.invalidParameterValue('Description must be a string');
        const { description: _old, ...rest } = next;
        next = v === '' ? rest : { ...rest, description: v };
      }
      if (p.HostId !== undefined) {
        // `{ Value: NAME }` as EC2's attribute values, or NAME; '' unregisters it from any host.
        const v = typeof p.HostId === 'object' && p.HostId !== null ? (p.HostId as { Value?: unknown }).Value : p.HostId;
        const { hostId: _old, ...rest } = next as HostedInterfaceRecord;
        const hosted: HostedInterfaceRecord = v === '' ? rest : { ...rest, hostId: checkHostId(v) };
        next = hosted;
      }
      if (next === i) throw Ec2Errors.missingParameter('Groups');
      d.interfaces.set(i.interfaceId, next);
      change.interfaceIds.add(i.interfaceId);
      return {};
    });
  }

  // ---- managed prefix lists ------------------------------------------------------------------------

  private prefixListById(d: ModelState, id: unknown): PrefixListRecord {
    if (id === undefined) throw Ec2Errors.missingParameter('PrefixListId');
    if (!isResourceId('pl', id)) throw Ec2Errors.prefixListIdMalformed(String(id));
    const pl = d.prefixLists.get(id);
    if (pl === undefined) throw Ec2Errors.prefixListNotFound(id);
    return pl;
  }

  /** @internal checks entries for a list of `family` with room for `maxEntries`. */
  parseEntries(entries: unknown, family: 'IPv4' | 'IPv6', pathOf?: (i: number) => string): PrefixListEntryRecord[] {
    if (entries === undefined) return [];
    if (!Array.isArray(entries)) throw Ec2Errors.invalidParameterValue('Entries must be a list');
    const out: PrefixListEntryRecord[] = [];
    entries.forEach((e: { Cidr?: unknown; Description?: unknown }, i) => {
      const wrap = <T>(fn: () => T): T => {
        try {
          return fn();
        } catch (err) {
          if (pathOf !== undefined && err instanceof Ec2Error) throw new Ec2PathError(err, pathOf(i));
          throw err;
        }
      };
      wrap(() => {
        const cidr = parseCidr(e?.Cidr, family === 'IPv4' ? 4 : 6).text;
        const description = checkRuleDescription(e.Description);
        if (out.some((x) => x.cidr === cidr)) throw Ec2Errors.invalidParameterValue(`The CIDR ${cidr} is listed more than once.`);
        out.push({ cidr, ...(description !== undefined ? { description } : {}) });
      });
    });
    return out;
  }

  /** @internal */
  checkMaxEntries(v: unknown): number {
    if (v === undefined) throw Ec2Errors.missingParameter('MaxEntries');
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > this.limits.prefixListMaxEntries) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${String(v)}' for MaxEntries. Must be between 1 and ${this.limits.prefixListMaxEntries}.`);
    }
    return v;
  }

  createManagedPrefixList(params: unknown): { PrefixList: ReturnType<typeof renderPrefixList> } {
    const p = asParams(params);
    return this.mutate('CreateManagedPrefixList', (d, change) => {
      const name = p.PrefixListName;
      if (typeof name !== 'string' || name === '') throw Ec2Errors.missingParameter('PrefixListName');
      if (name.length > 255) throw Ec2Errors.invalidParameterValue('PrefixListName must be at most 255 characters.');
      const family = p.AddressFamily;
      if (family !== 'IPv4' && family !== 'IPv6') {
        throw Ec2Errors.invalidParameterValue(`Invalid value '${String(family)}' for AddressFamily. Must be IPv4 or IPv6.`);
      }
      const maxEntries = this.checkMaxEntries(p.MaxEntries);
      const prefixListId = this.newId('pl');
      const entries = this.parseEntries(p.Entries, family);
      if (entries.length > maxEntries) throw Ec2Errors.prefixListMaxEntries(prefixListId, maxEntries);
      const record: PrefixListRecord = {
        prefixListId, name, addressFamily: family, version: 1, maxEntries, ownerId: this.accountId,
        tags: tagsFromSpecifications(p.TagSpecifications, 'prefix-list', prefixListId), entries, history: new Map(),
      };
      d.prefixLists.set(prefixListId, record);
      change.prefixListIds.add(prefixListId);
      return { PrefixList: renderPrefixList(record, 'create-complete') };
    });
  }

  modifyManagedPrefixList(params: unknown): { PrefixList: ReturnType<typeof renderPrefixList> } {
    const p = asParams(params);
    return this.mutate('ModifyManagedPrefixList', (d, change) => {
      const pl = this.prefixListById(d, p.PrefixListId);
      if (p.CurrentVersion !== undefined && p.CurrentVersion !== pl.version) {
        throw Ec2Errors.prefixListVersionMismatch(pl.prefixListId, pl.version, Number(p.CurrentVersion));
      }
      const add = this.parseEntries(p.AddEntries, pl.addressFamily);
      if ((add.length > 0 || p.RemoveEntries !== undefined) && p.CurrentVersion === undefined) {
        // EC2: "CurrentVersion … is required if you specify entries to add or remove"
        throw Ec2Errors.missingParameter('CurrentVersion');
      }
      const entries = new Map(pl.entries.map((e) => [e.cidr, e] as const));
      if (p.RemoveEntries !== undefined) {
        if (!Array.isArray(p.RemoveEntries)) throw Ec2Errors.invalidParameterValue('RemoveEntries must be a list');
        for (const r of p.RemoveEntries as { Cidr?: unknown }[]) {
          const cidr = parseCidr(r?.Cidr, pl.addressFamily === 'IPv4' ? 4 : 6).text;
          if (!entries.delete(cidr)) throw Ec2Errors.invalidParameterValue(`The CIDR ${cidr} is not an entry of ${pl.prefixListId}.`);
        }
      }
      // Adding a CIDR that is already there replaces its description, as EC2 does.
      for (const e of add) entries.set(e.cidr, e);
      const maxEntries = p.MaxEntries === undefined ? pl.maxEntries : this.checkMaxEntries(p.MaxEntries);
      if (entries.size > maxEntries) throw Ec2Errors.prefixListMaxEntries(pl.prefixListId, maxEntries);
      let name = pl.name;
      if (p.PrefixListName !== undefined) {
        if (typeof p.PrefixListName !== 'string' || p.PrefixListName === '' || p.PrefixListName.length > 255) {
          throw Ec2Errors.invalidParameterValue('PrefixListName must be 1 to 255 characters.');
        }
        name = p.PrefixListName;
      }
      const entriesChanged = add.length > 0 || p.RemoveEntries !== undefined;
      const history = new Map(pl.history);
      if (entriesChanged) history.set(pl.version, pl.entries);
      const next: PrefixListRecord = {
        ...pl, name, maxEntries, entries: [...entries.values()], history,
        version: entriesChanged ? pl.version + 1 : pl.version,
      };
      d.prefixLists.set(pl.prefixListId, next);
      change.prefixListIds.add(pl.prefixListId);
      for (const g of d.groups.values()) {
        const uses = (r: RuleRecord) => r.peer.kind === 'prefix-list' && r.peer.prefixListId === pl.prefixListId;
        if (!g.ingress.some(uses) && !g.egress.some(uses)) continue;
        change.groupIds.add(g.groupId);
        if (maxEntries !== pl.maxEntries) {
          this.checkRuleQuota(d, g.ingress, false);
          this.checkRuleQuota(d, g.egress, true);
        }
      }
      return { PrefixList: renderPrefixList(next, 'modify-complete') };
    });
  }

  getManagedPrefixListEntries(params: unknown): { Entries: ReturnType<typeof renderEntries>; NextToken?: string } {
    const p = asParams(params);
    const pl = this.prefixListById(this.state, p.PrefixListId);
    let entries = pl.entries;
    if (p.TargetVersion !== undefined && p.TargetVersion !== pl.version) {
      const old = typeof p.TargetVersion === 'number' ? pl.history.get(p.TargetVersion) : undefined;
      if (old === undefined) {
        throw Ec2Errors.invalidParameterValue(`Invalid value '${String(p.TargetVersion)}' for TargetVersion of ${pl.prefixListId}.`);
      }
      entries = old;
    }
    return withNextToken('Entries', paginate(renderEntries(entries), (e) => e.Cidr, p, pageLimits('GetManagedPrefixListEntries')));
  }

  describeManagedPrefixLists(params?: unknown): { PrefixLists: ReturnType<typeof renderPrefixList>[]; NextToken?: string } {
    const p = asParams(params);
    const d = this.state;
    const filters = compileFilters(p.Filters);
    checkFilterNames(filters, (n) => prefixListFields({ tags: [] } as unknown as PrefixListRecord, n) !== undefined);
    const ids = stringList(p.PrefixListIds, 'PrefixListIds');
    const candidates = ids.length > 0 ? ids.map((id) => this.prefixListById(d, id)) : [...d.prefixLists.values()];
    const matched = candidates.filter((pl) => matchesFilters(pl, filters, prefixListFields));
    const page = paginate(matched, (pl) => pl.prefixListId, p, pageLimits('DescribeManagedPrefixLists'));
    return withNextToken('PrefixLists', { ...page, items: page.items.map((pl) => renderPrefixList(pl)) });
  }

  deleteManagedPrefixList(params: unknown): { PrefixList: ReturnType<typeof renderPrefixList> } {
    const p = asParams(params);
    return this.mutate('DeleteManagedPrefixList', (d, change) => {
      const pl = this.prefixListById(d, p.PrefixListId);
      for (const g of d.groups.values()) {
        for (const r of [...g.ingress, ...g.egress]) {
          if (r.peer.kind === 'prefix-list' && r.peer.prefixListId === pl.prefixListId) {
            throw Ec2Errors.dependencyViolation(pl.prefixListId);
          }
        }
      }
      d.prefixLists.delete(pl.prefixListId);
      change.prefixListIds.add(pl.prefixListId);
      return { PrefixList: renderPrefixList(pl, 'delete-complete') };
    });
  }

  // ---- snapshots ---------------------------------------------------------------------------------

  /**
   * Loads a state document (already structurally checked) all or nothing, keeping its ids. On a
   * semantic failure throws Ec2PathError, whose `path` points into `doc`.
   */
  importSnapshot(doc: ModelDocument): { SecurityGroups: number; NetworkInterfaces: number; PrefixLists: number } {
    return this.mutate('ImportSnapshot', (d, change) => importSnapshot(this, d, change, doc));
  }

  /** Everything held, in AWS CLI shape; importSnapshot(exportSnapshot()) rebuilds the same model. */
  exportSnapshot(): Required<SnapshotDocument> & ModelDocument {
    return exportSnapshot(this.state, this.accountId);
  }
}

/** `sgr-` + 17 hex digits of sha256(group, rule key): the key holds direction, protocol, ports, peer. */
function contentRuleId(groupId: string, key: string): string {
  return `sgr-${createHash('sha256').update(`${groupId}\n${key}`).digest('hex').slice(0, 17)}`;
}


type Handler = (s: SecurityGroupService, params: unknown) => unknown;

const ACTIONS: Readonly<Record<string, Handler>> = {
  CreateSecurityGroup: (s, p) => s.createSecurityGroup(p),
  DeleteSecurityGroup: (s, p) => s.deleteSecurityGroup(p),
  AuthorizeSecurityGroupIngress: (s, p) => s.authorizeSecurityGroupIngress(p),
  AuthorizeSecurityGroupEgress: (s, p) => s.authorizeSecurityGroupEgress(p),
  RevokeSecurityGroupIngress: (s, p) => s.revokeSecurityGroupIngress(p),
  RevokeSecurityGroupEgress: (s, p) => s.revokeSecurityGroupEgress(p),
  DescribeSecurityGroups: (s, p) => s.describeSecurityGroups(p),
  DescribeSecurityGroupRules: (s, p) => s.describeSecurityGroupRules(p),
  UpdateSecurityGroupRuleDescriptionsIngress: (s, p) => s.updateSecurityGroupRuleDescriptionsIngress(p),
  UpdateSecurityGroupRuleDescriptionsEgress: (s, p) => s.updateSecurityGroupRuleDescriptionsEgress(p),
  ModifyNetworkInterfaceAttribute: (s, p) => s.modifyNetworkInterfaceAttribute(p),
  CreateManagedPrefixList: (s, p) => s.createManagedPrefixList(p),
  ModifyManagedPrefixList: (s, p) => s.modifyManagedPrefixList(p),
  GetManagedPrefixListEntries: (s, p) => s.getManagedPrefixListEntries(p),
  DescribeManagedPrefixLists: (s, p) => s.describeManagedPrefixLists(p),
  DeleteManagedPrefixList: (s, p) => s.deleteManagedPrefixList(p),
  RegisterNetworkInterface: (s, p) => s.registerNetworkInterface(p),
  DeregisterNetworkInterface: (s, p) => s.deregisterNetworkInterface(p),
  DescribeNetworkInterfaces: (s, p) => s.describeNetworkInterfaces(p),
  ModifySecurityGroupRules: (s, p) => s.modifySecurityGroupRules(p),
  CreateTags: (s, p) => s.createTags(p),
  DeleteTags: (s, p) => s.deleteTags(p),
  DescribeTags: (s, p) => s.describeTags(p),
  CreateVpc: (s, p) => s.createVpc(p),
  DeleteVpc: (s, p) => s.deleteVpc(p),
  DescribeVpcs: (s, p) => s.describeVpcs(p),
  DescribePrefixLists: (s, p) => s.describePrefixLists(p),
  DescribeStaleSecurityGroups: (s, p) => s.describeStaleSecurityGroups(p),
};

/** The EC2 action names `call` accepts. */
export const SERVICE_ACTIONS: readonly string[] = Object.keys(ACTIONS);
