// Security groups in the text format of the old EC2 API tools' `ec2-describe-group` (seed 000):
//   GROUP       <group-id> <owner> <name> <description>
//   PERMISSION  <owner> <group-name> ALLOWS <proto> <from> <to> FROM CIDR 0.0.0.0/0 ingress
// tab-separated, one PERMISSION line per peer. Beyond the seed's example (the tools predate them):
// - protocol -1 prints as `all`, with empty from/to fields, as the tools printed it;
// - a group peer is `USER <owner> NAME <group-name> ID <group-id>` (NAME omitted when the group is
//   not in the state, e.g. a stale reference);
// - IPv6 ranges print as `CIDR <cidr>` like IPv4, prefix lists as `PL <pl-id>`;
// - outbound rules say `TO … egress` instead of `FROM … ingress`.

import type { IpPermission, SecurityGroup } from '../model/types.js';

export function formatGroupsText(groups: readonly SecurityGroup[], groupNames: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  for (const g of groups) {
    lines.push(['GROUP', g.GroupId, g.OwnerId, g.GroupName, g.Description].join('\t'));
    for (const p of g.IpPermissions ?? []) permissionLines(lines, g, p, 'ingress', groupNames);
    for (const p of g.IpPermissionsEgress ?? []) permissionLines(lines, g, p, 'egress', groupNames);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function permissionLines(
  lines: string[],
  g: SecurityGroup,
  p: IpPermission,
  direction: 'ingress' | 'egress',
  groupNames: ReadonlyMap<string, string>,
): void {
  const head = [
    'PERMISSION',
    g.OwnerId,
    g.GroupName,
    'ALLOWS',
    p.IpProtocol === '-1' ? 'all' : p.IpProtocol,
    p.FromPort === undefined ? '' : String(p.FromPort),
    p.ToPort === undefined ? '' : String(p.ToPort),
    direction === 'ingress' ? 'FROM' : 'TO',
  ].join('\t');
  const peers: string[] = [];
  for (const r of p.IpRanges ?? []) peers.push(`CIDR\t${r.CidrIp}`);
  for (const r of p.Ipv6Ranges ?? []) peers.push(`CIDR\t${r.CidrIpv6}`);
  for (const r of p.PrefixListIds ?? []) peers.push(`PL\t${r.PrefixListId}`);
  for (const r of p.UserIdGroupPairs ?? []) {
    const name = r.GroupName ?? (r.GroupId === undefined ? undefined : groupNames.get(r.GroupId));
    const parts = ['USER', r.UserId ?? g.OwnerId];
    if (name !== undefined) parts.push('NAME', name);
    if (r.GroupId !== undefined) parts.push('ID', r.GroupId);
    peers.push(parts.join('\t'));
  }
  for (const peer of peers) lines.push(`${head}\t${peer}\t${direction}`);
}
