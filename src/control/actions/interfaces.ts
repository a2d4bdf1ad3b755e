// Network interface actions: RegisterNetworkInterface (sgfw's own: an interface this host enforces
// groups for), DeregisterNetworkInterface, DescribeNetworkInterfaces, ModifyNetworkInterfaceAttribute;
// and the interface record builder snapshot import shares. An interface without groups gets its
// VPC's default group, as EC2 does.
import type { ConntrackTimeouts } from '../../model/model-view.js';
import { Ec2Error, Ec2PathError } from '../../model/ec2-error.js';
import { Ec2Errors } from '../../model/errors.js';
import { checkInterfaceId } from '../../model/ids.js';
import { parseAddress } from '../../model/cidr.js';
import { CONNTRACK_DEFAULTS, parseConntrackSpec } from '../../model/conntrack-spec.js';
import type { ActionContext } from '../action-context.js';
import type { ChangeSet } from '../change.js';
import type { InterfaceRecord, ModelState } from '../records.js';
import { asParams, stringList } from '../params.js';
import { renderInterface } from '../render.js';
import { checkFilterIds, checkFilterNames, compileFilters, matchesFilters } from '../filters.js';
import { INTERFACE_ID_FILTERS, interfaceFields } from '../describe-fields.js';
import { pageLimits, paginate, withNextToken } from '../pagination.js';
import { checkHostId, hostIdOf, withInterfaceTags, type HostedInterfaceRecord } from '../host-id.js';
import { mergeTags } from '../tagging.js';
import { groupById } from './groups.js';
import { ensureVpc, vpcOf } from './vpcs.js';
import { shown } from '../../model/shown.js';

/** Checks a group list for an interface in `vpcId`: exists, same VPC, within the quota. */
export function interfaceGroups(ctx: ActionContext, d: ModelState, groups: unknown, vpcId: string | undefined): { groupIds: string[]; vpcId: string | undefined } {
  if (!Array.isArray(groups)) throw Ec2Errors.invalidParameterValue('Groups must be a list of security group ids');
  const ids: string[] = [];
  for (const item of groups as unknown[]) {
    const id = typeof item === 'object' && item !== null ? (item as { GroupId?: unknown }).GroupId : item;
    const g = groupById(d, id);
    if (vpcId === undefined) vpcId = g.vpcId;
    else if (g.vpcId !== vpcId) {
      throw Ec2Errors.invalidParameter(`Security group ${g.groupId} and network interface belong to different networks (${g.vpcId}, ${vpcId}).`);
    }
    if (!ids.includes(g.groupId)) ids.push(g.groupId);
  }
  if (ids.length > ctx.limits.groupsPerInterface) throw Ec2Errors.groupsPerInterfaceLimit();
  return { groupIds: ids, vpcId };
}

/**
 * One address, one interface per enforcement point. Within a VPC an address names one interface, as
 * in EC2. Across VPCs the same address may be held twice only by interfaces enforced on different
 * hosts: interfaces with a HostId are enforced on that host, and one without is enforced by
 * whichever sgfw loads it, so it meets every other interface. Two interfaces a host judges by the
 * same address would share one verdict, decided by whichever came later.
 */
function meets(other: InterfaceRecord, mine: { interfaceId: string; vpcId: string; hostId: string | undefined }): boolean {
  if (other.interfaceId === mine.interfaceId) return false;
  const otherHost = hostIdOf(other);
  return other.vpcId === mine.vpcId || mine.hostId === undefined || otherHost === undefined || mine.hostId === otherHost;
}

export function checkAddressesFree(d: ModelState, mine: { interfaceId: string; vpcId: string; hostId: string | undefined }, addresses: readonly string[]): void {
  for (const other of d.interfaces.values()) {
    if (!meets(other, mine)) continue;
    const otherHost = hostIdOf(other);
    const sameVpc = other.vpcId === mine.vpcId;
    for (const a of addresses) {
      if (other.privateIpv4.includes(a) || other.ipv6.includes(a)) {
        const where = sameVpc ? `VPC '${other.vpcId}'` : `VPC '${other.vpcId}', enforced ${otherHost === undefined ? 'on every host' : `on host '${otherHost}'`}`;
        throw Ec2Errors.addressInUse(a, other.interfaceId, where);
      }
    }
  }
}

/** The addresses checkAddressesFree would refuse to `mine`: what a subnet may not hand out to it. */
export function takenAddresses(d: ModelState, mine: { interfaceId: string; vpcId: string; hostId: string | undefined }): Set<string> {
  const out = new Set<string>();
  for (const other of d.interfaces.values()) {
    if (!meets(other, mine)) continue;
    for (const a of other.privateIpv4) out.add(a);
    for (const a of other.ipv6) out.add(a);
  }
  return out;
}

/** Builds and checks an interface record (registration and snapshot import). */
export function buildInterface(
  ctx: ActionContext,
  d: ModelState,
  change: ChangeSet,
  p: {
    NetworkInterfaceId?: unknown;
    VpcId?: unknown;
    Description?: unknown;
    PrivateIpAddress?: unknown;
    PrivateIpAddresses?: unknown;
    Ipv6Addresses?: unknown;
    Groups?: unknown;
    ConnectionTracking?: unknown;
    HostId?: unknown;
    /** a subnet of the model (snapshot import drops one it does not hold) */
    SubnetId?: string;
    /** TagSet: `sgfw:host-id` among them is the host when HostId is not given */
    Tags?: unknown;
  },
  /** where the interface is in a state document (`NetworkInterfaces[2]`): a bad address is named by its field */
  path?: string,
): InterfaceRecord {
  const at = (where: string, e: Ec2Error): Ec2Error => (path === undefined ? e : new Ec2PathError(e, `${path}.${where}`));
  let interfaceId: string;
  if (p.NetworkInterfaceId === undefined) {
    // a drawn id that happens to be taken is drawn again: it is no fault of the caller's
    do interfaceId = ctx.newId('eni');
    while (d.interfaces.has(interfaceId));
  } else {
    checkInterfaceId(p.NetworkInterfaceId);
    interfaceId = p.NetworkInterfaceId;
  }
  if (d.interfaces.has(interfaceId)) throw Ec2Errors.interfaceDuplicate(interfaceId);
  let vpcId = p.VpcId === undefined ? undefined : vpcOf(ctx, p.VpcId);
  let groupIds: string[];
  if (p.Groups !== undefined) {
    const checked = interfaceGroups(ctx, d, p.Groups, vpcId);
    groupIds = checked.groupIds;
    vpcId = checked.vpcId;
  } else {
    groupIds = [];
  }
  vpcId ??= ctx.defaultVpcId;
  if (p.Groups === undefined) {
    // seed 001: "If you don't specify a security group … the instance is automatically
    // associated with the default security group for the VPC".
    ensureVpc(ctx, d, vpcId, change);
    groupIds = [d.vpcs.get(vpcId)?.defaultGroupId ?? d.groupByName(vpcId, 'default')!.groupId];
  }
  const ipv4: string[] = [];
  const primaryText = p.PrivateIpAddress;
  const list = p.PrivateIpAddresses === undefined ? [] : p.PrivateIpAddresses;
  if (!Array.isArray(list)) throw Ec2Errors.invalidParameterValue('PrivateIpAddresses must be a list');
  let primary: string | undefined;
  if (primaryText !== undefined) {
    primary = parseAddress(primaryText, 4);
    if (primary === undefined) throw at('PrivateIpAddress', Ec2Errors.invalidParameterValue(`Invalid private IPv4 address: ${shown(primaryText)}`));
  }
  for (const [i, item] of (list as { PrivateIpAddress?: unknown; Primary?: unknown }[]).entries()) {
    const a = parseAddress(item?.PrivateIpAddress, 4);
    if (a === undefined) {
      throw at(`PrivateIpAddresses[${i}].PrivateIpAddress`, Ec2Errors.invalidParameterValue(`Invalid private IPv4 address: ${shown(item?.PrivateIpAddress)}`));
    }
    if (item.Primary === true) {
      if (primary !== undefined && primary !== a) throw Ec2Errors.invalidParameterValue('Only one private IPv4 address can be primary.');
      primary = a;
    }
    if (!ipv4.includes(a)) ipv4.push(a);
  }
  if (primary !== undefined) {
    const at = ipv4.indexOf(primary);
    if (at >= 0) ipv4.splice(at, 1);
    ipv4.unshift(primary);
  }
  const ipv6: string[] = [];
  if (p.Ipv6Addresses !== undefined) {
    if (!Array.isArray(p.Ipv6Addresses)) throw Ec2Errors.invalidParameterValue('Ipv6Addresses must be a list');
    for (const [i, item] of (p.Ipv6Addresses as { Ipv6Address?: unknown }[]).entries()) {
      const a = parseAddress(item?.Ipv6Address, 6);
      if (a === undefined) throw at(`Ipv6Addresses[${i}].Ipv6Address`, Ec2Errors.invalidParameterValue(`Invalid IPv6 address: ${shown(item?.Ipv6Address)}`));
      if (!ipv6.includes(a)) ipv6.push(a);
    }
  }
  if (ipv4.length === 0 && ipv6.length === 0) throw Ec2Errors.missingParameter('PrivateIpAddresses');
  if (p.Tags !== undefined && !Array.isArray(p.Tags)) throw Ec2Errors.invalidParameterValue('TagSet must be a list');
  // Tags come checked (TagSpecifications) or from a document, whose AWS-made tags (`aws:…`) a user
  // could not set but an account has: kept as they are, only the host tag is read.
  const given = ((p.Tags ?? []) as { Key?: unknown; Value?: unknown }[]).map((t) => ({ Key: shown(t?.Key), Value: shown(t?.Value ?? '') }));
  const tagged = withInterfaceTags({ interfaceId, vpcId, privateIpv4: [], ipv6: [], groupIds: [], conntrack: CONNTRACK_DEFAULTS },
    mergeTags([], given, interfaceId));
  const hostId = p.HostId === undefined ? tagged.hostId : checkHostId(p.HostId);
  checkAddressesFree(d, { interfaceId, vpcId, hostId }, [...ipv4, ...ipv6]);
  if (p.Description !== undefined && typeof p.Description !== 'string') throw Ec2Errors.invalidParameterValue('Description must be a string');
  const conntrack: ConntrackTimeouts = parseConntrackSpec(p.ConnectionTracking, CONNTRACK_DEFAULTS);
  if (!d.vpcs.has(vpcId)) d.vpcs.set(vpcId, { vpcId });
  const record: HostedInterfaceRecord = {
    interfaceId, vpcId, privateIpv4: ipv4, ipv6, groupIds, conntrack,
    ...(p.SubnetId !== undefined ? { subnetId: p.SubnetId } : {}),
    ...(typeof p.Description === 'string' && p.Description !== '' ? { description: p.Description } : {}),
    ...(tagged.tags !== undefined ? { tags: tagged.tags } : {}),
    ...(hostId !== undefined ? { hostId } : {}),
  };
  d.interfaces.set(interfaceId, record);
  change.interfaceIds.add(interfaceId);
  return record;
}

/** sgfw's own action: a network interface this host enforces groups for. */
export function registerNetworkInterface(ctx: ActionContext, params: unknown): { NetworkInterface: ReturnType<typeof renderInterface> } {
  const p = asParams(params);
  return ctx.mutate('RegisterNetworkInterface', (d, change) => {
    const { SubnetId: _none, Tags: _tags, ...own } = p;
    const record = buildInterface(ctx, d, change, { ...own, ConnectionTracking: p.ConnectionTrackingSpecification });
    return { NetworkInterface: renderInterface(record, d, { ownerId: ctx.accountId, region: ctx.region }) };
  });
}

export function deregisterNetworkInterface(ctx: ActionContext, params: unknown): { Return: true } {
  const p = asParams(params);
  return ctx.mutate('DeregisterNetworkInterface', (d, change) => {
    const i = interfaceById(d, p.NetworkInterfaceId);
    d.interfaces.delete(i.interfaceId);
    change.interfaceIds.add(i.interfaceId);
    return { Return: true as const };
  });
}

export function interfaceById(d: ModelState, id: unknown): InterfaceRecord {
  if (id === undefined) throw Ec2Errors.missingParameter('NetworkInterfaceId');
  checkInterfaceId(id);
  const i = d.interfaces.get(id);
  if (i === undefined) throw Ec2Errors.interfaceNotFound(id);
  return i;
}

export function describeNetworkInterfaces(ctx: ActionContext, params?: unknown): { NetworkInterfaces: ReturnType<typeof renderInterface>[]; NextToken?: string } {
  const p = asParams(params);
  const d = ctx.state;
  const filters = compileFilters(p.Filters);
  checkFilterNames(filters, (n) => interfaceFields({ privateIpv4: [], ipv6: [], groupIds: [] } as unknown as InterfaceRecord, n) !== undefined);
  checkFilterIds(filters, INTERFACE_ID_FILTERS);
  const ids = stringList(p.NetworkInterfaceIds, 'NetworkInterfaceIds');
  const candidates = ids.length > 0 ? ids.map((id) => interfaceById(d, id)) : [...d.interfaces.values()];
  const matched = candidates.filter((i) => matchesFilters(i, filters, interfaceFields));
  // EC2: "You cannot specify this parameter and the network interface IDs parameter in the same request."
  const limits = pageLimits('DescribeNetworkInterfaces', { wireName: 'networkInterfaceIdSet', given: ids.length > 0 });
  const page = paginate(matched, (i) => i.interfaceId, p, limits);
  return withNextToken('NetworkInterfaces', { ...page, items: page.items.map((i) => renderInterface(i, d, { ownerId: ctx.accountId, region: ctx.region })) });
}

/** Groups (and, as EC2 allows, ConnectionTrackingSpecification and Description) of an interface. */
export function modifyNetworkInterfaceAttribute(ctx: ActionContext, params: unknown): Record<string, never> {
  const p = asParams(params);
  return ctx.mutate('ModifyNetworkInterfaceAttribute', (d, change) => {
    const i = interfaceById(d, p.NetworkInterfaceId);
    let next: InterfaceRecord = i;
    if (p.Groups !== undefined) {
      const { groupIds } = interfaceGroups(ctx, d, p.Groups, i.vpcId);
      if (groupIds.length === 0) throw Ec2Errors.missingParameter('Groups');
      next = { ...next, groupIds };
    }
    if (p.ConnectionTrackingSpecification !== undefined) {
      next = { ...next, conntrack: parseConntrackSpec(p.ConnectionTrackingSpecification, i.conntrack) };
    }
    if (p.Description !== undefined) {
      const v = typeof p.Description === 'object' && p.Description !== null ? (p.Description as { Value?: unknown }).Value : p.Description;
      if (typeof v !== 'string') throw Ec2Errors.invalidParameterValue('Description must be a string');
      const { description: _old, ...rest } = next;
      next = v === '' ? rest : { ...rest, description: v };
    }
    if (p.HostId !== undefined) {
      // `{ Value: NAME }` as EC2's attribute values, or NAME; '' unregisters it from any host.
      const v = typeof p.HostId === 'object' && p.HostId !== null ? (p.HostId as { Value?: unknown }).Value : p.HostId;
      const { hostId: _old, ...rest } = next as HostedInterfaceRecord;
      const hosted: HostedInterfaceRecord = v === '' ? rest : { ...rest, hostId: checkHostId(v) };
      // another host, or none (every host), may meet an interface holding the same address
      checkAddressesFree(d, { interfaceId: i.interfaceId, vpcId: i.vpcId, hostId: hosted.hostId }, [...i.privateIpv4, ...i.ipv6]);
      next = hosted;
    }
    if (next === i) throw Ec2Errors.missingParameter('Groups');
    d.interfaces.set(i.interfaceId, next);
    change.interfaceIds.add(i.interfaceId);
    return {};
  });
}
