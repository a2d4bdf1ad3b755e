// Security group rule actions: Authorize/Revoke ingress and egress, DescribeSecurityGroupRules,
// UpdateSecurityGroupRuleDescriptions*, ModifySecurityGroupRules; and what every maker of rules
// shares (prefix-list changes and snapshot import too): rule ids and the rules-per-group quota.
// A rule referencing a group or prefix list that the model does not hold (another account's group,
// or one gone from an imported snapshot) is kept and reported stale; it matches nothing.
import { createHash } from 'node:crypto';
import type { IpPermission } from '../../model/types.js';
import { Ec2Errors } from '../../model/errors.js';
import { checkRuleId } from '../../model/ids.js';
import { checkRuleDescription } from '../../model/names.js';
import type { ActionContext } from '../action-context.js';
import type { GroupRecord, ModelState, RuleRecord } from '../records.js';
import { asParams, stringList, type Params } from '../params.js';
import { describeRuleForError, expandPermissions, ruleKey, type RuleSpec } from '../permissions.js';
import { renderPermissions, renderRule } from '../render.js';
import { checkFilterIds, checkFilterNames, compileFilters, literalValues, matchesFilters } from '../filters.js';
import { RULE_ID_FILTERS, ruleFields } from '../describe-fields.js';
import { tagsFromSpecifications } from '../tagging.js';
import { modifyRules } from '../modify-rules.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';
import { groupById, targetGroup } from './groups.js';
import { shown } from '../../model/shown.js';

// The quota on inbound (or outbound) rules per group "is enforced separately for IPv4 rules and IPv6
// rules" (VPC user guide, Amazon VPC quotas): a CIDR rule counts for its own family, and "a rule that
// references a security group or prefix list ID counts as one rule for IPv4 and one rule for IPv6"
// (the same page in 2019); "if you create a prefix list with 20 maximum entries and you reference
// that prefix list in a security group rule, this counts as 20 security group rules" (its prefix-list
// quotas): sgfw counts them in the list's own family, the only one it matches.
/** A rule's weight against the IPv4 quota (`v6` false) or the IPv6 quota (`v6` true). */
function ruleWeight(d: ModelState, r: { peer: RuleRecord['peer'] }, v6: boolean): number {
  switch (r.peer.kind) {
    case 'cidr4':
      return v6 ? 0 : 1;
    case 'cidr6':
      return v6 ? 1 : 0;
    case 'group':
      return 1;
    case 'prefix-list': {
      const pl = d.referenceablePrefixList(r.peer.prefixListId);
      // a list the model does not hold (stale) matches nothing: one rule in each family, as a group reference
      if (pl === undefined) return 1;
      return (pl.addressFamily === 'IPv6') === v6 ? pl.maxEntries : 0;
    }
  }
}

export function checkRuleQuota(ctx: ActionContext, d: ModelState, rules: readonly RuleRecord[], egress: boolean): void {
  let v4 = 0;
  let v6 = 0;
  for (const r of rules) {
    v4 += ruleWeight(d, r, false);
    v6 += ruleWeight(d, r, true);
  }
  const limit = egress ? ctx.limits.outboundRulesPerGroup : ctx.limits.inboundRulesPerGroup;
  if (v4 > limit || v6 > limit) throw Ec2Errors.rulesLimit();
}

/** `sgr-` + 17 hex digits of sha256(group, rule key): the key holds direction, protocol, ports, peer. */
function contentRuleId(groupId: string, key: string): string {
  return `sgr-${createHash('sha256').update(`${groupId}\n${key}`).digest('hex').slice(0, 17)}`;
}

/** Gives specs ids; refuses duplicates among themselves and against `existing`. */
export function makeRules(ctx: ActionContext, groupId: string, existing: readonly RuleRecord[], specs: readonly RuleSpec[]): RuleRecord[] {
  const keys = new Set(existing.map(ruleKey));
  const out: RuleRecord[] = [];
  for (const s of specs) {
    const key = ruleKey(s);
    if (keys.has(key)) throw Ec2Errors.permissionDuplicate(describeRuleForError(s));
    keys.add(key);
    const { path: _path, ...rest } = s;
    out.push({ ...rest, ruleId: ctx.ruleIdsFromContent ? contentRuleId(groupId, key) : ctx.newId('sgr'), groupId });
  }
  return out;
}

function withRules(g: GroupRecord, egress: boolean, rules: readonly RuleRecord[]): GroupRecord {
  return egress ? { ...g, egress: rules } : { ...g, ingress: rules };
}

/** The permission in the legacy top-level form (`IpProtocol`, `CidrIp`, `SourceSecurityGroupName`). */
function permissionsOf(p: Params): unknown {
  if (p.IpPermissions !== undefined || p.IpProtocol === undefined) return p.IpPermissions;
  const perm: IpPermission = { IpProtocol: shown(p.IpProtocol) };
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

/** The existing rule each permission names by its content (revoke, description updates); PermissionNotFound otherwise. */
function namedRules(
  ctx: ActionContext, d: ModelState, g: GroupRecord, existing: readonly RuleRecord[], perms: unknown, egress: boolean,
): { spec: RuleSpec; rule: RuleRecord }[] {
  const { found, unknown } = matchRules(ctx, d, g, existing, perms, egress);
  if (unknown.length > 0) throw Ec2Errors.permissionNotFound();
  return found;
}

/** The rules `perms` names by content, and the permissions that name none. */
function matchRules(
  ctx: ActionContext, d: ModelState, g: GroupRecord, existing: readonly RuleRecord[], perms: unknown, egress: boolean,
): { found: { spec: RuleSpec; rule: RuleRecord }[]; unknown: RuleSpec[] } {
  const specs = expandPermissions(perms, {
    state: d, accountId: ctx.accountId, vpcId: g.vpcId, egress, keepMissingReferences: false, forRevoke: true,
  }, 'IpPermissions');
  const found: { spec: RuleSpec; rule: RuleRecord }[] = [];
  const unknown: RuleSpec[] = [];
  for (const spec of specs) {
    const key = ruleKey(spec);
    const rule = existing.find((r) => ruleKey(r) === key);
    if (rule === undefined) unknown.push(spec);
    else found.push({ spec, rule });
  }
  return { found, unknown };
}

type AuthorizeResult = { Return: true; SecurityGroupRules: ReturnType<typeof renderRule>[] };

export function authorizeSecurityGroupIngress(ctx: ActionContext, params: unknown): AuthorizeResult {
  return authorize(ctx, 'AuthorizeSecurityGroupIngress', params, false);
}

export function authorizeSecurityGroupEgress(ctx: ActionContext, params: unknown): AuthorizeResult {
  return authorize(ctx, 'AuthorizeSecurityGroupEgress', params, true);
}

function authorize(ctx: ActionContext, action: string, params: unknown, egress: boolean): AuthorizeResult {
  const p = asParams(params);
  return ctx.mutate(action, (d, change) => {
    const g = targetGroup(ctx, d, p);
    const specs = expandPermissions(permissionsOf(p), {
      state: d, accountId: ctx.accountId, vpcId: g.vpcId, egress, keepMissingReferences: false,
    }, 'IpPermissions');
    const existing = egress ? g.egress : g.ingress;
    const made = makeRules(ctx, g.groupId, existing, specs);
    // EC2 gives each rule the call creates the tags of its `security-group-rule` TagSpecifications
    const tags = tagsFromSpecifications(p.TagSpecifications, 'security-group-rule', made[0]?.ruleId ?? g.groupId);
    const added = tags.length > 0 ? made.map((r) => ({ ...r, tags })) : made;
    const all = [...existing, ...added];
    checkRuleQuota(ctx, d, all, egress);
    const updated = withRules(g, egress, all);
    d.groups.set(g.groupId, updated);
    change.groupIds.add(g.groupId);
    return { Return: true as const, SecurityGroupRules: added.map((r) => renderRule(r, updated, d, { region: ctx.region })) };
  });
}

/** A revoked rule as EC2's RevokeSecurityGroup* answer lists it (`revokedSecurityGroupRuleSet`). */
export interface RevokedSecurityGroupRule {
  SecurityGroupRuleId: string;
  GroupId: string;
  IsEgress: boolean;
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupId?: string;
  Description?: string;
}

function revokedRule(r: RuleRecord): RevokedSecurityGroupRule {
  const peer = r.peer;
  return {
    SecurityGroupRuleId: r.ruleId,
    GroupId: r.groupId,
    IsEgress: r.egress,
    IpProtocol: r.protocolText,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...(peer.kind === 'cidr4' ? { CidrIpv4: peer.cidr } : {}),
    ...(peer.kind === 'cidr6' ? { CidrIpv6: peer.cidr } : {}),
    ...(peer.kind === 'prefix-list' ? { PrefixListId: peer.prefixListId } : {}),
    ...(peer.kind === 'group' ? { ReferencedGroupId: peer.groupId } : {}),
    ...(r.description !== undefined ? { Description: r.description } : {}),
  };
}

type RevokeAnswer = { Return: true; RevokedSecurityGroupRules: RevokedSecurityGroupRule[]; UnknownIpPermissions?: IpPermission[] };

export function revokeSecurityGroupIngress(ctx: ActionContext, params: unknown): RevokeAnswer {
  return revoke(ctx, 'RevokeSecurityGroupIngress', params, false);
}

export function revokeSecurityGroupEgress(ctx: ActionContext, params: unknown): RevokeAnswer {
  return revoke(ctx, 'RevokeSecurityGroupEgress', params, true);
}

/**
 * A permission that names no rule: the EC2 API reference (RevokeSecurityGroupIngress, and Egress for
 * the default VPC): "For a default VPC, if the values you specify do not match the existing rule's
 * values, no error is returned, and the output describes the security group rules that were not
 * revoked. For a non-default VPC, … an InvalidPermission.NotFound client error is returned, and no
 * rules are revoked." So in the default VPC the rules that exist are revoked and the others come
 * back in UnknownIpPermissions; in any other VPC nothing is revoked. A rule id that names no rule is
 * InvalidSecurityGroupRuleId.NotFound in every VPC. The seeds say nothing of a revoke that names no rule.
 */
function revoke(ctx: ActionContext, action: string, params: unknown, egress: boolean): RevokeAnswer {
  const p = asParams(params);
  const plan = (d: ModelState) => {
    const g = targetGroup(ctx, d, p);
    const existing = egress ? g.egress : g.ingress;
    const remove = new Set<string>();
    for (const id of stringList(p.SecurityGroupRuleIds, 'SecurityGroupRuleIds')) {
      checkRuleId(id);
      if (!existing.some((r) => r.ruleId === id)) throw Ec2Errors.ruleIdNotFound(id);
      remove.add(id);
    }
    const perms = permissionsOf(p);
    if (perms === undefined && remove.size === 0) throw Ec2Errors.missingParameter('IpPermissions');
    const { found, unknown } = perms === undefined ? { found: [], unknown: [] } : matchRules(ctx, d, g, existing, perms, egress);
    if (unknown.length > 0 && g.vpcId !== ctx.defaultVpcId) throw Ec2Errors.permissionNotFound();
    for (const { rule } of found) remove.add(rule.ruleId);
    const answer: RevokeAnswer = { Return: true as const, RevokedSecurityGroupRules: existing.filter((r) => remove.has(r.ruleId)).map(revokedRule) };
    if (unknown.length > 0) {
      answer.UnknownIpPermissions = renderPermissions(unknown.map((spec) => ({ ...spec, ruleId: '', groupId: g.groupId })), d);
    }
    return { g, existing, remove, answer };
  };
  // naming only rules that do not exist changes nothing, so it is answered without a change
  const dry = plan(ctx.state);
  if (dry.remove.size === 0) return dry.answer;
  return ctx.mutate(action, (d, change) => {
    const { g, existing, remove, answer } = plan(d);
    d.groups.set(g.groupId, withRules(g, egress, existing.filter((r) => !remove.has(r.ruleId))));
    change.groupIds.add(g.groupId);
    return answer;
  });
}

export function describeSecurityGroupRules(ctx: ActionContext, params?: unknown): { SecurityGroupRules: ReturnType<typeof renderRule>[]; NextToken?: string } {
  const p = asParams(params);
  const d = ctx.state;
  const filters = compileFilters(p.Filters);
  checkFilterNames(filters, (n) => ruleFields({} as RuleRecord, n) !== undefined || n === 'group-id');
  checkFilterIds(filters, RULE_ID_FILTERS);
  const ids = stringList(p.SecurityGroupRuleIds, 'SecurityGroupRuleIds');
  for (const id of ids) {
    checkRuleId(id);
    if (d.findRule(id) === undefined) throw Ec2Errors.ruleIdNotFound(id);
  }
  const wanted = new Set(ids);
  // A group-id filter of plain ids (the usual "rules of this group") names the only groups whose
  // rules can pass: the others are skipped by id before their rules are read, so the call costs the
  // named groups' rules, not all of them (150,000 at 2,500 groups × 60). The order is the scan's.
  // One named group is looked up, not scanned for; and the rules of a named group pass the filter
  // that named it, so it is not matched again rule by rule.
  const inGroups = literalValues(filters, 'group-id');
  const byGroup = inGroups === undefined ? filters : filters.filter((f) => f !== filters.find((x) => x.name === 'group-id'));
  const only = inGroups?.size === 1 ? d.groups.get([...inGroups][0]!) : undefined;
  const candidates = inGroups?.size === 1 ? (only === undefined ? [] : [only]) : d.groups.values();
  const matched: { r: RuleRecord; g: GroupRecord }[] = [];
  for (const g of candidates) {
    if (inGroups !== undefined && !inGroups.has(g.groupId)) continue;
    for (const rules of [g.ingress, g.egress]) {
      for (const r of rules) {
        if (wanted.size > 0 && !wanted.has(r.ruleId)) continue;
        if (!matchesFilters(r, byGroup, ruleFields)) continue;
        matched.push({ r, g });
      }
    }
  }
  const page = paginate(matched, (x) => x.r.ruleId, p, pageLimits('DescribeSecurityGroupRules'));
  // DescribeSecurityGroupRules always prints `Tags` (`[]` when none), unlike Authorize's answer
  return withNextToken('SecurityGroupRules', { ...page, items: page.items.map((x) => renderRule(x.r, x.g, d, { tags: 'always', region: ctx.region })) });
}

export function updateSecurityGroupRuleDescriptionsIngress(ctx: ActionContext, params: unknown): { Return: true } {
  return updateDescriptions(ctx, 'UpdateSecurityGroupRuleDescriptionsIngress', params, false);
}

export function updateSecurityGroupRuleDescriptionsEgress(ctx: ActionContext, params: unknown): { Return: true } {
  return updateDescriptions(ctx, 'UpdateSecurityGroupRuleDescriptionsEgress', params, true);
}

function updateDescriptions(ctx: ActionContext, action: string, params: unknown, egress: boolean): { Return: true } {
  const p = asParams(params);
  return ctx.mutate(action, (d, change) => {
    const g = targetGroup(ctx, d, p);
    const existing = egress ? g.egress : g.ingress;
    const newDescription = new Map<string, string | undefined>();
    if (Array.isArray(p.SecurityGroupRuleDescriptions)) {
      for (const item of p.SecurityGroupRuleDescriptions as { SecurityGroupRuleId?: string; Description?: string }[]) {
        const id = item?.SecurityGroupRuleId;
        checkRuleId(id);
        if (!existing.some((r) => r.ruleId === id)) throw Ec2Errors.ruleIdNotFound(id);
        newDescription.set(id, checkRuleDescription(item.Description));
      }
    }
    if (p.IpPermissions !== undefined) {
      for (const { spec, rule } of namedRules(ctx, d, g, existing, p.IpPermissions, egress)) newDescription.set(rule.ruleId, spec.description);
    }
    if (newDescription.size === 0) throw Ec2Errors.missingParameter('IpPermissions');
    const rules = existing.map((r) => {
      if (!newDescription.has(r.ruleId)) return r;
      const { description: _old, ...rest } = r;
      const description = newDescription.get(r.ruleId);
      return description === undefined ? rest : { ...rest, description };
    });
    d.groups.set(g.groupId, withRules(g, egress, rules));
    change.groupIds.add(g.groupId);
    return { Return: true as const };
  });
}

/** Rewrites rules of one group in place by SecurityGroupRuleId (ids kept), all or nothing. */
export function modifySecurityGroupRules(ctx: ActionContext, params: unknown): { Return: true } {
  const p = asParams(params);
  return ctx.mutate('ModifySecurityGroupRules', (d, change) => {
    if (p.GroupId === undefined) throw Ec2Errors.missingParameter('GroupId');
    const g = groupById(d, p.GroupId);
    const next = modifyRules(d, g, ctx.accountId, p.SecurityGroupRules);
    checkRuleQuota(ctx, d, next.ingress, false);
    checkRuleQuota(ctx, d, next.egress, true);
    d.groups.set(g.groupId, next);
    change.groupIds.add(g.groupId);
    return { Return: true as const };
  });
}
