// ModifySecurityGroupRules: rewrites rules in place by SecurityGroupRuleId. The rule keeps its id and
// direction; everything else is replaced by the request's SecurityGroupRule, which names exactly one
// peer (CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId), as EC2's API reference requires.
// A rule without protocol, TCP/UDP without both ports, or without exactly one peer is refused with
// EC2's own codes and wording for this action (not those of the IpPermissions parser).
// The request is all or nothing: the caller runs this on a draft.
import type { IpPermission } from '../model/types.js';
import { Ec2Errors } from '../model/errors.js';
import { checkRuleId } from '../model/ids.js';
import { hasPorts, parseProtocol } from '../model/protocol.js';
import { describeRuleForError, expandPermissions, ruleKey } from './permissions.js';
import type { GroupRecord, ModelState, RuleRecord } from './records.js';

interface RuleRequest {
  IpProtocol?: unknown;
  FromPort?: unknown;
  ToPort?: unknown;
  CidrIpv4?: unknown;
  CidrIpv6?: unknown;
  PrefixListId?: unknown;
  ReferencedGroupId?: unknown;
  Description?: unknown;
}

/** The request's SecurityGroupRule as the one-peer IpPermission the rule parser takes. */
export function permissionOf(r: RuleRequest): IpPermission {
  if (r.IpProtocol === undefined) throw Ec2Errors.protocolNotExplicit();
  if (hasPorts(parseProtocol(r.IpProtocol).number) && (r.FromPort === undefined || r.ToPort === undefined)) {
    throw Ec2Errors.portRangeIncomplete();
  }
  const peers = [r.CidrIpv4, r.CidrIpv6, r.PrefixListId, r.ReferencedGroupId].filter((x) => x !== undefined);
  if (peers.length !== 1) throw Ec2Errors.rulePeerMissing();
  const d = r.Description !== undefined ? { Description: r.Description as string } : {};
  const perm: IpPermission = { IpProtocol: String(r.IpProtocol) };
  if (r.FromPort !== undefined) perm.FromPort = r.FromPort as number;
  if (r.ToPort !== undefined) perm.ToPort = r.ToPort as number;
  if (r.CidrIpv4 !== undefined) perm.IpRanges = [{ CidrIp: r.CidrIpv4 as string, ...d }];
  if (r.CidrIpv6 !== undefined) perm.Ipv6Ranges = [{ CidrIpv6: r.CidrIpv6 as string, ...d }];
  if (r.PrefixListId !== undefined) perm.PrefixListIds = [{ PrefixListId: r.PrefixListId as string, ...d }];
  if (r.ReferencedGroupId !== undefined) perm.UserIdGroupPairs = [{ GroupId: r.ReferencedGroupId as string, ...d }];
  return perm;
}

/** The group with the listed rules replaced; throws the EC2 error of the first bad item. */
export function modifyRules(d: ModelState, g: GroupRecord, accountId: string, items: unknown): GroupRecord {
  if (!Array.isArray(items) || items.length === 0) throw Ec2Errors.missingParameter('SecurityGroupRule');
  const replaced = new Map<string, RuleRecord>();
  for (const item of items as { SecurityGroupRuleId?: unknown; SecurityGroupRule?: RuleRequest }[]) {
    const id = item?.SecurityGroupRuleId;
    if (id === undefined) throw Ec2Errors.missingParameter('SecurityGroupRule.N.SecurityGroupRuleId');
    checkRuleId(id);
    const old = g.ingress.find((r) => r.ruleId === id) ?? g.egress.find((r) => r.ruleId === id);
    if (old === undefined) throw Ec2Errors.ruleIdNotFound(id);
    if (replaced.has(id)) throw Ec2Errors.invalidParameterValue(`The security group rule ID '${id}' is listed more than once.`);
    if (item.SecurityGroupRule === undefined || item.SecurityGroupRule === null) {
      throw Ec2Errors.missingParameter('SecurityGroupRule.N.SecurityGroupRule');
    }
    const [spec] = expandPermissions([permissionOf(item.SecurityGroupRule)], {
      state: d, accountId, vpcId: g.vpcId, egress: old.egress, keepMissingReferences: false,
    }, 'SecurityGroupRule');
    const { path: _path, ...rest } = spec!;
    replaced.set(id, { ...rest, ruleId: old.ruleId, groupId: g.groupId, ...(old.tags !== undefined ? { tags: old.tags } : {}) });
  }
  const swap = (rules: readonly RuleRecord[]) => rules.map((r) => replaced.get(r.ruleId) ?? r);
  const next: GroupRecord = { ...g, ingress: swap(g.ingress), egress: swap(g.egress) };
  // a modified rule may not become the same rule as another one (EC2: InvalidPermission.Duplicate)
  for (const rules of [next.ingress, next.egress]) {
    const seen = new Set<string>();
    for (const r of rules) {
      const key = ruleKey(r);
      if (seen.has(key)) throw Ec2Errors.permissionDuplicate(describeRuleForError({ ...r, path: '' }));
      seen.add(key);
    }
  }
  return next;
}
