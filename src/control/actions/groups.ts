// Security group actions: CreateSecurityGroup, DeleteSecurityGroup, DescribeSecurityGroups,
// DescribeStaleSecurityGroups, and how the other actions find the group a request names.
// New groups get the IPv4 allow-all egress (0.0.0.0/0) only: EC2 adds ::/0 only in VPCs with an
// IPv6 CIDR, and sgfw does not model VPC CIDRs; authorize ::/0 egress where needed.
import type { Tag } from '../../model/types.js';
import { Ec2Errors } from '../../model/errors.js';
import { checkGroupId, checkVpcId } from '../../model/ids.js';
import { checkGroupDescription, checkGroupName } from '../../model/names.js';
import type { ActionContext } from '../action-context.js';
import type { GroupRecord, ModelState } from '../records.js';
import { asParams, stringList, type Params } from '../params.js';
import { renderGroup } from '../render.js';
import { checkFilterIds, checkFilterNames, compileFilters, matchesFilters } from '../filters.js';
import { GROUP_ID_FILTERS, groupFields, isGroupFilter } from '../describe-fields.js';
import { tagsFromSpecifications } from '../tagging.js';
import { ec2Arn } from '../../model/arn.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';
import { describeStaleSecurityGroups as staleGroups, type StaleSecurityGroup } from '../stale-groups.js';
import { ensureVpc, newGroupEgress, vpcKnown, vpcOf } from './vpcs.js';

export function groupById(d: ModelState, id: unknown): GroupRecord {
  checkGroupId(id);
  const g = d.groups.get(id);
  if (g === undefined) throw Ec2Errors.groupNotFound(id);
  return g;
}

/** GroupId, or GroupName in the default VPC (EC2 resolves names only there). */
export function targetGroup(ctx: ActionContext, d: ModelState, p: Params): GroupRecord {
  if (p.GroupId !== undefined) return groupById(d, p.GroupId);
  if (typeof p.GroupName === 'string') {
    const g = d.groupByName(ctx.defaultVpcId, p.GroupName);
    if (g === undefined) throw Ec2Errors.groupNameNotFound(p.GroupName, ctx.defaultVpcId);
    return g;
  }
  throw Ec2Errors.missingParameter('GroupId');
}

export function createSecurityGroup(ctx: ActionContext, params: unknown): { GroupId: string; Tags?: Tag[]; SecurityGroupArn: string } {
  const p = asParams(params);
  return ctx.mutate('CreateSecurityGroup', (d, change) => {
    const name = checkGroupName(p.GroupName);
    const description = checkGroupDescription(p.Description ?? p.GroupDescription);
    const vpcId = vpcOf(ctx, p.VpcId);
    ensureVpc(ctx, d, vpcId, change);
    if (d.groupByName(vpcId, name) !== undefined) throw Ec2Errors.groupDuplicate(name, vpcId);
    if (d.groupCount(vpcId) >= ctx.limits.groupsPerVpc) throw Ec2Errors.groupLimit(vpcId);
    const groupId = ctx.newId('sg');
    const tags = tagsFromSpecifications(p.TagSpecifications, 'security-group', groupId);
    // seed 001: a new group "allows no inbound traffic, allows all outbound traffic" (IPv6 too in a VPC with IPv6)
    const egress = newGroupEgress(ctx, d, vpcId, groupId);
    d.groups.set(groupId, { groupId, groupName: name, vpcId, ownerId: ctx.accountId, description, tags, ingress: [], egress });
    change.groupIds.add(groupId);
    return { GroupId: groupId, ...(tags.length > 0 ? { Tags: tags } : {}), SecurityGroupArn: ec2Arn(ctx.region, ctx.accountId, 'security-group', groupId) };
  });
}

export function deleteSecurityGroup(ctx: ActionContext, params: unknown): { Return: true; GroupId: string } {
  const p = asParams(params);
  return ctx.mutate('DeleteSecurityGroup', (d, change) => {
    const g = targetGroup(ctx, d, p);
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

export function describeSecurityGroups(ctx: ActionContext, params?: unknown): { SecurityGroups: ReturnType<typeof renderGroup>[]; NextToken?: string } {
  const p = asParams(params);
  const d = ctx.state;
  const filters = compileFilters(p.Filters);
  checkFilterNames(filters, isGroupFilter);
  checkFilterIds(filters, GROUP_ID_FILTERS);
  let candidates: GroupRecord[];
  const ids = stringList(p.GroupIds, 'GroupIds');
  const names = stringList(p.GroupNames, 'GroupNames');
  if (ids.length > 0 || names.length > 0) {
    const picked = new Map<string, GroupRecord>();
    for (const id of ids) {
      const g = groupById(d, id);
      picked.set(g.groupId, g);
    }
    for (const name of names) {
      const g = d.groupByName(ctx.defaultVpcId, name);
      if (g === undefined) throw Ec2Errors.groupNameNotFound(name, ctx.defaultVpcId);
      picked.set(g.groupId, g);
    }
    candidates = [...picked.values()];
  } else {
    candidates = [...d.groups.values()];
  }
  // EC2's reference sets no rule against MaxResults with GroupId here (it does for DescribeNetworkInterfaces)
  const matched = candidates.filter((g) => matchesFilters(g, filters, (x, n) => groupFields(x, n, d)));
  const page = paginate(matched, (g) => g.groupId, p, pageLimits('DescribeSecurityGroups'));
  return withNextToken('SecurityGroups', { ...page, items: page.items.map((g) => renderGroup(g, d, ctx.region)) });
}

/** The groups of a VPC with rules that reference a group the model no longer holds. */
export function describeStaleSecurityGroups(ctx: ActionContext, params: unknown): { StaleSecurityGroupSet: StaleSecurityGroup[]; NextToken?: string } {
  const p = asParams(params);
  if (p.VpcId === undefined) throw Ec2Errors.missingParameter('VpcId');
  checkVpcId(p.VpcId);
  if (!vpcKnown(ctx, ctx.state, p.VpcId)) throw Ec2Errors.vpcNotFound(p.VpcId);
  const all = staleGroups(ctx.state, p.VpcId);
  return withNextToken('StaleSecurityGroupSet', paginate(all, (g) => g.GroupId, p, pageLimits('DescribeStaleSecurityGroups')));
}
