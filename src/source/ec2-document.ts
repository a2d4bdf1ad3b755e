// What `sgfw run --source ec2` lists from an EC2 endpoint, and its translation into the document a
// state file holds (model/types.ts ModelDocument: AWS CLI JSON, which the SDK's answers already are,
// field for field). From there the account goes through the same reader (state/state-document.ts)
// and the same import (SecurityGroupService.importSnapshot) as `--state` files: one translation of
// EC2's shapes into the model, whichever way they arrive.
//
// Only what enforcement needs is kept: groups with their permissions, interfaces with their
// addresses, groups and connection-tracking timeouts, prefix lists with their entries, VPCs with
// their CIDR. The interface tag `sgfw:host-id` becomes the interface's HostId (the host that enforces
// it, as RegisterNetworkInterface's HostId does); a value that is not a host id is left out and
// reported, never a reason to refuse the whole account.
import type {
  IpPermission as SdkIpPermission,
  ManagedPrefixList,
  NetworkInterface,
  PrefixListEntry as SdkPrefixListEntry,
  SecurityGroup as SdkSecurityGroup,
  Tag as SdkTag,
  Vpc,
} from '@aws-sdk/client-ec2';
import { HOST_ID_PATTERN } from '../control/host-id.js';
import type {
  ImportedNetworkInterface,
  ImportedPrefixList,
  ImportedSecurityGroup,
  ImportedVpc,
  IpPermission,
  ModelDocument,
  Tag,
} from '../model/types.js';

/** The tag whose value names the host that enforces an interface. */
export const HOST_ID_TAG = 'sgfw:host-id';

/** Everything one poll read, as the SDK answered it. */
export interface Ec2Listing {
  readonly securityGroups: readonly SdkSecurityGroup[];
  readonly networkInterfaces: readonly NetworkInterface[];
  /** each list with the entries GetManagedPrefixListEntries gave (undefined: not read, no rule uses it) */
  readonly prefixLists: readonly { readonly list: ManagedPrefixList; readonly entries?: readonly SdkPrefixListEntry[] }[];
  readonly vpcs: readonly Vpc[];
}

export interface TranslatedListing {
  readonly document: ModelDocument;
  /** what was left out, one sentence each (logged, not fatal) */
  readonly warnings: string[];
}

/** Copies the keys whose value is defined (the SDK leaves absent members undefined; JSON leaves them out). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function tags(list: readonly SdkTag[] | undefined): Tag[] | undefined {
  if (list === undefined) return undefined;
  return list.filter((t) => typeof t.Key === 'string').map((t) => ({ Key: t.Key!, Value: t.Value ?? '' }));
}

function permission(p: SdkIpPermission): IpPermission {
  return defined({
    IpProtocol: p.IpProtocol as string,
    FromPort: p.FromPort,
    ToPort: p.ToPort,
    IpRanges: p.IpRanges?.map((r) => defined({ CidrIp: r.CidrIp as string, Description: r.Description })),
    Ipv6Ranges: p.Ipv6Ranges?.map((r) => defined({ CidrIpv6: r.CidrIpv6 as string, Description: r.Description })),
    PrefixListIds: p.PrefixListIds?.map((r) => defined({ PrefixListId: r.PrefixListId as string, Description: r.Description })),
    UserIdGroupPairs: p.UserIdGroupPairs?.map((r) =>
      defined({ GroupId: r.GroupId, GroupName: r.GroupName, UserId: r.UserId, VpcId: r.VpcId, Description: r.Description }),
    ),
  });
}

function securityGroup(g: SdkSecurityGroup): ImportedSecurityGroup {
  return defined({
    GroupId: g.GroupId as string,
    GroupName: g.GroupName as string,
    Description: g.Description,
    OwnerId: g.OwnerId,
    VpcId: g.VpcId,
    IpPermissions: (g.IpPermissions ?? []).map(permission),
    IpPermissionsEgress: (g.IpPermissionsEgress ?? []).map(permission),
    Tags: tags(g.Tags),
  });
}

function networkInterface(n: NetworkInterface, warnings: string[]): ImportedNetworkInterface {
  const hostTag = n.TagSet?.find((t) => t.Key === HOST_ID_TAG)?.Value;
  let hostId: string | undefined;
  if (hostTag !== undefined) {
    if (HOST_ID_PATTERN.test(hostTag)) hostId = hostTag;
    else warnings.push(`${n.NetworkInterfaceId}: tag ${HOST_ID_TAG} '${hostTag}' is not a host id (1 to 128 letters, digits, '.', '_', ':' or '-'); ignored`);
  }
  const ct = n.ConnectionTrackingConfiguration;
  return defined({
    NetworkInterfaceId: n.NetworkInterfaceId as string,
    VpcId: n.VpcId,
    Description: n.Description,
    PrivateIpAddress: n.PrivateIpAddress,
    PrivateIpAddresses: n.PrivateIpAddresses?.filter((a) => a.PrivateIpAddress !== undefined)
      .map((a) => defined({ PrivateIpAddress: a.PrivateIpAddress as string, Primary: a.Primary })),
    Ipv6Addresses: n.Ipv6Addresses?.filter((a) => a.Ipv6Address !== undefined).map((a) => ({ Ipv6Address: a.Ipv6Address as string })),
    Groups: n.Groups?.map((g) => defined({ GroupId: g.GroupId as string, GroupName: g.GroupName })),
    ConnectionTrackingConfiguration: ct === undefined ? undefined
      : defined({ TcpEstablishedTimeout: ct.TcpEstablishedTimeout, UdpStreamTimeout: ct.UdpStreamTimeout, UdpTimeout: ct.UdpTimeout }),
    HostId: hostId,
  });
}

function prefixList(list: ManagedPrefixList, entries: readonly SdkPrefixListEntry[] | undefined): ImportedPrefixList {
  // MaxEntries is left out: the model checks it against its own quota, and an AWS-managed list's is
  // AWS's business; the entries are what is enforced.
  return defined({
    PrefixListId: list.PrefixListId as string,
    AddressFamily: list.AddressFamily as 'IPv4' | 'IPv6',
    PrefixListName: list.PrefixListName,
    Version: list.Version,
    State: list.State,
    OwnerId: list.OwnerId,
    Tags: tags(list.Tags),
    Entries: (entries ?? []).filter((e) => e.Cidr !== undefined).map((e) => defined({ Cidr: e.Cidr as string, Description: e.Description })),
  });
}

function vpc(v: Vpc): ImportedVpc {
  return defined({ VpcId: v.VpcId as string, CidrBlock: v.CidrBlock, Tags: tags(v.Tags) });
}

/**
 * The listing as a state document. An interface naming a group the listing lacks (deleted between
 * two calls, or outside the filters and not found by id) keeps its other groups: fewer rules allow
 * less, so the gap fails closed, and a warning says which.
 */
export function translateListing(listing: Ec2Listing): TranslatedListing {
  const warnings: string[] = [];
  const groupIds = new Set(listing.securityGroups.map((g) => g.GroupId));
  const interfaces = listing.networkInterfaces.map((n) => {
    const imported = networkInterface(n, warnings);
    const missing = (imported.Groups ?? []).filter((g) => !groupIds.has(g.GroupId));
    if (missing.length === 0) return imported;
    warnings.push(`${imported.NetworkInterfaceId}: group(s) ${missing.map((g) => g.GroupId).join(', ')} not listed; enforced without them`);
    return { ...imported, Groups: imported.Groups!.filter((g) => groupIds.has(g.GroupId)) };
  });
  return {
    document: {
      SecurityGroups: listing.securityGroups.map(securityGroup),
      NetworkInterfaces: interfaces,
      PrefixLists: listing.prefixLists.map((p) => prefixList(p.list, p.entries)),
      Vpcs: listing.vpcs.map(vpc),
    },
    warnings,
  };
}

/** The prefix lists the groups' rules name: only their entries are worth a call. */
export function referencedPrefixLists(groups: readonly SdkSecurityGroup[]): Set<string> {
  const out = new Set<string>();
  for (const g of groups) {
    for (const p of [...(g.IpPermissions ?? []), ...(g.IpPermissionsEgress ?? [])]) {
      for (const r of p.PrefixListIds ?? []) if (r.PrefixListId !== undefined) out.add(r.PrefixListId);
    }
  }
  return out;
}

/** The groups the interfaces use that the listing lacks (outside the filters): read by id. */
export function missingGroups(groups: readonly SdkSecurityGroup[], interfaces: readonly NetworkInterface[]): string[] {
  const have = new Set(groups.map((g) => g.GroupId));
  const out = new Set<string>();
  for (const n of interfaces) for (const g of n.Groups ?? []) if (g.GroupId !== undefined && !have.has(g.GroupId)) out.add(g.GroupId);
  return [...out].sort();
}
