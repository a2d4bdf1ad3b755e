// IpPermissions → rules. EC2 stores one SecurityGroupRule per peer: an IpPermission with three
// CIDRs and a group pair becomes four rules, each with its own id, description and staleness.
import type { RulePeer } from '../model/model-view.js';
import type { IpPermission } from '../model/types.js';
import { Ec2Error, Ec2PathError } from '../model/ec2-error.js';
import { Ec2Errors } from '../model/errors.js';
import { parseCidr } from '../model/cidr.js';
import { parseProtocol, protocolLabel } from '../model/protocol.js';
import { parsePorts } from '../model/ports.js';
import { checkRuleDescription } from '../model/names.js';
import { checkGroupId, checkPrefixListId } from '../model/ids.js';
import type { ModelState } from './records.js';

/** A rule before it has an id. */
export interface RuleSpec {
  readonly egress: boolean;
  readonly protocol: number;
  readonly protocolText: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly peer: RulePeer;
  readonly description?: string;
  readonly peerVpcId?: string;
  /** where in the request or snapshot it came from, for error paths */
  readonly path: string;
}

export interface ExpandContext {
  readonly state: ModelState;
  readonly accountId: string;
  /** the VPC of the group the rules go into (group names resolve there) */
  readonly vpcId: string;
  readonly egress: boolean;
  /**
   * Snapshots keep references to groups and prefix lists they do not contain (reported stale);
   * API calls refuse them as EC2 does.
   */
  readonly keepMissingReferences: boolean;
  /** revoke matches rules by their content: references need not exist any more */
  readonly forRevoke?: boolean;
}

/** Runs `fn`, giving any Ec2Error it throws the JSON path `path` (the innermost path wins). */
export function atPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Ec2Error && !(e instanceof Ec2PathError)) throw new Ec2PathError(e, path);
    throw e;
  }
}

function list<T>(value: T[] | undefined, name: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw Ec2Errors.invalidParameterValue(`${name} must be a list`);
  return value;
}

export function expandPermissions(perms: unknown, ctx: ExpandContext, basePath: string): RuleSpec[] {
  if (!Array.isArray(perms)) throw new Ec2PathError(Ec2Errors.missingParameter('IpPermissions'), basePath);
  const out: RuleSpec[] = [];
  perms.forEach((perm: IpPermission, i) => {
    const path = `${basePath}[${i}]`;
    if (perm === null || typeof perm !== 'object') {
      throw new Ec2PathError(Ec2Errors.invalidParameterValue('an IpPermission must be an object'), path);
    }
    const protocol = atPath(`${path}.IpProtocol`, () => {
      if (perm.IpProtocol === undefined) throw Ec2Errors.missingParameter('IpProtocol');
      return parseProtocol(perm.IpProtocol);
    });
    const ports = atPath(path, () => parsePorts(protocol.number, perm.FromPort, perm.ToPort, (field) => `${path}.${field}`));
    const base = {
      egress: ctx.egress,
      protocol: protocol.number,
      protocolText: protocol.text,
      fromPort: ports.fromPort,
      toPort: ports.toPort,
    };
    const before = out.length;
    atPath(path, () => list(perm.IpRanges, 'IpRanges')).forEach((r, j) => {
      const p = `${path}.IpRanges[${j}]`;
      const cidr = atPath(`${p}.CidrIp`, () => parseCidr(r?.CidrIp, 4));
      const description = atPath(`${p}.Description`, () => checkRuleDescription(r.Description));
      out.push({ ...base, peer: { kind: 'cidr4', cidr: cidr.text }, ...(description ? { description } : {}), path: p });
    });
    atPath(path, () => list(perm.Ipv6Ranges, 'Ipv6Ranges')).forEach((r, j) => {
      const p = `${path}.Ipv6Ranges[${j}]`;
      const cidr = atPath(`${p}.CidrIpv6`, () => parseCidr(r?.CidrIpv6, 6));
      const description = atPath(`${p}.Description`, () => checkRuleDescription(r.Description));
      out.push({ ...base, peer: { kind: 'cidr6', cidr: cidr.text }, ...(description ? { description } : {}), path: p });
    });
    atPath(path, () => list(perm.PrefixListIds, 'PrefixListIds')).forEach((r, j) => {
      const p = `${path}.PrefixListIds[${j}]`;
      const id = atPath(`${p}.PrefixListId`, () => {
        const plId = r?.PrefixListId;
        checkPrefixListId(plId);
        if (!ctx.keepMissingReferences && !ctx.forRevoke && ctx.state.referenceablePrefixList(plId) === undefined) {
          throw Ec2Errors.prefixListNotFound(plId);
        }
        return plId;
      });
      const description = atPath(`${p}.Description`, () => checkRuleDescription(r.Description));
      out.push({ ...base, peer: { kind: 'prefix-list', prefixListId: id }, ...(description ? { description } : {}), path: p });
    });
    atPath(path, () => list(perm.UserIdGroupPairs, 'UserIdGroupPairs')).forEach((r, j) => {
      const p = `${path}.UserIdGroupPairs[${j}]`;
      const peer = atPath(p, () => resolveGroupPair(r, ctx));
      const description = atPath(`${p}.Description`, () => checkRuleDescription(r.Description));
      out.push({ ...base, ...peer, ...(description ? { description } : {}), path: p });
    });
    if (out.length === before) {
      // EC2 needs a source or destination for every permission.
      throw new Ec2PathError(
        Ec2Errors.invalidParameterValue('The IpPermission must name at least one CIDR, prefix list or security group.'),
        path,
      );
    }
  });
  return out;
}

function resolveGroupPair(
  pair: { GroupId?: string; GroupName?: string; UserId?: string; VpcId?: string },
  ctx: ExpandContext,
): { peer: RulePeer; peerVpcId?: string } {
  if (pair === null || typeof pair !== 'object') throw Ec2Errors.invalidParameterValue('a UserIdGroupPair must be an object');
  const userId = pair.UserId;
  if (userId !== undefined && (typeof userId !== 'string' || !/^\d{12}$/.test(userId))) {
    throw Ec2Errors.invalidParameterValue(`Invalid user id: "${String(userId)}"`);
  }
  if (pair.GroupId === undefined) {
    // A name is looked up in the group's own VPC (EC2 takes names only in the default VPC).
    if (pair.GroupName === undefined) throw Ec2Errors.missingParameter('UserIdGroupPairs.GroupId');
    const g = ctx.state.groupByName(ctx.vpcId, pair.GroupName);
    if (g === undefined) throw Ec2Errors.groupNameNotFound(pair.GroupName, ctx.vpcId);
    return { peer: { kind: 'group', groupId: g.groupId, userId: g.ownerId } };
  }
  const id = pair.GroupId;
  checkGroupId(id);
  const g = ctx.state.groups.get(id);
  if (g !== undefined) {
    return { peer: { kind: 'group', groupId: id, userId: g.ownerId }, ...(g.vpcId !== ctx.vpcId ? { peerVpcId: g.vpcId } : {}) };
  }
  // A group we do not hold: another account's (kept, and reported stale since nothing here can
  // resolve its members), or one that is gone.
  const foreign = userId !== undefined && userId !== ctx.accountId;
  if (!foreign && !ctx.keepMissingReferences && !ctx.forRevoke) throw Ec2Errors.groupNotFound(id);
  return {
    peer: { kind: 'group', groupId: id, userId: userId ?? ctx.accountId },
    ...(pair.VpcId !== undefined && pair.VpcId !== ctx.vpcId ? { peerVpcId: pair.VpcId } : {}),
  };
}

/** What makes two rules the same rule for EC2 (duplicates, revoke): everything but description. */
export function ruleKey(r: {
  egress: boolean;
  protocol: number;
  fromPort: number;
  toPort: number;
  peer: RulePeer;
}): string {
  const peer = r.peer;
  const p =
    peer.kind === 'cidr4' || peer.kind === 'cidr6'
      ? peer.cidr
      : peer.kind === 'prefix-list'
        ? peer.prefixListId
        : peer.groupId;
  return `${r.egress ? 'e' : 'i'}|${r.protocol}|${r.fromPort}|${r.toPort}|${p}`;
}

/** The rule as EC2 quotes it in InvalidPermission.Duplicate. */
export function describeRuleForError(r: RuleSpec): string {
  const peer = r.peer;
  const p =
    peer.kind === 'cidr4' || peer.kind === 'cidr6' ? peer.cidr : peer.kind === 'prefix-list' ? peer.prefixListId : peer.groupId;
  const ports = r.protocol === 6 || r.protocol === 17 || r.protocol === 1 || r.protocol === 58
    ? `, from port: ${r.fromPort}, to port: ${r.toPort}`
    : '';
  return `peer: ${p}, ${protocolLabel(r.protocol)}${ports}, ALLOW`;
}
