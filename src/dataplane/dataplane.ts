// The pipeline: decode → find the managed interface(s) → connection tracking → compiled
// classifier → verdict. One instance judges frames one at a time; `judge` allocates nothing
// and never throws for any frame content (the decoder's status covers bad input). What the
// frames are judged against (the compiled interfaces and the address → interface table) is built
// by interface-map.ts on each model change and swapped in here whole; which allowed flows go
// untracked is seed 001's rule in untracked-flows.ts, asked also by `sgfw explain`.
import { MATCH } from '../classify/index.js';
import { ConntrackTable, CT_ESTABLISHED, CT_RELATED, isIcmpError, isIcmpProtocol, isNeighbourDiscoveryType, type RecordAllocator } from '../conntrack/index.js';
import { FragmentTable, FRAGMENT_ALLOWED, FRAGMENT_UNKNOWN } from '../conntrack/fragment-table.js';
import type { ModelView, RuleView } from '../model/model-view.js';
import { decodeFrame } from '../packet/decode.js';
import { DecodeStatus, IpProto, PacketView } from '../packet/packet-view.js';
import { GroupAddresses } from './address-groups.js';
import { AddressTable } from './address-table.js';
import { explainFrame, matchFrame, untrackedFrame } from './frame-explain.js';
import { InterfaceMap, type CompiledInterface, type ModelChange } from './interface-map.js';
import { RuleSetCache } from './rule-set-cache.js';
import { untrackedFlow, Untracked } from './untracked-flows.js';
import { isAllowed, Reason, REASON_COUNT } from './verdict.js';

export type { CompiledInterface, ModelChange } from './interface-map.js';

export interface DataplaneOptions {
  /** flows the connection-tracking table holds (all interfaces together) */
  conntrackCapacity?: number;
  /**
   * record slots the connection-tracking table starts with, a power of two (default: 2 MiB of
   * them; it grows with its flows). Benchmarks of a table already grown pass all of them.
   */
  conntrackInitialSlots?: number;
  /**
   * the connection-tracking table moves all its entries at once when it grows or shrinks, instead
   * of a few per new flow: cheaper in all, but one frame waits for the whole move. For replay,
   * where no frame waits on a wire (default false: live modes never stall a frame for long).
   */
  conntrackResizeAtOnce?: boolean;
  /** datagrams whose first fragment's verdict is remembered */
  fragmentCapacity?: number;
  /**
   * places the conntrack records: the cli, replay and live pass capture/'s `hugePageMemory` (a
   * native addon, which this layer may not load); without it they go in a WebAssembly memory
   */
  recordMemory?: RecordAllocator;
}

/**
 * Frames staged per batch (`stage`, `prefetchStaged`, `judgeStaged`): enough for their conntrack
 * lookups' cache misses to overlap, few enough that the lines stay in L1 until judged.
 */
export const JUDGE_BATCH = 16;

const NO_FRAME = new Uint8Array(0);
/** Ethernet + IPv4 + TCP headers without options: what `stageBatch` reads ahead of decoding. */
const HEADER_SPAN = 54;

export class Dataplane {
  /** `judgeNow`'s view of its frame */
  private readonly singleView = new PacketView();
  /** the last judged frame, decoded; valid until the next `judge`, `judgeNow` or `judgeStaged` */
  view: PacketView = this.singleView;
  /** the staged frames: their views, buffers and conntrack home slots (see `stage`) */
  private readonly stagedViews: PacketView[] = Array.from({ length: JUDGE_BATCH }, () => new PacketView());
  private readonly stagedFrames: Uint8Array[] = new Array<Uint8Array>(JUDGE_BATCH).fill(NO_FRAME);
  private readonly stagedHomes = new Int32Array(JUDGE_BATCH);
  /** judgeStaged's frame's key is kept in this row of the conntrack table (see stageKey); -1: none */
  private stagedRow = -1;
  /** what `prefetchStaged` read, kept so the JIT keeps the reads */
  private prefetched = 0;
  readonly conntrack: ConntrackTable;
  private readonly fragments: FragmentTable;

  /** the interface map's `interfaces` and `addresses`, as its last `apply` left them: read per packet */
  private interfaces: (CompiledInterface | null)[] = [];
  private addresses = new AddressTable();

  /** frames by reason (index: Reason) */
  readonly reasonCounts = new Float64Array(REASON_COUNT);
  /**
   * The time of the frame being judged, in ms, shared with the conntrack and fragment tables. A
   * loop that judges many frames writes it and calls judgeNow: the time then never travels as a
   * double argument, which the JIT boxes (an allocation per frame) whenever a call is not inlined.
   */
  readonly clock = new Float64Array(1);
  /** per interface index: [allowed, dropped] */
  private interfaceCounts = new Float64Array(64);
  /** the interfaces the last frame touched (-1: none) */
  lastSourceInterface = -1;
  lastDestinationInterface = -1;
  /** the reason of the interface that decided the last frame */
  lastReason: number = Reason.UNMANAGED;
  /** classifier build time of the last `applyModel`, in ms */
  lastRebuildMs = 0;
  /** told each rebuild's duration in ms (the rebuild-time histogram); rebuilds are off the hot path */
  onRebuilt: ((ms: number) => void) | null = null;
  /**
   * told each change `applyModel` put in force (undefined: the whole model), once in force: host
   * mode's worker threads follow the main thread's Dataplane through it (live/host-workers.ts)
   */
  onApplied: ((change?: ModelChange) => void) | null = null;
  modelVersion = -1;

  constructor(
    private readonly model: ModelView,
    options: DataplaneOptions = {},
  ) {
    this.conntrack = new ConntrackTable({
      capacity: options.conntrackCapacity ?? 1 << 20,
      clock: this.clock,
      memory: options.recordMemory,
      initialSlots: options.conntrackInitialSlots,
      migrateBudget: options.conntrackResizeAtOnce ? Infinity : undefined,
    });
    this.fragments = new FragmentTable(options.fragmentCapacity ?? 4096, undefined, this.clock);
    this.applyModel();
  }

  /** which groups each managed address is in: group references resolve through it */
  private readonly groupAddresses = new GroupAddresses();
  /** compiled rule sets shared by interfaces with the same groups; see rule-set-cache.ts */
  private readonly ruleSets = new RuleSetCache(this.groupAddresses);
  private readonly map = new InterfaceMap(this.groupAddresses, this.ruleSets);

  /**
   * Rebuilds the compiled rules of the interfaces a change affects (all of them when `change`
   * is omitted) and swaps them in. In force for the next frame.
   */
  applyModel(change?: ModelChange): void {
    const started = performance.now();
    this.map.apply(this.model, this.conntrack, change);
    const next = this.map.interfaces;
    if (this.interfaceCounts.length < next.length * 2) {
      const grown = new Float64Array(next.length * 4);
      grown.set(this.interfaceCounts);
      this.interfaceCounts = grown;
    }
    this.interfaces = next;
    // The flow records' endpoint interfaces are of the old address map: stale from this frame on.
    if (this.map.addresses !== this.addresses) this.conntrack.advanceGeneration();
    this.addresses = this.map.addresses;
    this.modelVersion = this.model.version;
    this.lastRebuildMs = performance.now() - started;
    this.onRebuilt?.(this.lastRebuildMs);
    this.onApplied?.(change);
  }

  interfaceById(id: string): CompiledInterface | null {
    const index = this.map.indexOf(id);
    return index === undefined ? null : this.interfaces[index];
  }

  interfaceAt(index: number): CompiledInterface | null {
    return this.interfaces[index] ?? null;
  }

  /** [allowed, dropped] frames seen on an interface */
  interfaceCounters(index: number): [number, number] {
    return [this.interfaceCounts[index * 2], this.interfaceCounts[index * 2 + 1]];
  }

  /**
   * Judges one frame; returns its Reason (`isAllowed(reason)` tells the verdict). `wireLength`:
   * the frame's length on the wire when a capture kept only `length` bytes of it.
   */
  judge(linkType: number, frame: Uint8Array, offset: number, length: number, nowMs: number, wireLength = length): number {
    // Small on purpose, so the caller's JIT inlines it: the time, a double, reaches the pipeline
    // through a typed array, not as an argument that would be boxed (see i32be in packet/byte-order.ts).
    this.clock[0] = nowMs;
    return this.judgeNow(linkType, frame, offset, length, wireLength);
  }

  /** As judge, at the time the caller wrote in `clock[0]` (ms): the per-packet loops call this. */
  judgeNow(linkType: number, frame: Uint8Array, offset: number, length: number, wireLength: number): number {
    const v = this.singleView;
    decodeFrame(linkType, frame, offset, length, v, wireLength);
    return this.judgeDecoded(v, frame);
  }

  // Batches. A loop that holds many frames at once (a ring block, a queue batch, a capture in
  // memory) judges them faster in groups of up to JUDGE_BATCH:
  //   for each frame j of the group: stage(j, …)
  //   prefetchStaged(count)
  //   for each j: clock[0] = its time; reason = judgeStaged(j)
  // The verdicts are those judgeNow gives frame by frame, in the same order: staging only decodes
  // and reads memory. What it buys: each frame's conntrack lookup is one cache miss into a table of
  // tens of MB, and misses taken one frame at a time wait in turn; prefetchStaged reads all the
  // group's records in one tight loop, where the CPU overlaps their misses.

  /** Decodes a frame into batch slot `slot` (0 ≤ slot < JUDGE_BATCH) and notes its conntrack home. */
  stage(slot: number, linkType: number, frame: Uint8Array, offset: number, length: number, wireLength: number): void {
    const v = this.stagedViews[slot]!;
    this.stagedFrames[slot] = frame;
    // Keyed and hashed here, once: judgeStaged's lookup takes the key as kept.
    this.stagedHomes[slot] = decodeFrame(linkType, frame, offset, length, v, wireLength) === DecodeStatus.OK ? this.conntrack.stageKey(v, slot) : -1;
  }

  /**
   * Stages and prefetches frames [first, first + count) of a batch whose `meta` holds `stride`
   * words per frame, the frame's offset in `frame` at `offsetAt`, the bytes captured at `lengthAt`
   * and its length on the wire at `wireAt` (default `lengthAt`: captured whole). Slot j holds frame
   * first + j; count ≤ JUDGE_BATCH. The AF_PACKET ring's and NFQUEUE's batches are laid out this way.
   */
  stageBatch(linkType: number, frame: Uint8Array, meta: Int32Array | Uint32Array, first: number, count: number, stride: number, offsetAt: number, lengthAt: number, wireAt = lengthAt): void {
    // The headers first, in one tight loop: a ring's frames were written by the kernel, often on
    // the other core, and are out of this core's cache; read here their misses overlap, where
    // decoding them one by one would take each in turn. The first and the last byte of the
    // headers the verdict reads (Ethernet, IP, TCP: 54 bytes), which may span two lines.
    let touched = 0;
    for (let j = 0; j < count; j++) {
      const m = (first + j) * stride;
      const offset = meta[m + offsetAt]!;
      const length = meta[m + lengthAt]!;
      if (length <= 0 || offset < 0 || offset + length > frame.length) continue;
      touched ^= frame[offset]! ^ frame[offset + (length < HEADER_SPAN ? length : HEADER_SPAN) - 1]!;
    }
    this.prefetched ^= touched;
    for (let j = 0; j < count; j++) {
      const m = (first + j) * stride;
      this.stage(j, linkType, frame, meta[m + offsetAt]!, meta[m + lengthAt]!, meta[m + wireAt]!);
    }
    this.prefetchStaged(count);
  }

  /** Reads the conntrack records of staged slots [0, count), their cache misses overlapping. */
  prefetchStaged(count: number): void {
    this.prefetched ^= this.conntrack.touchHomes(this.stagedHomes, count);
  }

  /** Judges the frame staged in `slot`, at the time in `clock[0]`; as judgeNow. */
  judgeStaged(slot: number): number {
    // The flow's key was built when staged: the lookup takes it as kept.
    this.stagedRow = this.stagedHomes[slot]! >= 0 ? slot : -1;
    const reason = this.judgeDecoded(this.stagedViews[slot]!, this.stagedFrames[slot]!);
    this.stagedRow = -1;
    return reason;
  }

  /** The pipeline after decoding: `v` holds `frame` decoded (its status included). */
  private judgeDecoded(v: PacketView, frame: Uint8Array): number {
    this.view = v;
    this.lastSourceInterface = -1;
    this.lastDestinationInterface = -1;
    const status = v.status;
    if (status !== DecodeStatus.OK) {
      // Fail closed: what cannot be parsed is dropped, whatever it might have reached.
      const reason =
        status === DecodeStatus.NOT_IP ? Reason.NOT_IP : status === DecodeStatus.MALFORMED ? Reason.MALFORMED : Reason.UNSUPPORTED_LINK;
      return this.finish(reason);
    }
    if (v.ipVersion === 6 && v.protocol === IpProto.ICMPV6 && isNeighbourDiscovery(v, frame)) return this.finish(Reason.NEIGHBOUR_DISCOVERY);
    const ct = this.conntrack;
    const laterFragment = v.isFragment && v.fragmentOffset > 0;
    // An established flow's record says which interfaces its endpoints are on (while the address
    // map is the one it was stamped under): one lookup, keyed once, and no address lookups.
    // (A later fragment has no ports to key: its datagram's first fragment decided for it.)
    const found = laterFragment ? -2 : this.stagedRow >= 0 ? ct.lookupFlowKeptNow(this.stagedRow) : ct.lookupFlowNow(v);
    let src: number;
    let dst: number;
    if (found >= 0) {
      src = ct.flowSrcIf;
      dst = ct.flowDstIf;
    } else {
      src = this.addresses.get(v.ipVersion, v.src);
      dst = this.addresses.get(v.ipVersion, v.dst);
    }
    this.lastSourceInterface = src;
    this.lastDestinationInterface = dst;
    if (src < 0 && dst < 0) return this.finish(Reason.UNMANAGED);

    if (laterFragment) {
      // Ports live in the first fragment only: a later fragment shares its datagram's verdict.
      const known = this.fragments.lookupNow(v);
      return this.finish(known === FRAGMENT_ALLOWED ? Reason.FRAGMENT : Reason.FRAGMENT_UNKNOWN);
    }

    // Between two managed interfaces, the sender's egress and the receiver's ingress must both allow.
    ct.setEndpoints(src, dst);
    // The records found (the one on flowIf, and flowPartner on the frame's other managed end)
    // serve the lookups on their interfaces while no entry moved since: a frame between two
    // managed interfaces of an established flow costs one probe.
    const foundAt = ct.layoutChanges;
    const own = found >= 0 ? ct.flowIf : -2;
    const partner = found >= 0 ? ct.flowPartner : -1;
    let reason: number = Reason.UNMANAGED;
    if (src >= 0) reason = this.judgeOn(src, true, own === src ? found : partner >= 0 && own === dst ? partner : -1);
    // The receiver's lookup reuses the key: a frame is keyed once.
    if (dst >= 0 && isAllowed(reason)) {
      const at = ct.layoutChanges !== foundAt ? -1 : own === dst ? found : partner >= 0 && own === src ? partner : -1;
      reason = this.judgeOn(dst, false, at);
    }
    ct.clearEndpoints();
    if (v.isFragment) this.fragments.rememberFirstNow(v, isAllowed(reason) ? FRAGMENT_ALLOWED : FRAGMENT_UNKNOWN);
    return this.finish(reason);
  }

  /**
   * `found`: the slot of the frame's flow record on this interface, as lookupFlowNow found it
   * (the record found or its partner); -1 otherwise (the frame was keyed: see lookupSameNow).
   */
  private judgeOn(index: number, outbound: boolean, found: number): number {
    const v = this.view;
    const iface = this.interfaces[index]!;
    const ct = this.conntrack;
    const tracked = found >= 0 ? ct.updateFlowNow(found, index, v) : ct.lookupSameNow(index, v);
    if (tracked === CT_ESTABLISHED) return Reason.TRACKED;
    if (tracked === CT_RELATED) return Reason.RELATED;

    const rules = outbound ? iface.egress : iface.ingress;
    const other = outbound ? iface.ingress : iface.egress;
    const proto = v.protocol;
    const family = v.ipVersion;
    // The peer is the far end: the destination going out, the source coming in.
    const peer = outbound ? v.dst : v.src;
    let port = 0;
    let code = 0;
    if (proto === IpProto.TCP || proto === IpProto.UDP) {
      port = v.dstPort;
    } else if (isIcmpProtocol(family, proto)) {
      port = v.icmpType;
      code = v.icmpCode;
    }
    // Each call site calls matchV4 or matchV6 directly: one shared helper would see both. Address
    // words go in as int32 (`| 0`), never heap numbers: see i32be in packet/byte-order.ts.
    const m =
      family === 4
        ? rules.matchV4(proto, port, code, peer[0] | 0)
        : rules.matchV6(proto, port, code, peer[0] | 0, peer[1] | 0, peer[2] | 0, peer[3] | 0);
    if ((m & MATCH) === 0) return outbound ? Reason.EGRESS_NO_RULE : Reason.INGRESS_NO_RULE;

    if (untrackedFlow(v, outbound, m, rules, other) !== Untracked.NO) return Reason.RULE_UNTRACKED;
    // A full table refuses and counts it (conntrack.insertFailures); the rules allowed the packet.
    this.conntrack.trackMissNow(index, v, iface.timeouts, outbound);
    return Reason.RULE;
  }

  // ICMP errors about another worker's flow (host mode on workers: the kernel's queue hash is of
  // the error's own addresses, so a router's error can reach a worker that never saw the flow).

  /** The last judged frame is an ICMP or ICMPv6 error quoting a datagram (whose flow it may be about). */
  lastQuotesDatagram(): boolean {
    const v = this.view;
    return v.status === DecodeStatus.OK && isIcmpProtocol(v.ipVersion, v.protocol) && isIcmpError(v.ipVersion, v.icmpType) && v.quoted.valid;
  }

  /**
   * Whether this Dataplane tracks the flow an ICMP error (`frame`, as judged elsewhere) quotes, on
   * either managed end of the error: the lookup that makes it `related`, read only (no counters,
   * no state), at `nowMs`. Another thread's Dataplane asks; off the per-packet path.
   */
  tracksQuotedFlow(linkType: number, frame: Uint8Array, offset: number, length: number, nowMs: number, wireLength = length): boolean {
    const v = this.singleView;
    decodeFrame(linkType, frame, offset, length, v, wireLength);
    if (v.status !== DecodeStatus.OK || !isIcmpProtocol(v.ipVersion, v.protocol) || !isIcmpError(v.ipVersion, v.icmpType)) return false;
    this.clock[0] = nowMs;
    const src = this.addresses.get(v.ipVersion, v.src);
    const dst = this.addresses.get(v.ipVersion, v.dst);
    return (src >= 0 && this.conntrack.lookupNow(src, v) === CT_RELATED) || (dst >= 0 && this.conntrack.lookupNow(dst, v) === CT_RELATED);
  }

  /**
   * Makes `frame` (judged earlier as `judged`, between interfaces `src` and `dst`, and counted so)
   * the last judged frame again, now decided as `reason`: its counters move from one to the other,
   * and the last-frame readers (verdict lines, drop lines, flow records) see it. For a packet whose
   * verdict waited on other threads.
   */
  settleLast(linkType: number, frame: Uint8Array, offset: number, length: number, judged: number, reason: number, src: number, dst: number, wireLength = length): void {
    const v = this.singleView;
    decodeFrame(linkType, frame, offset, length, v, wireLength);
    this.view = v;
    this.lastSourceInterface = src;
    this.lastDestinationInterface = dst;
    this.lastReason = reason;
    if (judged === reason) return;
    this.reasonCounts[judged]--;
    this.reasonCounts[reason]++;
    const was = isAllowed(judged) ? 0 : 1;
    const now = isAllowed(reason) ? 0 : 1;
    for (const i of [src, dst]) {
      if (i < 0) continue;
      this.interfaceCounts[i * 2 + was]--;
      this.interfaceCounts[i * 2 + now]++;
    }
  }

  private finish(reason: number): number {
    this.reasonCounts[reason]++;
    this.lastReason = reason;
    const slot = isAllowed(reason) ? 0 : 1;
    if (this.lastSourceInterface >= 0) this.interfaceCounts[this.lastSourceInterface * 2 + slot]++;
    if (this.lastDestinationInterface >= 0) this.interfaceCounts[this.lastDestinationInterface * 2 + slot]++;
    return reason;
  }

  // The slow paths, for explain and logs: about the last judged frame (`view`), as judgeOn saw it
  // (frame-explain.ts).

  /** Rules of an interface's direction that allow the last frame. */
  explainLast(index: number, outbound: boolean): RuleView[] {
    return explainFrame(this.interfaces[index], this.view, outbound);
  }

  /** The match bits (MATCH, MATCH_WORLD) an interface's direction gives the last frame; 0 without it. */
  matchLast(index: number, outbound: boolean): number {
    return matchFrame(this.interfaces[index], this.view, outbound);
  }

  /**
   * Is the last frame's flow untracked on an interface's direction (seed 001, untracked-flows.ts)?
   * An Untracked value, as judgeOn asked it; Untracked.NO when the rules do not allow the frame.
   */
  untrackedLast(index: number, outbound: boolean): number {
    return untrackedFrame(this.interfaces[index], this.view, outbound);
  }
}

const IPV6_HOP_LIMIT_OFFSET = 7;

/**
 * IPv6 router and neighbour discovery (RFC 4861: ICMPv6 133–137) that never crossed a router (hop
 * limit 255, which the RFC requires receivers to check). It is IPv6's ARP: in a VPC it is answered
 * below the security groups, so sgfw passes it as it passes ARP. Anything else of ICMPv6 is judged.
 */
function isNeighbourDiscovery(v: PacketView, frame: Uint8Array): boolean {
  return isNeighbourDiscoveryType(v.icmpType) && frame[v.ipOffset + IPV6_HOP_LIMIT_OFFSET] === 255;
}
