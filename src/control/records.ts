// The service's own records. They satisfy the read-side views of model-view.ts directly, so the
// dataplane reads them without copies. Records are never mutated once stored: a change builds new
// records in a draft and swaps the draft in whole, which is what makes every call atomic. A state's
// maps are never changed once it is current but through fillFrom (a state nobody reads mid-call):
// later drafts share their entries (draft-map.ts).
import type { ConntrackTimeouts, GroupView, InterfaceView, PrefixListView, RuleView } from '../model/model-view.js';
import type { Tag } from '../model/types.js';
import { DraftMap } from './draft-map.js';

export interface RuleRecord extends RuleView {
  /** IpProtocol as EC2 prints it (`tcp`, `-1`, `50`) */
  readonly protocolText: string;
  /** for a group peer in another VPC: that VPC, as the request or snapshot named it */
  readonly peerVpcId?: string;
  readonly tags?: readonly Tag[];
}

export interface GroupRecord extends GroupView {
  readonly ingress: readonly RuleRecord[];
  readonly egress: readonly RuleRecord[];
  readonly tags: readonly Tag[];
}

export interface InterfaceRecord extends InterfaceView {
  readonly description?: string;
  readonly conntrack: ConntrackTimeouts;
  /** the subnet CreateNetworkInterface made it in; RegisterNetworkInterface's interfaces have none */
  readonly subnetId?: string;
  /** its tags, but for `sgfw:host-id`, which is the record's hostId (host-id.ts) */
  readonly tags?: readonly Tag[];
}

/** A subnet (CreateSubnet): a block of its VPC's addresses that interfaces draw theirs from. */
export interface SubnetRecord {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  /** a /64 of the VPC's IPv6 block, when given */
  readonly ipv6CidrBlock?: string;
  /** the zone CreateSubnet named; none: the region's first */
  readonly availabilityZone?: string;
  readonly tags: readonly Tag[];
}

export interface PrefixListEntryRecord {
  readonly cidr: string;
  readonly description?: string;
}

export interface PrefixListRecord extends PrefixListView {
  readonly maxEntries: number;
  readonly ownerId: string;
  readonly tags: readonly Tag[];
  readonly entries: readonly PrefixListEntryRecord[];
  /** entries of every earlier version, for GetManagedPrefixListEntries' TargetVersion */
  readonly history: ReadonlyMap<number, readonly PrefixListEntryRecord[]>;
}

/** A ClientToken and what its first call asked and answered (client-tokens.ts). */
export interface ClientTokenRecord {
  readonly token: string;
  readonly action: string;
  /** the request's other parameters, as canonical JSON */
  readonly request: string;
  /** the first call's answer, as JSON */
  readonly answer: string;
}

export interface VpcRecord {
  readonly vpcId: string;
  /** absent for a VPC known only from an imported snapshot that had no `default` group */
  readonly defaultGroupId?: string;
  /** the IPv4 CIDR CreateVpc was given; VPCs that came to be on first use have none */
  readonly cidrBlock?: string;
  /** the /56 AmazonProvidedIpv6CidrBlock gave it (from 2001:db8::/32 here) */
  readonly ipv6CidrBlock?: string;
  /** secondary IPv4 blocks (AssociateVpcCidrBlock), in the order they were associated */
  readonly secondaryCidrs?: readonly string[];
  readonly tags?: readonly Tag[];
}

/** Everything the service holds; a draft is a copy whose maps may be changed. */
export class ModelState {
  constructor(
    readonly groups = new Map<string, GroupRecord>(),
    readonly interfaces = new Map<string, InterfaceRecord>(),
    readonly prefixLists = new Map<string, PrefixListRecord>(),
    readonly vpcs = new Map<string, VpcRecord>(),
    /** the region's AWS-managed lists (fixed stand-ins, aws-prefix-lists.ts): referenceable, never changed */
    readonly awsPrefixLists: ReadonlyMap<string, PrefixListRecord> = new Map(),
    /** last so that the callers that predate subnets still build a state positionally */
    readonly subnets = new Map<string, SubnetRecord>(),
    /** the client tokens of idempotent calls, oldest first (client-tokens.ts); copied before its first change */
    clientTokens?: ReadonlyMap<string, ClientTokenRecord>,
  ) {
    this.tokens = (clientTokens ?? new Map()) as Map<string, ClientTokenRecord>;
    this.tokensShared = clientTokens !== undefined;
  }

  // Client tokens are copied on write, not per draft: only idempotent creates change them, and a
  // full map (client-tokens.ts keeps up to 10,000) would cost a millisecond to copy on every call.
  private tokens: Map<string, ClientTokenRecord>;
  /** the map is another state's (or the caller's): copy it before changing it */
  private tokensShared: boolean;

  get clientTokens(): ReadonlyMap<string, ClientTokenRecord> {
    return this.tokens;
  }

  /** The client tokens, to change: this state's own copy from now on. */
  writableClientTokens(): Map<string, ClientTokenRecord> {
    if (this.tokensShared) {
      this.tokens = new Map(this.tokens);
      this.tokensShared = false;
    }
    return this.tokens;
  }

  /**
   * Replaces the contents of the maps with `source`'s, in place (for a state nobody is reading
   * mid-call: a store that reloaded, an etcd listing); the AWS-managed lists stay, and the client
   * tokens too when `source` has none to give (an etcd listing does not carry them).
   */
  fillFrom(source: {
    readonly groups: ReadonlyMap<string, GroupRecord>;
    readonly interfaces: ReadonlyMap<string, InterfaceRecord>;
    readonly prefixLists: ReadonlyMap<string, PrefixListRecord>;
    readonly vpcs: ReadonlyMap<string, VpcRecord>;
    readonly subnets?: ReadonlyMap<string, SubnetRecord>;
    readonly clientTokens?: ReadonlyMap<string, ClientTokenRecord>;
  }): void {
    refill(this.groups, source.groups);
    refill(this.interfaces, source.interfaces);
    refill(this.prefixLists, source.prefixLists);
    refill(this.vpcs, source.vpcs);
    refill(this.subnets, source.subnets ?? new Map());
    if (source.clientTokens !== undefined) refill(this.writableClientTokens(), source.clientTokens);
  }

  draft(): ModelState {
    // copied on write (draft-map.ts): a call changes a few records of maps that hold thousands
    return new ModelState(
      DraftMap.of(this.groups), DraftMap.of(this.interfaces), DraftMap.of(this.prefixLists), DraftMap.of(this.vpcs), this.awsPrefixLists, DraftMap.of(this.subnets),
      this.tokens,
    );
  }

  /** A list a rule may reference: the account's own, or one of the region's AWS-managed lists. */
  referenceablePrefixList(id: string): PrefixListRecord | undefined {
    return this.prefixLists.get(id) ?? this.awsPrefixLists.get(id);
  }

  groupByName(vpcId: string, name: string): GroupRecord | undefined {
    for (const g of this.groups.values()) if (g.vpcId === vpcId && g.groupName === name) return g;
    return undefined;
  }

  groupCount(vpcId: string): number {
    let n = 0;
    for (const g of this.groups.values()) if (g.vpcId === vpcId) n++;
    return n;
  }

  findRule(ruleId: string): RuleRecord | undefined {
    for (const g of this.groups.values()) {
      for (const r of g.ingress) if (r.ruleId === ruleId) return r;
      for (const r of g.egress) if (r.ruleId === ruleId) return r;
    }
    return undefined;
  }
}

function refill<T>(target: Map<string, T>, source: ReadonlyMap<string, T>): void {
  target.clear();
  for (const [k, v] of source) target.set(k, v);
}
