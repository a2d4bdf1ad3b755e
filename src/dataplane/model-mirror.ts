// The model as a worker thread sees it: a copy made of plain data that crosses threads (structured
// clone), kept in step by deltas. The main thread keeps the control plane (the service, its API,
// DryRun, snapshots); after each change it sends each worker a delta holding the current views of
// what the change touched (the ModelChange's ids: groups, interfaces, prefix lists), and the worker
// applies it to its mirror, then recompiles from the same ids (Dataplane.applyModel), as a
// single-thread dataplane recompiles from the service itself. Each worker compiles its own
// classifier: the compiled form is a graph of objects and closures, which no thread can hand
// another (BENCHMARKS.md, "Worker threads", has the compile cost this spends per worker).
// The mirror holds only what a Dataplane judges by: the interfaces, the groups some interface is in
// (with their rules) and the prefix lists sent with them. A Dataplane compiles the rules of its
// interfaces' groups and nothing else (a group reference resolves through the interfaces in the
// group, interface-rules.ts, never the group's rules), so the other groups stay on the main thread:
// at 2,500 groups × 60 rules and one interface a worker's heap holds one group, not 2,500.
// A group enters use only with an interface that names it, so a delta carries the groups of every
// interface it touches in full, and the mirror drops a group once no interface is in it. A change
// that touches no interface, no prefix list and only groups no interface is in changes nothing a
// worker holds: `modelDelta` says so (null) and the worker is not woken for it (issue 15 item 3: an
// API flood of changes to unused groups kept every worker busy taking deltas it had no use for).
import type { GroupView, InterfaceView, ModelView, PrefixListView, RuleView } from '../model/model-view.js';
import type { ModelChange } from './interface-map.js';

/** A model as a worker needs it, as plain data: what a worker starts from. */
export interface ModelImage {
  version: number;
  /** the groups some interface is in */
  groups: GroupView[];
  interfaces: InterfaceView[];
  /** the prefix lists the groups' rules reference (the only ones the dataplane reads) */
  prefixLists: PrefixListView[];
}

/**
 * One accepted change, as plain data. `change` lists what it touched; of those, the ones still in
 * the model (and, for groups, in use) come with their views, the others leave the mirror. `groups`
 * may also hold groups the change did not touch: those a touched interface is in.
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

function plainGroup(g: GroupView): GroupView {
  return {
    groupId: g.groupId,
    groupName: g.groupName,
    vpcId: g.vpcId,
    ownerId: g.ownerId,
    description: g.description,
    ingress: g.ingress.map(plainRule),
    egress: g.egress.map(plainRule),
  };
}

/** The groups some interface of `model` is in: the only ones whose rules a Dataplane compiles. */
function groupsInUse(model: Pick<ModelView, 'interfaces'>): Set<string> {
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
  const groups: GroupView[] = [];
  const lists = new Map<string, PrefixListView>();
  for (const id of groupsInUse(model)) {
    const g = model.group(id);
    if (!g) continue;
    const view = plainGroup(g);
    groups.push(view);
    referencedLists(model, view, lists);
  }
  return { version: model.version, groups, interfaces: [...model.interfaces()].map(plainInterface), prefixLists: [...lists.values()] };
}

/**
 * The delta of `change`, read from `model` just after the change was accepted; null when it
 * changes nothing a worker's mirror holds (no interface, no prefix list, only groups no interface
 * is in: such a group was in none before either, as only an interface change moves membership).
 */
export function modelDelta(model: ModelView, change: ModelChange): ModelDelta | null {
  const touched: Required<ModelChange> = {
    groupIds: [...(change.groupIds ?? [])],
    interfaceIds: [...(change.interfaceIds ?? [])],
    prefixListIds: [...(change.prefixListIds ?? [])],
  };
  const inUse = groupsInUse(model);
  if (touched.interfaceIds.length === 0 && touched.prefixListIds.length === 0 && !touched.groupIds.some((id) => inUse.has(id))) return null;
  const wanted = new Set(touched.interfaceIds);
  const interfaces: InterfaceView[] = [];
  for (const i of model.interfaces()) if (wanted.has(i.interfaceId)) interfaces.push(plainInterface(i));
  // the touched groups in use, and every group a touched interface is in (it may have just entered use)
  const sent = new Set(touched.groupIds.filter((id) => inUse.has(id)));
  for (const i of interfaces) for (const id of i.groupIds) sent.add(id);
  const groups: GroupView[] = [];
  const lists = new Map<string, PrefixListView>();
  for (const id of sent) {
    const g = model.group(id);
    if (!g) continue;
    const view = plainGroup(g);
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
    // membership moved: a group no interface is in any more leaves (the main thread keeps it)
    if (change.interfaceIds.length > 0) {
      const inUse = groupsInUse(this);
      for (const id of this.groupsById.keys()) if (!inUse.has(id)) this.groupsById.delete(id);
    }
    this.version = delta.version;
  }

  /**
   * The model moved on to `version` by changes that touch nothing the mirror holds (modelDelta gave
   * null for each, so none was sent): the mirror is that version's as it is.
   */
  skipTo(version: number): void {
    if (version > this.version) this.version = version;
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
