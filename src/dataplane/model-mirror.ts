// The model as a worker thread sees it: a copy made of plain data that crosses threads (structured
// clone), kept in step by deltas. The main thread keeps the control plane (the service, its API,
// DryRun, snapshots); after each change it sends each worker a delta holding the current views of
// what the change touched (the ModelChange's ids: groups, interfaces, prefix lists), and the worker
// applies it to its mirror, then recompiles from the same ids (Dataplane.applyModel), as a
// single-thread dataplane recompiles from the service itself. Each worker compiles its own
// classifier: the compiled form is a graph of objects and closures, which no thread can hand
// another (BENCHMARKS.md, "Worker threads", has the compile cost this spends per worker).
// Only the groups some interface is in cross with their rules; the others cross bare (no rules):
// a Dataplane compiles the rules of its interfaces' groups and nothing else (a group reference
// resolves through the interfaces in the group, interface-rules.ts, never the group's rules). At
// 2,500 groups × 60 rules and one interface, a change to an unused group then posts a few hundred
// bytes instead of its 60 rules, and a worker's heap holds 60 rules, not 150,000, so its
// garbage collections stay short (issue 15 item 3: a worker's pause delays every packet it holds).
// A group enters use only with an interface that names it, so a delta carries the groups of every
// interface it touches in full: the mirror has every group in use with its rules.
import type { GroupView, InterfaceView, ModelView, PrefixListView, RuleView } from '../model/model-view.js';
import type { ModelChange } from './interface-map.js';

/** A model whole, as plain data: what a worker starts from. */
export interface ModelImage {
  version: number;
  groups: GroupView[];
  interfaces: InterfaceView[];
  /** the prefix lists the groups' rules reference (the only ones the dataplane reads) */
  prefixLists: PrefixListView[];
}

/**
 * One accepted change, as plain data. `change` lists what it touched; of those, the ones still in
 * the model come with their views, the others were removed. `groups` may also hold groups the
 * change did not touch: those a touched interface is in, in full.
 */
export interface ModelDelta {
  version: number;
  change: Required<ModelChange>;
  groups: GroupView[];
  interfaces: InterfaceView[];
  prefixLists: PrefixListView[];
}

function plainRule(r: RuleView): RuleView {
  const rule: { -readonly [K in keyof RuleView]: RuleView[K] } = {
    ruleId: r.ruleId,
    groupId: r.groupId,
    egress: r.egress,
    protocol: r.protocol,
    fromPort: r.fromPort,
    toPort: r.toPort,
    peer: { ...r.peer },
  };
  if (r.description !== undefined) rule.description = r.description;
  return rule;
}

const NO_RULES: readonly RuleView[] = [];

/** A group as plain data: with its rules when an interface is in it (`inUse`), bare otherwise. */
function plainGroup(g: GroupView, inUse: boolean): GroupView {
  return {
    groupId: g.groupId,
    groupName: g.groupName,
    vpcId: g.vpcId,
    ownerId: g.ownerId,
    description: g.description,
    ingress: inUse ? g.ingress.map(plainRule) : NO_RULES,
    egress: inUse ? g.egress.map(plainRule) : NO_RULES,
  };
}

/** The groups some interface of `model` is in: the only ones whose rules a Dataplane compiles. */
function groupsInUse(model: ModelView): Set<string> {
  const inUse = new Set<string>();
  for (const i of model.interfaces()) for (const id of i.groupIds) inUse.add(id);
  return inUse;
}

function plainInterface(i: InterfaceView): InterfaceView {
  return {
    interfaceId: i.interfaceId,
    vpcId: i.vpcId,
    privateIpv4: [...i.privateIpv4],
    ipv6: [...i.ipv6],
    groupIds: [...i.groupIds],
    conntrack: { tcpEstablished: i.conntrack.tcpEstablished, udpStream: i.conntrack.udpStream, udp: i.conntrack.udp },
  };
}

function plainPrefixList(p: PrefixListView): PrefixListView {
  return {
    prefixListId: p.prefixListId,
    name: p.name,
    addressFamily: p.addressFamily,
    version: p.version,
    entries: p.entries.map((e) => (e.description === undefined ? { cidr: e.cidr } : { cidr: e.cidr, description: e.description })),
  };
}

/** Adds to `into` the prefix lists `group`'s rules reference that the model has. */
function referencedLists(model: ModelView, group: GroupView, into: Map<string, PrefixListView>): void {
  for (const rules of [group.ingress, group.egress]) {
    for (const r of rules) {
      if (r.peer.kind !== 'prefix-list' || into.has(r.peer.prefixListId)) continue;
      const list = model.prefixList(r.peer.prefixListId);
      if (list) into.set(list.prefixListId, plainPrefixList(list));
    }
  }
}

export function modelImage(model: ModelView): ModelImage {
  const inUse = groupsInUse(model);
  const groups: GroupView[] = [];
  const lists = new Map<string, PrefixListView>();
  for (const g of model.groups()) {
    const view = plainGroup(g, inUse.has(g.groupId));
    groups.push(view);
    referencedLists(model, view, lists);
  }
  return { version: model.version, groups, interfaces: [...model.interfaces()].map(plainInterface), prefixLists: [...lists.values()] };
}

/** The delta of `change`, read from `model` just after the change was accepted. */
export function modelDelta(model: ModelView, change: ModelChange): ModelDelta {
  const touched: Required<ModelChange> = {
    groupIds: [...(change.groupIds ?? [])],
    interfaceIds: [...(change.interfaceIds ?? [])],
    prefixListIds: [...(change.prefixListIds ?? [])],
  };
  const wanted = new Set(touched.interfaceIds);
  const interfaces: InterfaceView[] = [];
  const inUse = new Set<string>();
  for (const i of model.interfaces()) {
    for (const id of i.groupIds) inUse.add(id);
    if (wanted.has(i.interfaceId)) interfaces.push(plainInterface(i));
  }
  // the touched groups, and every group a touched interface is in (it may have just entered use)
  const sent = new Set(touched.groupIds);
  for (const i of interfaces) for (const id of i.groupIds) sent.add(id);
  const groups: GroupView[] = [];
  const lists = new Map<string, PrefixListView>();
  for (const id of sent) {
    const g = model.group(id);
    if (!g) continue;
    const view = plainGroup(g, inUse.has(id));
    groups.push(view);
    // a rule may have started to reference a list the worker has never been sent
    referencedLists(model, view, lists);
  }
  for (const id of touched.prefixListIds) {
    const list = model.prefixList(id);
    if (list) lists.set(id, plainPrefixList(list));
  }
  return { version: model.version, change: touched, groups, interfaces, prefixLists: [...lists.values()] };
}

/** A ModelView over an image, kept in step by `apply`. */
export class ModelMirror implements ModelView {
  version: number;
  private readonly groupsById = new Map<string, GroupView>();
  private readonly interfacesById = new Map<string, InterfaceView>();
  private readonly listsById = new Map<string, PrefixListView>();

  constructor(image: ModelImage) {
    this.version = image.version;
    this.reset(image);
  }

  /** Becomes `image` whole (a reloaded model); the caller then recompiles everything. */
  reset(image: ModelImage): void {
    this.version = image.version;
    this.groupsById.clear();
    this.interfacesById.clear();
    this.listsById.clear();
    for (const g of image.groups) this.groupsById.set(g.groupId, g);
    for (const i of image.interfaces) this.interfacesById.set(i.interfaceId, i);
    for (const p of image.prefixLists) this.listsById.set(p.prefixListId, p);
  }

  groups(): Iterable<GroupView> {
    return this.groupsById.values();
  }
  group(groupId: string): GroupView | undefined {
    return this.groupsById.get(groupId);
  }
  interfaces(): Iterable<InterfaceView> {
    return this.interfacesById.values();
  }
  prefixList(prefixListId: string): PrefixListView | undefined {
    return this.listsById.get(prefixListId);
  }

  /** Brings the mirror to the delta's version; the caller then recompiles from `delta.change`. */
  apply(delta: ModelDelta): void {
    const { change } = delta;
    replace(this.groupsById, change.groupIds, delta.groups, (g) => g.groupId);
    replace(this.interfacesById, change.interfaceIds, delta.interfaces, (i) => i.interfaceId);
    for (const p of delta.prefixLists) this.listsById.set(p.prefixListId, p);
    for (const id of change.prefixListIds) if (!delta.prefixLists.some((p) => p.prefixListId === id)) this.listsById.delete(id);
    this.version = delta.version;
  }
}

/** Sets every view sent, deletes the touched ids that came without one. */
function replace<T>(byId: Map<string, T>, touched: readonly string[], views: readonly T[], idOf: (view: T) => string): void {
  const sent = new Set<string>();
  for (const v of views) {
    const id = idOf(v);
    sent.add(id);
    byId.set(id, v);
  }
  for (const id of touched) if (!sent.has(id)) byId.delete(id);
}
