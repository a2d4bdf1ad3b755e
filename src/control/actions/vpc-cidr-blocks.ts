// AssociateVpcCidrBlock / DisassociateVpcCidrBlock: an Amazon-provided IPv6 /56 (from 2001:db8::/32
// here, vpcs.ts's allocateIpv6Block) or a secondary IPv4 block for a VPC created with CreateVpc.
// EC2's rules (API reference AssociateVpcCidrBlock, VPC user guide "VPC CIDR blocks"): a secondary
// IPv4 block is /16 to /28 and overlaps none of the VPC's blocks; the primary block cannot be
// disassociated; a block some subnet uses cannot be either. When the VPC gets IPv6, its default
// group gains the outbound `::/0` rule (VPC user guide, default security groups: "This rule is added
// only if your VPC has an associated IPv6 CIDR block"); other groups are left as they are, as EC2
// leaves them. One IPv6 block per VPC and five IPv4 blocks, EC2's default quotas.
import { Ec2Error } from '../../model/ec2-error.js';
import { Ec2Errors } from '../../model/errors.js';
import { checkVpcId } from '../../model/ids.js';
import { parseCidr } from '../../model/cidr.js';
import { cidrRange, rangesOverlap } from '../../model/cidr-range.js';
import type { ActionContext } from '../action-context.js';
import type { VpcRecord } from '../records.js';
import { asParams } from '../params.js';
import { blockAssociationId, cidrAssociationId, ipv4Associations, ipv6Associations, type VpcCidrBlockAssociation, type VpcIpv6CidrBlockAssociation } from '../render-vpc.js';
import { allocateIpv6Block, allTrafficEgress, vpcCidrBlocks } from './vpcs.js';
import { shown } from '../../model/shown.js';

const IPV4_BLOCKS_PER_VPC = 5;

function createdVpc(ctx: ActionContext, vpcs: ReadonlyMap<string, VpcRecord>, id: unknown): VpcRecord {
  if (id === undefined) throw Ec2Errors.missingParameter('VpcId');
  checkVpcId(id);
  const v = vpcs.get(id);
  if (v === undefined && id !== ctx.defaultVpcId) throw Ec2Errors.vpcNotFound(id);
  return v ?? { vpcId: id };
}

export function associateVpcCidrBlock(ctx: ActionContext, params: unknown): {
  VpcId: string; CidrBlockAssociation?: VpcCidrBlockAssociation; Ipv6CidrBlockAssociation?: VpcIpv6CidrBlockAssociation;
} {
  const p = asParams(params);
  return ctx.mutate('AssociateVpcCidrBlock', (d, change) => {
    const v = createdVpc(ctx, d.vpcs, p.VpcId);
    const wantsIpv6 = p.AmazonProvidedIpv6CidrBlock === true;
    if (wantsIpv6 === (p.CidrBlock !== undefined)) {
      throw new Ec2Error('InvalidParameterCombination', 'The request must contain exactly one of: CidrBlock, AmazonProvidedIpv6CidrBlock');
    }
    if (wantsIpv6) {
      if (v.ipv6CidrBlock !== undefined) throw Ec2Errors.vpcCidrLimit(v.vpcId);
      const next: VpcRecord = { ...v, ipv6CidrBlock: allocateIpv6Block(d) };
      d.vpcs.set(v.vpcId, next);
      const dflt = d.groups.get(next.defaultGroupId ?? '') ?? d.groupByName(v.vpcId, 'default');
      if (dflt !== undefined && !dflt.egress.some((r) => r.protocol === -1 && r.peer.kind === 'cidr6' && r.peer.cidr === '::/0')) {
        d.groups.set(dflt.groupId, { ...dflt, egress: [...dflt.egress, allTrafficEgress(ctx, dflt.groupId, '::/0')] });
        change.groupIds.add(dflt.groupId);
      }
      return { VpcId: v.vpcId, Ipv6CidrBlockAssociation: ipv6Associations({ record: next, isDefault: false, ownerId: ctx.accountId, region: ctx.region })[0]! };
    }
    const cidr = parseCidr(p.CidrBlock, 4, 'clear').text;
    const range = cidrRange(cidr);
    if (range.length < 16 || range.length > 28) throw Ec2Errors.vpcRange(cidr);
    const held = vpcCidrBlocks(ctx, d, v.vpcId).ipv4;
    if (held.length >= IPV4_BLOCKS_PER_VPC) throw Ec2Errors.vpcCidrLimit(v.vpcId);
    for (const b of held) {
      if (rangesOverlap(cidrRange(b), range)) throw new Ec2Error('InvalidVpc.Range', `The CIDR '${cidr}' overlaps with the CIDR block '${b}' of VPC '${v.vpcId}'.`);
    }
    const next: VpcRecord = { ...v, secondaryCidrs: [...(v.secondaryCidrs ?? []), cidr] };
    d.vpcs.set(v.vpcId, next);
    const assoc = ipv4Associations({ record: next, isDefault: v.vpcId === ctx.defaultVpcId, ownerId: ctx.accountId }).find((a) => a.CidrBlock === cidr)!;
    return { VpcId: v.vpcId, CidrBlockAssociation: assoc };
  });
}

export function disassociateVpcCidrBlock(ctx: ActionContext, params: unknown): {
  VpcId: string; CidrBlockAssociation?: VpcCidrBlockAssociation; Ipv6CidrBlockAssociation?: VpcIpv6CidrBlockAssociation;
} {
  const p = asParams(params);
  return ctx.mutate('DisassociateVpcCidrBlock', (d) => {
    const id = p.AssociationId;
    if (id === undefined) throw Ec2Errors.missingParameter('AssociationId');
    if (typeof id !== 'string' || !/^vpc-cidr-assoc-[0-9a-f]{8,17}$/.test(id)) {
      throw new Ec2Error('InvalidVpcCidrBlockAssociationId.Malformed', `The vpc CIDR block association ID '${shown(id)}' is malformed`);
    }
    for (const v of d.vpcs.values()) {
      if (v.cidrBlock !== undefined && cidrAssociationId(v.vpcId) === id) {
        throw Ec2Errors.invalidParameterValue(`The vpc CIDR block association ID '${id}' is the primary CIDR block of VPC '${v.vpcId}': it cannot be disassociated.`);
      }
      const item = { record: v, isDefault: false, ownerId: ctx.accountId, region: ctx.region };
      const v6 = ipv6Associations(item).find((a) => a.AssociationId === id);
      if (v6 !== undefined) {
        for (const s of d.subnets.values()) if (s.vpcId === v.vpcId && s.ipv6CidrBlock !== undefined) throw Ec2Errors.dependencyViolation(id);
        const { ipv6CidrBlock: _gone, ...rest } = v;
        d.vpcs.set(v.vpcId, rest);
        return { VpcId: v.vpcId, Ipv6CidrBlockAssociation: { ...v6, Ipv6CidrBlockState: { State: 'disassociated' as const } } };
      }
      const cidr = (v.secondaryCidrs ?? []).find((c) => blockAssociationId(v.vpcId, c) === id);
      if (cidr !== undefined) {
        for (const s of d.subnets.values()) {
          if (s.vpcId === v.vpcId && rangesOverlap(cidrRange(s.cidrBlock), cidrRange(cidr))) throw Ec2Errors.dependencyViolation(id);
        }
        const left = v.secondaryCidrs!.filter((c) => c !== cidr);
        const { secondaryCidrs: _old, ...rest } = v;
        d.vpcs.set(v.vpcId, left.length > 0 ? { ...rest, secondaryCidrs: left } : rest);
        return { VpcId: v.vpcId, CidrBlockAssociation: { AssociationId: id, CidrBlock: cidr, CidrBlockState: { State: 'disassociated' as const } } };
      }
    }
    throw Ec2Errors.vpcCidrAssociationNotFound(id);
  });
}
