// Subnet actions: CreateSubnet, DeleteSubnet, DescribeSubnets. A subnet is a block of its VPC's
// addresses that CreateNetworkInterface draws an interface's addresses from. EC2's rules, from the
// CreateSubnet reference (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html):
// "The allowed size for an IPv4 subnet is between a /28 netmask (16 IP addresses) and a /16 netmask
// (65,536 IP addresses)"; the block lies inside one of the VPC's IPv4 blocks and overlaps no other
// subnet's ("If you create more than one subnet in a VPC, the subnets' CIDR blocks must not
// overlap"); "If you've associated an IPv6 CIDR block with your VPC, you can associate an IPv6 CIDR
// block with a subnet when you create it", a /64 of the VPC's. (Rendering: ../render-subnet.ts.)
import { Ec2Errors } from '../../model/errors.js';
import { checkSubnetId, checkVpcId } from '../../model/ids.js';
import { parseCidr } from '../../model/cidr.js';
import { cidrRange, rangeContains, rangesOverlap } from '../../model/cidr-range.js';
import type { ActionContext } from '../action-context.js';
import type { ModelState, SubnetRecord } from '../records.js';
import { asParams, stringList } from '../params.js';
import { checkFilterIds, checkFilterNames, compileFilters, matchesFilters } from '../filters.js';
import { tagsFromSpecifications } from '../tagging.js';
import { SUBNET_ID_FILTERS } from '../describe-fields.js';
import { renderSubnet, subnetFields, type Subnet } from '../render-subnet.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';
import { vpcCidrBlocks, vpcKnown } from './vpcs.js';
import { shown } from '../../model/shown.js';

/** The subnet `id` names: InvalidSubnetID.Malformed / .NotFound otherwise. */
export function subnetById(d: ModelState, id: unknown): SubnetRecord {
  if (id === undefined) throw Ec2Errors.missingParameter('SubnetId');
  checkSubnetId(id);
  const s = d.subnets.get(id);
  if (s === undefined) throw Ec2Errors.subnetNotFound(id);
  return s;
}

export function createSubnet(ctx: ActionContext, params: unknown): { Subnet: Subnet } {
  const p = asParams(params);
  return ctx.mutate('CreateSubnet', (d) => {
    if (p.VpcId === undefined) throw Ec2Errors.missingParameter('VpcId');
    checkVpcId(p.VpcId);
    const vpcId = p.VpcId;
    if (!vpcKnown(ctx, d, vpcId)) throw Ec2Errors.vpcNotFound(vpcId);
    if (p.CidrBlock === undefined) throw Ec2Errors.missingParameter('CidrBlock');
    const cidr = parseCidr(p.CidrBlock, 4).text;
    const range = cidrRange(cidr);
    const blocks = vpcCidrBlocks(ctx, d, vpcId);
    if (range.length < 16 || range.length > 28 || !blocks.ipv4.some((b) => rangeContains(cidrRange(b), range))) throw Ec2Errors.subnetRange(cidr);
    let ipv6: string | undefined;
    if (p.Ipv6CidrBlock !== undefined) {
      ipv6 = parseCidr(p.Ipv6CidrBlock, 6).text;
      const r6 = cidrRange(ipv6);
      if (r6.length !== 64 || blocks.ipv6 === undefined || !rangeContains(cidrRange(blocks.ipv6), r6)) throw Ec2Errors.subnetRange(ipv6);
    }
    let count = 0;
    for (const other of d.subnets.values()) {
      if (other.vpcId !== vpcId) continue;
      count++;
      if (rangesOverlap(cidrRange(other.cidrBlock), range)) throw Ec2Errors.subnetConflict(cidr);
      if (ipv6 !== undefined && other.ipv6CidrBlock !== undefined && rangesOverlap(cidrRange(other.ipv6CidrBlock), cidrRange(ipv6))) {
        throw Ec2Errors.subnetConflict(ipv6);
      }
    }
    if (count >= ctx.limits.subnetsPerVpc) throw Ec2Errors.subnetLimit();
    if (p.AvailabilityZone !== undefined && (typeof p.AvailabilityZone !== 'string' || !p.AvailabilityZone.startsWith(ctx.region))) {
      throw Ec2Errors.invalidParameterValue(`Value (${shown(p.AvailabilityZone)}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${ctx.region}a, ${ctx.region}b, ${ctx.region}c.`);
    }
    let subnetId = ctx.newId('subnet');
    while (d.subnets.has(subnetId)) subnetId = ctx.newId('subnet');
    const tags = tagsFromSpecifications(p.TagSpecifications, 'subnet', subnetId);
    const record: SubnetRecord = {
      subnetId, vpcId, cidrBlock: cidr, tags,
      ...(ipv6 !== undefined ? { ipv6CidrBlock: ipv6 } : {}),
      ...(typeof p.AvailabilityZone === 'string' ? { availabilityZone: p.AvailabilityZone } : {}),
    };
    d.subnets.set(subnetId, record);
    return { Subnet: renderSubnet(record, d, ctx.accountId, ctx.region) };
  });
}

/** Refused (DependencyViolation) while an interface is in the subnet, as EC2 refuses it. */
export function deleteSubnet(ctx: ActionContext, params: unknown): Record<string, never> {
  const p = asParams(params);
  return ctx.mutate('DeleteSubnet', (d) => {
    const s = subnetById(d, p.SubnetId);
    for (const i of d.interfaces.values()) if (i.subnetId === s.subnetId) throw Ec2Errors.subnetDependency(s.subnetId);
    d.subnets.delete(s.subnetId);
    return {};
  });
}

export function describeSubnets(ctx: ActionContext, params?: unknown): { Subnets: Subnet[]; NextToken?: string } {
  const p = asParams(params);
  const d = ctx.state;
  const filters = compileFilters(p.Filters);
  const fields = (s: SubnetRecord, n: string) => subnetFields(s, n, ctx.region, ctx.accountId);
  const probe: SubnetRecord = { subnetId: '', vpcId: '', cidrBlock: '', tags: [] };
  checkFilterNames(filters, (n) => fields(probe, n) !== undefined);
  checkFilterIds(filters, SUBNET_ID_FILTERS);
  const ids = stringList(p.SubnetIds, 'SubnetIds');
  const candidates = ids.length > 0 ? ids.map((id) => subnetById(d, id)) : [...d.subnets.values()];
  const matched = candidates.filter((s) => matchesFilters(s, filters, fields));
  const page = paginate(matched, (s) => s.subnetId, p, pageLimits('DescribeSubnets'));
  return withNextToken('Subnets', { ...page, items: page.items.map((s) => renderSubnet(s, d, ctx.accountId, ctx.region)) });
}
