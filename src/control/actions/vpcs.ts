// VPC actions: CreateVpc, DeleteVpc, DescribeVpcs, and how the other actions name and bring a VPC
// into being. VPC ids are namespaces: the first use of a VPC id by a mutating action creates it with
// its `default` group; the default VPC appears on the first such call that omits VpcId. Reads never
// create. (Rendering is ../render-vpc.ts.)
import { Ec2Errors } from '../../model/errors.js';
import { checkVpcId } from '../../model/ids.js';
import { parseCidr } from '../../model/cidr.js';
import { addressText, cidrRange } from '../../model/cidr-range.js';
import type { ActionContext } from '../action-context.js';
import type { ChangeSet } from '../change.js';
import type { GroupRecord, ModelState, RuleRecord } from '../records.js';
import { asParams, stringList } from '../params.js';
import { checkFilterIds, checkFilterNames, compileFilters, matchesFilters } from '../filters.js';
import { tagsFromSpecifications } from '../tagging.js';
import { VPC_ID_FILTERS } from '../describe-fields.js';
import { DEFAULT_VPC_CIDR, renderVpc, vpcFields, type Vpc, type VpcItem } from '../render-vpc.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';
import { shown } from '../../model/shown.js';

export const DEFAULT_GROUP_DESCRIPTION = 'default VPC security group';

const ALL_TRAFFIC = { protocol: -1, protocolText: '-1', fromPort: -1, toPort: -1 } as const;

/** The egress rule for all traffic to `cidr` (`0.0.0.0/0`, `::/0`) of group `groupId`. */
export function allTrafficEgress(ctx: ActionContext, groupId: string, cidr: '0.0.0.0/0' | '::/0'): RuleRecord {
  return { ...ALL_TRAFFIC, ruleId: ctx.newId('sgr'), groupId, egress: true, peer: cidr === '::/0' ? { kind: 'cidr6', cidr } : { kind: 'cidr4', cidr } };
}

/**
 * A new group's outbound rules: all IPv4 traffic (seed 001), and all IPv6 traffic in a VPC with an
 * IPv6 block (VPC user guide, default security groups: "::/0 All All — Allows all outbound IPv6
 * traffic. This rule is added only if your VPC has an associated IPv6 CIDR block"; a new group of
 * such a VPC gets both as well).
 */
export function newGroupEgress(ctx: ActionContext, d: ModelState, vpcId: string, groupId: string): RuleRecord[] {
  const out = [allTrafficEgress(ctx, groupId, '0.0.0.0/0')];
  if (d.vpcs.get(vpcId)?.ipv6CidrBlock !== undefined) out.push(allTrafficEgress(ctx, groupId, '::/0'));
  return out;
}

/** Makes sure `vpcId` exists with its default group (seed 001: "inbound from itself, all outbound"). */
export function ensureVpc(ctx: ActionContext, d: ModelState, vpcId: string, change: ChangeSet): void {
  if (d.vpcs.get(vpcId)?.defaultGroupId !== undefined) return;
  if (d.groupByName(vpcId, 'default') !== undefined) return;
  if (d.groupCount(vpcId) >= ctx.limits.groupsPerVpc) throw Ec2Errors.groupLimit(vpcId);
  const groupId = ctx.newId('sg');
  const all = ALL_TRAFFIC;
  const group: GroupRecord = {
    groupId,
    groupName: 'default',
    vpcId,
    ownerId: ctx.accountId,
    description: DEFAULT_GROUP_DESCRIPTION,
    tags: [],
    ingress: [{ ...all, ruleId: ctx.newId('sgr'), groupId, egress: false, peer: { kind: 'group', groupId, userId: ctx.accountId } }],
    egress: newGroupEgress(ctx, d, vpcId, groupId),
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

/**
 * The blocks a VPC's subnets may use: its IPv4 blocks (the default VPC's is EC2's 172.31.0.0/16; a
 * VPC that came to be on first use has none, so no subnet fits in it) and its IPv6 block.
 */
export function vpcCidrBlocks(ctx: ActionContext, d: ModelState, vpcId: string): { ipv4: string[]; ipv6?: string } {
  const v = d.vpcs.get(vpcId);
  const primary = v?.cidrBlock ?? (vpcId === ctx.defaultVpcId ? DEFAULT_VPC_CIDR : undefined);
  const ipv4 = [...(primary !== undefined ? [primary] : []), ...(v?.secondaryCidrs ?? [])];
  return { ipv4, ...(v?.ipv6CidrBlock !== undefined ? { ipv6: v.ipv6CidrBlock } : {}) };
}

/**
 * The /56 an AmazonProvidedIpv6CidrBlock gets: the lowest one of 2001:db8::/32 (the documentation
 * range, RFC 3849: sgfw hands out no real addresses) that no VPC holds, so the same calls give the
 * same blocks, and a journal replays to them.
 */
export function allocateIpv6Block(d: ModelState): string {
  const held = new Set<string>();
  for (const v of d.vpcs.values()) if (v.ipv6CidrBlock !== undefined) held.add(v.ipv6CidrBlock);
  const base = cidrRange('2001:db8::/32').first;
  for (let n = 0n; n < 1n << 24n; n++) {
    const block = `${addressText(base + (n << 72n), 6)}/56`;
    if (!held.has(block)) return block;
  }
  throw Ec2Errors.invalidParameterValue('No IPv6 /56 of 2001:db8::/32 is left for a VPC.');
}

/** The default VPC is known before its first use. */
export function vpcKnown(ctx: ActionContext, d: ModelState, id: string): boolean {
  return d.vpcs.has(id) || id === ctx.defaultVpcId;
}

function vpcItems(ctx: ActionContext, d: ModelState): VpcItem[] {
  const items: VpcItem[] = [];
  if (!d.vpcs.has(ctx.defaultVpcId)) items.push({ record: { vpcId: ctx.defaultVpcId }, isDefault: true, ownerId: ctx.accountId, region: ctx.region });
  for (const v of d.vpcs.values()) items.push({ record: v, isDefault: v.vpcId === ctx.defaultVpcId, ownerId: ctx.accountId, region: ctx.region });
  return items;
}

/**
 * A VPC with its IPv4 CIDR (/16 to /28, as EC2 allows) and its `default` group. A block with host
 * bits set is kept in its canonical form, as EC2 documents (`100.68.0.18/18` → `100.68.0.0/18`).
 * AmazonProvidedIpv6CidrBlock adds a /56 (allocateIpv6Block); its default group then allows all
 * outbound IPv6 traffic too.
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
    if (p.AmazonProvidedIpv6CidrBlock !== undefined && typeof p.AmazonProvidedIpv6CidrBlock !== 'boolean') {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${shown(p.AmazonProvidedIpv6CidrBlock)}' for AmazonProvidedIpv6CidrBlock: expected true or false`);
    }
    let vpcId = ctx.newId('vpc');
    while (d.vpcs.has(vpcId)) vpcId = ctx.newId('vpc');
    const tags = tagsFromSpecifications(p.TagSpecifications, 'vpc', vpcId);
    // the IPv6 block first, so that the default group ensureVpc makes gets its ::/0 rule
    if (p.AmazonProvidedIpv6CidrBlock === true) d.vpcs.set(vpcId, { vpcId, ipv6CidrBlock: allocateIpv6Block(d) });
    ensureVpc(ctx, d, vpcId, change);
    const record = { ...d.vpcs.get(vpcId)!, cidrBlock: cidr.text, tags };
    d.vpcs.set(vpcId, record);
    return { Vpc: renderVpc({ record, isDefault: false, ownerId: ctx.accountId, region: ctx.region }) };
  });
}

/**
 * Refused (DependencyViolation) while the VPC has groups other than its default one, subnets,
 * interfaces, or a group elsewhere referencing its default group; deleting it removes its default group. The
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
    for (const s of d.subnets.values()) if (s.vpcId === vpcId) throw Ec2Errors.vpcDependency(vpcId);
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
