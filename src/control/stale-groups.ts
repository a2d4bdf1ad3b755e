// DescribeStaleSecurityGroups: the groups of a VPC with rules that reference a security group the
// model no longer holds (deleted, or never imported). EC2 lists only group references here ("IP
// ranges and prefix lists are not applicable for stale security group rules"), so a rule whose
// prefix list is gone shows as `Stale` in DescribeSecurityGroupRules only.
import type { UserIdGroupPair } from '../model/types.js';
import type { ModelState, RuleRecord } from './records.js';
import { isStale, renderPermissions } from './render.js';

export interface StaleIpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  UserIdGroupPairs: UserIdGroupPair[];
}

export interface StaleSecurityGroup {
  Description: string;
  GroupId: string;
  GroupName: string;
  StaleIpPermissions: StaleIpPermission[];
  StaleIpPermissionsEgress: StaleIpPermission[];
  VpcId: string;
}

function stalePermissions(rules: readonly RuleRecord[], state: ModelState): StaleIpPermission[] {
  const stale = rules.filter((r) => r.peer.kind === 'group' && isStale(r, state));
  return renderPermissions(stale, state).map((p) => ({
    IpProtocol: p.IpProtocol,
    ...(p.FromPort !== undefined ? { FromPort: p.FromPort, ToPort: p.ToPort } : {}),
    UserIdGroupPairs: p.UserIdGroupPairs ?? [],
  }));
}

export function describeStaleSecurityGroups(state: ModelState, vpcId: string): StaleSecurityGroup[] {
  const out: StaleSecurityGroup[] = [];
  for (const g of state.groups.values()) {
    if (g.vpcId !== vpcId) continue;
    const ingress = stalePermissions(g.ingress, state);
    const egress = stalePermissions(g.egress, state);
    if (ingress.length === 0 && egress.length === 0) continue;
    out.push({
      Description: g.description, GroupId: g.groupId, GroupName: g.groupName,
      StaleIpPermissions: ingress, StaleIpPermissionsEgress: egress, VpcId: g.vpcId,
    });
  }
  return out;
}
