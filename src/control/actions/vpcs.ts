// VPC actions: CreateVpc, DeleteVpc, DescribeVpcs, and how the other actions name and bring a VPC
// into being. VPC ids are namespaces: the first use of a VPC id by a mutating action creates it with
// its `default` group; the default VPC appears on the first such call that omits VpcId. Reads never
// create. (Rendering is ../render-vpc.ts.)
import { Ec2Errors } from '../../model/errors.js';
import { checkVpcId } from '../../model/ids.js';
import { parseCidr } from '../../model/cidr.js';
import type { ActionContext } from '../action-context.js';
import type { ChangeSet } from '../change.js';
import type { GroupRecord, ModelState } from '../records.js';
import { asParams, stringList } from '../params.js';
import { checkFilterIds, checkFilterNames, compileFilters, matchesFilters } from '../filters.js';
import { tagsFromSpecifications } from '../tagging.js';
import { VPC_ID_FILTERS } from '../describe-fields.js';
import { renderVpc, vpcFields, type Vpc, type VpcItem } from '../render-vpc.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';

export const DEFAULT_GROUP_DESCRIPTION = 'default VPC security group';

/** Makes sure `vpcId` exists with its default group (seed 001: "inbound from itself, all outbound"). */
export function ensureVpc(ctx: ActionContext, d: ModelState, vpcId: string, change: ChangeSet): void {
  if (d.vpcs.get(vpcId)?.defaultGroupId !== undefined) return;
  if (d.groupByName(vpcId, 'default') !== undefined) return;
  if (d.groupCount(vpcId) >= ctx.limits.groupsPerVpc) throw Ec2Errors.groupLimit(vpcId);
  const groupId = ctx.newId('sg');
  const all = { protocol: -1, protocolText: '-1', fromPort: -1, toPort: -1 };
  const group: GroupRecord = {
    groupId,
    groupName: 'default',
    vpcId,
    ownerId: ctx.accountId,
    description: DEFAULT_GROUP_DESCRIPTION,
    tags: [],
    ingress: [{ ...all, ruleId: ctx.newId('sgr'), groupId, egress: false, peer: { kind: 'group', groupId, userId: ctx.accountId } }],
    egress: [{ ...all, ruleId: ctx.newId('sgr'), groupId, egress: true, peer: { kind: 'cidr4', cidr: '0.0.0.0/0' } }],
  };
  d.groups.set(groupId, group);
  // keeps what the record had (tags given to the default VPC before its first use)
  d.vpcs.set(vpcId, { ...d.vpcs.get(vpcId), vpcId, defaultGroupId: groupId });
  change.groupIds.add(groupId);
}

/** The request's VpcId, or the default VPC when it has none. */
export function vpcOf(ctx: ActionContext, v: unknown): string {
  if (v === undefined) return ctx.defaultVpcId;
  checkVpcId(v);
  return v;
}

/** The default VPC is known before its first use. */
export function vpcKnown(ctx: ActionContext, d: ModelState, id: string): boolean {
  return d.vpcs.has(id) || id === ctx.defaultVpcId;
}

function vpcItems(ctx: ActionContext, d: ModelState): VpcItem[] {
  const items: VpcItem[] = [];
  if (!d.vpcs.has(ctx.defaultVpcId)) items.push({ record: { vpcId: ctx.defaultVpcId }, isDefault: true, ownerId: ctx.accountId });
  for (const v of d.vpcs.values()) items.push({ record: v, isDefault: v.vpcId === ctx.defaultVpcId, ownerId: ctx.accountId });
  return items;
}

/**
 * A VPC with its IPv4 CIDR (/16 to /28, as EC2 allows) and its `default` group. A block with host
 * bits set is kept in its canonical form, as EC2 documents (`100.68.0.18/18` → `100.68.0.0/18`).
 */
export function createVpc(ctx: ActionContext, params: unknown): { Vpc: Vpc } {
  const p = asParams(params);
  return ctx.mutate('CreateVpc', (d, change) => {
    if (p.CidrBlock === undefined) throw Ec2Errors.missingParameter('CidrBlock');
    const cidr = parseCidr(p.CidrBlock, 4, 'clear');
    const bits = Number(cidr.text.split('/')[1]);
    if (bits < 16 || bits > 28) throw Ec2Errors.vpcRange(cidr.text);
    // EC2's quota counts the default VPC, which exists before its first use here too (DescribeVpcs)
    const held = d.vpcs.size + (d.vpcs.has(ctx.defaultVpcId) ? 0 : 1);
    if (held >= ctx.limits.vpcsPerRegion) throw Ec2Errors.vpcLimit();
    let vpcId = ctx.newId('vpc');
    while (d.vpcs.has(vpcId)) vpcId = ctx.newId('vpc');
    const tags = tagsFromSpecifications(p.TagSpecifications, 'vpc', vpcId);
    ensureVpc(ctx, d, vpcId, change);
    const record = { ...d.vpcs.get(vpcId)!, cidrBlock: cidr.text, tags };
    d.vpcs.set(vpcId, record);
    return { Vpc: renderVpc({ record, isDefault: false, ownerId: ctx.accountId }) };
  });
}

/**
 * Refused (DependencyViolation) while the VPC has groups other than its default one, interfaces,
 * or a group elsewhere referencing its default group; deleting it removes its default group. The
 * default VPC cannot be deleted: any call without VpcId would bring it back.
 */
export function deleteVpc(ctx: ActionContext, params: unknown): { Return: true } {
  const p = asParams(params);
  return ctx.mutate('DeleteVpc', (d, change) => {
    if (p.VpcId === undefined) throw Ec2Errors.missingParameter('VpcId');
    checkVpcId(p.VpcId);
    const vpcId = p.VpcId;
    if (vpcId === ctx.defaultVpcId) throw Ec2Errors.operationNotPermitted(`The default VPC '${vpcId}' cannot be deleted in sgfw.`);
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

export function describeVpcs(ctx: ActionContext, params?: unknown): { Vpcs: Vpc[]; NextToken?: string } {
  const p = asParams(params);
  const d = ctx.state;
  const filters = compileFilters(p.Filters);
  const probe: VpcItem = { record: { vpcId: '' }, isDefault: false, ownerId: '' };
  checkFilterNames(filters, (n) => vpcFields(probe, n) !== undefined);
  checkFilterIds(filters, VPC_ID_FILTERS);
  const ids = stringList(p.VpcIds, 'VpcIds');
  const items = vpcItems(ctx, d);
  for (const id of ids) {
    checkVpcId(id);
    if (!items.some((v) => v.record.vpcId === id)) throw Ec2Errors.vpcNotFound(id);
  }
  const matched = items.filter((v) => (ids.length === 0 || ids.includes(v.record.vpcId)) && matchesFilters(v, filters, vpcFields));
  const page = paginate(matched, (v) => v.record.vpcId, p, pageLimits('DescribeVpcs'));
  return withNextToken('Vpcs', { ...page, items: page.items.map(renderVpc) });
}
