// State documents in and out: JSON as the AWS CLI prints describe-security-groups,
// describe-network-interfaces and describe-managed-prefix-lists (+ Entries). Import keeps the
// document's ids and applies prefix lists, then groups, then their rules, then interfaces, so
// references between them may come in any order; a reference to something the document and the
// model both lack is kept and reported stale. Quotas are not applied to imports: the snapshot shows
// what an account has, and its quotas may have been raised.
import type { ManagedPrefixList, NetworkInterface, PrefixListEntry, SecurityGroup, SecurityGroupRule, ModelDocument } from '../model/types.js';
import { Ec2PathError } from '../model/ec2-error.js';
import { Ec2Errors } from '../model/errors.js';
import { checkGroupId, checkInterfaceId, checkPrefixListId, checkSubnetId, checkVpcId } from '../model/ids.js';
import { checkGroupName } from '../model/names.js';
import { parseCidr } from '../model/cidr.js';
import { checkTag, mergeTags } from './tagging.js';
import { renderVpc, type Vpc } from './render-vpc.js';
import { renderSubnet, type Subnet } from './render-subnet.js';
import type { ModelState, GroupRecord, RuleRecord } from './records.js';
import { atPath, expandPermissions, ruleKey } from './permissions.js';
import { permissionOf } from './modify-rules.js';
import { renderEntries, renderGroup, renderInterface, renderPrefixList, renderRule } from './render.js';
import type { ActionContext } from './action-context.js';
import type { ChangeSet } from './change.js';
import { checkMaxEntries, parseEntries } from './actions/prefix-lists.js';
import { makeRules } from './actions/rules.js';
import { buildInterface } from './actions/interfaces.js';
import { hostIdOf } from './host-id.js';

function list<T>(value: T[] | undefined, path: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Ec2PathError(Ec2Errors.invalidParameterValue('expected a list'), path);
  return value;
}

export function importSnapshot(
  ctx: ActionContext,
  d: ModelState,
  change: ChangeSet,
  doc: ModelDocument,
): { SecurityGroups: number; NetworkInterfaces: number; PrefixLists: number } {
  const prefixLists = list(doc.PrefixLists, 'PrefixLists');
  const groups = list(doc.SecurityGroups, 'SecurityGroups');
  const interfaces = list(doc.NetworkInterfaces, 'NetworkInterfaces');

  prefixLists.forEach((pl, i) => {
    const path = `PrefixLists[${i}]`;
    const id = atPath(`${path}.PrefixListId`, () => {
      checkPrefixListId(pl.PrefixListId);
      if (d.prefixLists.has(pl.PrefixListId)) throw Ec2Errors.prefixListDuplicate(pl.PrefixListId);
      return pl.PrefixListId;
    });
    const family = atPath(`${path}.AddressFamily`, () => {
      if (pl.AddressFamily !== 'IPv4' && pl.AddressFamily !== 'IPv6') {
        throw Ec2Errors.invalidParameterValue(`Invalid value '${String(pl.AddressFamily)}' for AddressFamily. Must be IPv4 or IPv6.`);
      }
      return pl.AddressFamily;
    });
    const entries = parseEntries(list(pl.Entries, `${path}.Entries`), family, (j) => `${path}.Entries[${j}]`);
    const maxEntries = atPath(`${path}.MaxEntries`, () => {
      const max = pl.MaxEntries === undefined ? Math.max(entries.length, 1) : checkMaxEntries(ctx, pl.MaxEntries);
      if (entries.length > max) throw Ec2Errors.prefixListMaxEntries(id, max);
      return max;
    });
    const version = atPath(`${path}.Version`, () => {
      const v = pl.Version ?? 1;
      if (!Number.isInteger(v) || v < 1) throw Ec2Errors.invalidParameterValue(`Invalid version ${String(v)}`);
      return v;
    });
    d.prefixLists.set(id, {
      prefixListId: id,
      name: pl.PrefixListName ?? id,
      addressFamily: family,
      version,
      maxEntries,
      ownerId: pl.OwnerId ?? ctx.accountId,
      tags: pl.Tags ?? [],
      entries,
      history: new Map(),
    });
    change.prefixListIds.add(id);
  });

  const shells: GroupRecord[] = groups.map((g, i) => {
    const path = `SecurityGroups[${i}]`;
    const groupId = atPath(`${path}.GroupId`, () => {
      checkGroupId(g.GroupId);
      if (d.groups.has(g.GroupId)) throw Ec2Errors.groupIdDuplicate(g.GroupId);
      return g.GroupId;
    });
    const vpcId = atPath(`${path}.VpcId`, () => {
      if (g.VpcId === undefined) return ctx.defaultVpcId;
      checkVpcId(g.VpcId);
      return g.VpcId;
    });
    const name = atPath(`${path}.GroupName`, () => {
      const n = g.GroupName === 'default' ? 'default' : checkGroupName(g.GroupName);
      if (d.groupByName(vpcId, n) !== undefined) throw Ec2Errors.groupDuplicate(n, vpcId);
      return n;
    });
    const description = atPath(`${path}.Description`, () => {
      const v = g.Description ?? '';
      if (typeof v !== 'string' || v.length > 255) throw Ec2Errors.invalidParameterValue('Invalid group description');
      return v;
    });
    const ownerId = atPath(`${path}.OwnerId`, () => {
      const v = g.OwnerId ?? ctx.accountId;
      if (!/^\d{12}$/.test(v)) throw Ec2Errors.invalidParameterValue(`Invalid owner id: "${v}"`);
      return v;
    });
    const record: GroupRecord = { groupId, groupName: name, vpcId, ownerId, description, tags: g.Tags ?? [], ingress: [], egress: [] };
    d.groups.set(groupId, record);
    // A `default` group in the document is its VPC's default group, with exactly its rules.
    if (name === 'default') d.vpcs.set(vpcId, { vpcId, defaultGroupId: groupId });
    else if (!d.vpcs.has(vpcId)) d.vpcs.set(vpcId, { vpcId });
    change.groupIds.add(groupId);
    return record;
  });

  groups.forEach((g, i) => {
    const shell = shells[i]!;
    const path = `SecurityGroups[${i}]`;
    const rulesFor = (egress: boolean): RuleRecord[] => {
      const key = egress ? 'IpPermissionsEgress' : 'IpPermissions';
      const specs = expandPermissions(list(g[key], `${path}.${key}`), {
        state: d, accountId: ctx.accountId, vpcId: shell.vpcId, egress, keepMissingReferences: true,
      }, `${path}.${key}`);
      const out: RuleRecord[] = [];
      for (const s of specs) out.push(...atPath(s.path, () => makeRules(ctx, shell.groupId, out, [s])));
      return out;
    };
    d.groups.set(shell.groupId, { ...shell, ingress: rulesFor(false), egress: rulesFor(true) });
  });

  // Subnets before interfaces, which name them. Their blocks are checked for form, not against the
  // VPC's: a document shows what an account has.
  list(doc.Subnets, 'Subnets').forEach((sn, i) => {
    const path = `Subnets[${i}]`;
    const subnetId = atPath(`${path}.SubnetId`, () => {
      checkSubnetId(sn?.SubnetId);
      if (d.subnets.has(sn.SubnetId)) throw Ec2Errors.invalidParameterValue(`The subnet ID '${sn.SubnetId}' is listed twice`);
      return sn.SubnetId;
    });
    const vpcId = atPath(`${path}.VpcId`, () => {
      checkVpcId(sn.VpcId);
      return sn.VpcId;
    });
    const cidrBlock = atPath(`${path}.CidrBlock`, () => parseCidr(sn.CidrBlock, 4).text);
    const ipv6 = list(sn.Ipv6CidrBlockAssociationSet, `${path}.Ipv6CidrBlockAssociationSet`)
      .map((a, j) => atPath(`${path}.Ipv6CidrBlockAssociationSet[${j}].Ipv6CidrBlock`, () => parseCidr(a?.Ipv6CidrBlock, 6).text));
    const tags = atPath(`${path}.Tags`, () => mergeTags([], list(sn.Tags, `${path}.Tags`).map(checkTag), subnetId));
    d.subnets.set(subnetId, {
      subnetId, vpcId, cidrBlock, tags,
      ...(ipv6[0] !== undefined ? { ipv6CidrBlock: ipv6[0] } : {}),
      ...(typeof sn.AvailabilityZone === 'string' ? { availabilityZone: sn.AvailabilityZone } : {}),
    });
    if (!d.vpcs.has(vpcId)) d.vpcs.set(vpcId, { vpcId });
  });

  interfaces.forEach((n, i) => {
    const path = `NetworkInterfaces[${i}]`;
    atPath(`${path}.NetworkInterfaceId`, () => {
      checkInterfaceId(n.NetworkInterfaceId);
      if (d.interfaces.has(n.NetworkInterfaceId)) throw Ec2Errors.interfaceDuplicate(n.NetworkInterfaceId);
    });
    list(n.Groups, `${path}.Groups`).forEach((g, j) =>
      atPath(`${path}.Groups[${j}].GroupId`, () => {
        checkGroupId(g?.GroupId);
        if (!d.groups.has(g.GroupId)) throw Ec2Errors.groupNotFound(g.GroupId);
      }),
    );
    atPath(path, () =>
      buildInterface(ctx, d, change, {
        NetworkInterfaceId: n.NetworkInterfaceId,
        VpcId: n.VpcId,
        Description: n.Description,
        PrivateIpAddress: n.PrivateIpAddress,
        PrivateIpAddresses: n.PrivateIpAddresses,
        Ipv6Addresses: n.Ipv6Addresses,
        Groups: n.Groups,
        ConnectionTracking: n.ConnectionTrackingConfiguration,
        HostId: n.HostId,
        // describe-network-interfaces output names subnets a document may not carry: kept when known
        ...(typeof n.SubnetId === 'string' && d.subnets.get(n.SubnetId)?.vpcId === (n.VpcId ?? ctx.defaultVpcId) ? { SubnetId: n.SubnetId } : {}),
        Tags: n.TagSet,
      }, path),
    );
  });

  // VPCs last: their groups (and the default group that makes them a VPC) are in by now.
  list(doc.Vpcs, 'Vpcs').forEach((v, i) => {
    const path = `Vpcs[${i}]`;
    const vpcId = atPath(`${path}.VpcId`, () => {
      checkVpcId(v?.VpcId);
      return v.VpcId;
    });
    const cidrBlock = v.CidrBlock === undefined ? undefined : atPath(`${path}.CidrBlock`, () => parseCidr(v.CidrBlock, 4).text);
    // the association set repeats the primary block; the others are secondary blocks
    const secondary = list(v.CidrBlockAssociationSet, `${path}.CidrBlockAssociationSet`)
      .map((a, j) => atPath(`${path}.CidrBlockAssociationSet[${j}].CidrBlock`, () => parseCidr(a?.CidrBlock, 4).text))
      .filter((c) => c !== cidrBlock);
    const [ipv6] = list(v.Ipv6CidrBlockAssociationSet, `${path}.Ipv6CidrBlockAssociationSet`)
      .map((a, j) => atPath(`${path}.Ipv6CidrBlockAssociationSet[${j}].Ipv6CidrBlock`, () => parseCidr(a?.Ipv6CidrBlock, 6).text));
    const tags = atPath(`${path}.Tags`, () => mergeTags([], list(v.Tags, `${path}.Tags`).map(checkTag), vpcId));
    d.vpcs.set(vpcId, {
      ...d.vpcs.get(vpcId), vpcId, ...(cidrBlock !== undefined ? { cidrBlock } : {}),
      ...(secondary.length > 0 ? { secondaryCidrs: secondary } : {}), ...(ipv6 !== undefined ? { ipv6CidrBlock: ipv6 } : {}), tags,
    });
  });

  // Rule tags: each rule named by its group and content (ids are not kept by a plain import).
  list(doc.SecurityGroupRules, 'SecurityGroupRules').forEach((r, i) => {
    const path = `SecurityGroupRules[${i}]`;
    atPath(path, () => {
      const g = d.groups.get(String(r?.GroupId));
      if (g === undefined) throw Ec2Errors.groupNotFound(String(r?.GroupId));
      const perm = permissionOf({ ...r, ReferencedGroupId: r.ReferencedGroupInfo?.GroupId });
      const [spec] = expandPermissions([perm], {
        state: d, accountId: ctx.accountId, vpcId: g.vpcId, egress: r.IsEgress === true, keepMissingReferences: true,
      }, path);
      const key = ruleKey(spec!);
      const tags = mergeTags([], list(r.Tags, `${path}.Tags`).map(checkTag), String(r.SecurityGroupRuleId));
      const swap = (rules: readonly RuleRecord[]) => rules.map((x) => (ruleKey(x) === key ? { ...x, tags } : x));
      const rules = r.IsEgress === true ? g.egress : g.ingress;
      if (!rules.some((x) => ruleKey(x) === key)) throw Ec2Errors.permissionNotFound();
      d.groups.set(g.groupId, { ...g, ingress: swap(g.ingress), egress: swap(g.egress) });
    });
  });

  return { SecurityGroups: groups.length, NetworkInterfaces: interfaces.length, PrefixLists: prefixLists.length };
}

export interface ExportedPrefixList extends ManagedPrefixList {
  Entries: PrefixListEntry[];
}

export type ExportedSnapshot = ReturnType<typeof exportSnapshotWith>;

export function exportSnapshot(state: ModelState, ownerId: string, region: string): ExportedSnapshot {
  const groups = [...state.groups.values()];
  return exportSnapshotWith(state, ownerId, region, groups.map((g) => renderGroup(g, state)), groups.flatMap((g) => taggedRulesOf(g, state)));
}

/** The rules of `g` that carry tags, as the document's SecurityGroupRules lists them. */
export function taggedRulesOf(g: GroupRecord, state: ModelState): SecurityGroupRule[] {
  const out: SecurityGroupRule[] = [];
  for (const rules of [g.ingress, g.egress]) for (const r of rules) if ((r.tags?.length ?? 0) > 0) out.push(renderRule(r, g, state));
  return out;
}

/**
 * exportSnapshot with the per-group parts given: `securityGroups` must be renderGroup of each of
 * `state`'s groups and `taggedRules` taggedRulesOf each, in order (state/snapshot-slices.ts
 * computes them a slice at a time).
 */
export function exportSnapshotWith(state: ModelState, ownerId: string, region: string, securityGroups: SecurityGroup[], taggedRules: SecurityGroupRule[]): {
  SecurityGroups: SecurityGroup[];
  NetworkInterfaces: (NetworkInterface & { HostId?: string })[];
  PrefixLists: ExportedPrefixList[];
  Vpcs?: Vpc[];
  Subnets?: Subnet[];
  SecurityGroupRules?: SecurityGroupRule[];
} {
  // Only VPCs carrying something their groups do not (a CIDR, tags); the key is left out when none
  // do, so documents of a model without CreateVpc or VPC tags are as they always were.
  const vpcs = [...state.vpcs.values()]
    .filter((v) => v.cidrBlock !== undefined || v.ipv6CidrBlock !== undefined || (v.tags?.length ?? 0) > 0)
    .map((record) => renderVpc({ record, isDefault: false, ownerId, region }));
  return {
    SecurityGroups: securityGroups,
    // HostId is sgfw's, not describe-network-interfaces': only a snapshot carries it
    NetworkInterfaces: [...state.interfaces.values()].map((i) => {
      const hostId = hostIdOf(i);
      return { ...renderInterface(i, state), ...(hostId !== undefined ? { HostId: hostId } : {}) };
    }),
    PrefixLists: [...state.prefixLists.values()].map((p) => ({ ...renderPrefixList(p), Entries: renderEntries(p.entries) })),
    ...(vpcs.length > 0 ? { Vpcs: vpcs } : {}),
    ...(state.subnets.size > 0 ? { Subnets: [...state.subnets.values()].map((sn) => renderSubnet(sn, state, ownerId, region)) } : {}),
    ...(taggedRules.length > 0 ? { SecurityGroupRules: taggedRules } : {}),
  };
}
