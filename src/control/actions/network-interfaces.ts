// EC2's own interface actions (issue 17): CreateNetworkInterface and DeleteNetworkInterface, and
// AssignPrivateIpAddresses / UnassignPrivateIpAddresses / AssignIpv6Addresses /
// UnassignIpv6Addresses, so `aws ec2 create-network-interface --subnet-id … --groups …` registers
// an interface unchanged. Semantics from the EC2 API reference
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkInterface.html):
// "If you don't specify a primary private IPv4 address, Amazon EC2 selects one for you from the
// subnet's IPv4 CIDR range"; SecondaryPrivateIpAddressCount and Ipv6AddressCount "Amazon EC2
// selects … from within the subnet range"; "You can't specify a count of IPv6 addresses using this
// parameter if you've specified one of the following: specific IPv6 addresses, …"; without groups
// the interface is in its VPC's default group. sgfw picks the lowest free addresses (EC2 picks any),
// so the same calls give the same addresses, and skips the five each subnet keeps. Where the
// interface is enforced is its `sgfw:host-id` tag (../host-id.ts).
import { Ec2Error } from '../../model/ec2-error.js';
import { Ec2Errors } from '../../model/errors.js';
import { parseAddress } from '../../model/cidr.js';
import { cidrRange, isReservedInSubnet, lowestFree, rangeHolds, type CidrRange } from '../../model/cidr-range.js';
import type { ActionContext } from '../action-context.js';
import type { InterfaceRecord, ModelState, SubnetRecord } from '../records.js';
import { asParams } from '../params.js';
import { renderInterface } from '../render.js';
import { tagsFromSpecifications } from '../tagging.js';
import { hostIdOf } from '../host-id.js';
import { buildInterface, checkAddressesFree, interfaceById, takenAddresses } from './interfaces.js';
import { subnetById } from './subnets.js';
import { shown } from '../../model/shown.js';

type Answer = ReturnType<typeof renderInterface>;

function count(v: unknown, name: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw Ec2Errors.invalidParameterValue(`Invalid value '${shown(v)}' for ${name}: expected a whole number, 0 or more`);
  return v;
}

/** The addresses given in a list of `{ [key]: address }` items (or plain strings), checked and in the subnet. */
function givenAddresses(v: unknown, key: string, family: 4 | 6, subnet: SubnetRecord, range: CidrRange | undefined): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw Ec2Errors.invalidParameterValue(`${key} must be a list`);
  const out: string[] = [];
  for (const item of v as unknown[]) {
    const text = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[key] : item;
    const a = parseAddress(text, family);
    if (a === undefined) throw Ec2Errors.invalidParameterValue(`Invalid ${family === 4 ? 'private IPv4' : 'IPv6'} address: ${shown(text)}`);
    inSubnet(a, subnet, range);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

function inSubnet(a: string, subnet: SubnetRecord, range: CidrRange | undefined): void {
  if (range === undefined) throw Ec2Errors.noIpv6InSubnet(subnet.subnetId);
  if (!rangeHolds(range, a)) throw Ec2Errors.addressOutsideSubnet(a, subnet.subnetId, range.family === 4 ? subnet.cidrBlock : subnet.ipv6CidrBlock!);
  if (isReservedInSubnet(range, a)) throw Ec2Errors.addressReserved(a, subnet.subnetId);
}

/** `n` free addresses of `range` for an interface, or InsufficientFreeAddressesInSubnet. */
function draw(range: CidrRange, taken: Set<string>, n: number, subnetId: string): string[] {
  if (n === 0) return [];
  const got = lowestFree(range, taken, n);
  if (got.length < n) throw Ec2Errors.subnetFull(subnetId);
  for (const a of got) taken.add(a);
  return got;
}

function ipv6Range(subnet: SubnetRecord): CidrRange | undefined {
  return subnet.ipv6CidrBlock === undefined ? undefined : cidrRange(subnet.ipv6CidrBlock);
}

/** The answer echoes the request's ClientToken, as EC2's does (client-tokens.ts keeps the token). */
export function createNetworkInterface(ctx: ActionContext, params: unknown): { NetworkInterface: Answer; ClientToken?: string } {
  const p = asParams(params);
  return ctx.mutate('CreateNetworkInterface', (d, change) => {
    const subnet = subnetById(d, p.SubnetId);
    const v4 = cidrRange(subnet.cidrBlock);
    const v6 = ipv6Range(subnet);
    let interfaceId = ctx.newId('eni');
    while (d.interfaces.has(interfaceId)) interfaceId = ctx.newId('eni');
    const tags = tagsFromSpecifications(p.TagSpecifications, 'network-interface', interfaceId);

    // IPv4: the primary (PrivateIpAddress, or the list's Primary, or its first), then the others
    let primary: string | undefined;
    if (p.PrivateIpAddress !== undefined) [primary] = givenAddresses([p.PrivateIpAddress], 'PrivateIpAddress', 4, subnet, v4);
    const listed = givenAddresses(p.PrivateIpAddresses, 'PrivateIpAddress', 4, subnet, v4);
    for (const item of (p.PrivateIpAddresses ?? []) as { PrivateIpAddress?: unknown; Primary?: unknown }[]) {
      if (item?.Primary !== true) continue;
      const a = parseAddress(item.PrivateIpAddress, 4)!;
      if (primary !== undefined && primary !== a) throw Ec2Errors.invalidParameterValue('Only one private IPv4 address can be primary.');
      primary = a;
    }
    const ipv4 = primary === undefined ? [...listed] : [primary, ...listed.filter((a) => a !== primary)];
    const secondaries = count(p.SecondaryPrivateIpAddressCount, 'SecondaryPrivateIpAddressCount');

    const ipv6Given = givenAddresses(p.Ipv6Addresses, 'Ipv6Address', 6, subnet, v6);
    const ipv6Count = count(p.Ipv6AddressCount, 'Ipv6AddressCount');
    if (ipv6Given.length > 0 && ipv6Count > 0) {
      throw new Ec2Error('InvalidParameterCombination', 'The parameter Ipv6AddressCount cannot be used with the parameter Ipv6Addresses');
    }
    if (ipv6Count > 0 && v6 === undefined) throw Ec2Errors.noIpv6InSubnet(subnet.subnetId);

    // Drawn addresses avoid every address this interface would meet (its VPC's, and those of the
    // interfaces enforced where it will be); given ones are checked by buildInterface as always.
    const hostTag = tags.find((t) => t.Key === 'sgfw:host-id')?.Value;
    const taken = takenAddresses(d, { interfaceId, vpcId: subnet.vpcId, hostId: hostTag });
    for (const a of [...ipv4, ...ipv6Given]) taken.add(a);
    const extra = (ipv4.length === 0 ? 1 : 0) + secondaries;
    if (ipv4.length + extra > ctx.limits.privateIpsPerInterface) throw Ec2Errors.privateIpLimit(ctx.limits.privateIpsPerInterface);
    if (ipv6Given.length + ipv6Count > ctx.limits.ipv6AddressesPerInterface) throw Ec2Errors.ipv6Limit(ctx.limits.ipv6AddressesPerInterface);
    ipv4.push(...draw(v4, taken, extra, subnet.subnetId));
    const ipv6 = [...ipv6Given, ...(v6 === undefined ? [] : draw(v6, taken, ipv6Count, subnet.subnetId))];

    const record = buildInterface(ctx, d, change, {
      NetworkInterfaceId: interfaceId,
      VpcId: subnet.vpcId,
      SubnetId: subnet.subnetId,
      Description: p.Description,
      PrivateIpAddresses: ipv4.map((a, n) => ({ PrivateIpAddress: a, Primary: n === 0 })),
      Ipv6Addresses: ipv6.map((a) => ({ Ipv6Address: a })),
      ...(p.Groups !== undefined ? { Groups: p.Groups } : {}),
      ConnectionTracking: p.ConnectionTrackingSpecification,
      Tags: tags,
    });
    return {
      NetworkInterface: renderInterface(record, d, { ownerId: ctx.accountId, region: ctx.region }),
      ...(typeof p.ClientToken === 'string' ? { ClientToken: p.ClientToken } : {}),
    };
  });
}

/** EC2 answers nothing but success; the interface stops being enforced wherever it was. */
export function deleteNetworkInterface(ctx: ActionContext, params: unknown): Record<string, never> {
  const p = asParams(params);
  return ctx.mutate('DeleteNetworkInterface', (d, change) => {
    const i = interfaceById(d, p.NetworkInterfaceId);
    d.interfaces.delete(i.interfaceId);
    change.interfaceIds.add(i.interfaceId);
    return {};
  });
}

/** The subnet an interface draws from; a registered interface has none, so it cannot be given more. */
function subnetOf(d: ModelState, i: InterfaceRecord): SubnetRecord {
  const subnet = i.subnetId === undefined ? undefined : d.subnets.get(i.subnetId);
  if (subnet === undefined) {
    throw Ec2Errors.invalidParameterValue(
      `The network interface ${i.interfaceId} is in no subnet (RegisterNetworkInterface): change its addresses by registering it again.`,
    );
  }
  return subnet;
}

function assign(ctx: ActionContext, action: string, params: unknown, family: 4 | 6): { d: ModelState; i: InterfaceRecord; added: string[] } {
  const p = asParams(params);
  return ctx.mutate(action, (d, change) => {
    const i = interfaceById(d, p.NetworkInterfaceId);
    const subnet = subnetOf(d, i);
    const range = family === 4 ? cidrRange(subnet.cidrBlock) : ipv6Range(subnet);
    if (range === undefined) throw Ec2Errors.noIpv6InSubnet(subnet.subnetId);
    const listKey = family === 4 ? 'PrivateIpAddresses' : 'Ipv6Addresses';
    const countKey = family === 4 ? 'SecondaryPrivateIpAddressCount' : 'Ipv6AddressCount';
    const given = givenAddresses(p[listKey], listKey, family, subnet, range);
    const n = count(p[countKey], countKey);
    if (given.length > 0 && n > 0) throw new Ec2Error('InvalidParameterCombination', `The parameter ${countKey} cannot be used with the parameter ${listKey}`);
    if (given.length === 0 && n === 0) throw Ec2Errors.missingParameter(`${listKey} or ${countKey}`);
    const held = family === 4 ? i.privateIpv4 : i.ipv6;
    const mine = { interfaceId: i.interfaceId, vpcId: i.vpcId, hostId: hostIdOf(i) };
    // AllowReassignment (IPv4) moves an address from another interface of the VPC: not offered, an
    // address held elsewhere is refused as in use.
    checkAddressesFree(d, mine, given);
    const fresh = given.filter((a) => !held.includes(a));
    const limit = family === 4 ? ctx.limits.privateIpsPerInterface : ctx.limits.ipv6AddressesPerInterface;
    if (held.length + fresh.length + n > limit) throw family === 4 ? Ec2Errors.privateIpLimit(limit) : Ec2Errors.ipv6Limit(limit);
    const taken = takenAddresses(d, mine);
    for (const a of [...held, ...fresh]) taken.add(a);
    const added = [...fresh, ...draw(range, taken, n, subnet.subnetId)];
    const next: InterfaceRecord = family === 4 ? { ...i, privateIpv4: [...held, ...added] } : { ...i, ipv6: [...held, ...added] };
    d.interfaces.set(i.interfaceId, next);
    change.interfaceIds.add(i.interfaceId);
    return { d, i: next, added };
  });
}

export function assignPrivateIpAddresses(ctx: ActionContext, params: unknown): {
  NetworkInterfaceId: string; AssignedPrivateIpAddresses: { PrivateIpAddress: string }[];
} {
  const { i, added } = assign(ctx, 'AssignPrivateIpAddresses', params, 4);
  return { NetworkInterfaceId: i.interfaceId, AssignedPrivateIpAddresses: added.map((a) => ({ PrivateIpAddress: a })) };
}

export function assignIpv6Addresses(ctx: ActionContext, params: unknown): { AssignedIpv6Addresses: string[]; NetworkInterfaceId: string } {
  const { i, added } = assign(ctx, 'AssignIpv6Addresses', params, 6);
  return { AssignedIpv6Addresses: added, NetworkInterfaceId: i.interfaceId };
}

function unassign(ctx: ActionContext, action: string, params: unknown, family: 4 | 6): InterfaceRecord {
  const p = asParams(params);
  return ctx.mutate(action, (d, change) => {
    const i = interfaceById(d, p.NetworkInterfaceId);
    const listKey = family === 4 ? 'PrivateIpAddresses' : 'Ipv6Addresses';
    const v = p[listKey];
    if (!Array.isArray(v) || v.length === 0) throw Ec2Errors.missingParameter(listKey);
    const held = family === 4 ? i.privateIpv4 : i.ipv6;
    const drop: string[] = [];
    for (const item of v as unknown[]) {
      const text = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[family === 4 ? 'PrivateIpAddress' : 'Ipv6Address'] : item;
      const a = parseAddress(text, family);
      if (a === undefined || !held.includes(a)) throw Ec2Errors.addressNotAssigned(shown(text), i.interfaceId);
      // EC2: "You can't unassign the primary private IP address of a network interface"
      if (family === 4 && a === i.privateIpv4[0]) throw Ec2Errors.primaryAddressUnassign(a);
      drop.push(a);
    }
    const kept = held.filter((a) => !drop.includes(a));
    if (family === 6 && kept.length === 0 && i.privateIpv4.length === 0) {
      throw Ec2Errors.invalidParameterValue(`The network interface ${i.interfaceId} would be left without any address.`);
    }
    const next: InterfaceRecord = family === 4 ? { ...i, privateIpv4: kept } : { ...i, ipv6: kept };
    d.interfaces.set(i.interfaceId, next);
    change.interfaceIds.add(i.interfaceId);
    return next;
  });
}

export function unassignPrivateIpAddresses(ctx: ActionContext, params: unknown): Record<string, never> {
  unassign(ctx, 'UnassignPrivateIpAddresses', params, 4);
  return {};
}

export function unassignIpv6Addresses(ctx: ActionContext, params: unknown): { NetworkInterfaceId: string; UnassignedIpv6Addresses: string[] } {
  const p = asParams(params);
  const before = interfaceById(ctx.state, p.NetworkInterfaceId).ipv6;
  const after = unassign(ctx, 'UnassignIpv6Addresses', params, 6);
  return { NetworkInterfaceId: after.interfaceId, UnassignedIpv6Addresses: before.filter((a) => !after.ipv6.includes(a)) };
}
