// Inline mode's engine driven by a fake pair of captures: Albert's host (seed 000) behind the bridge,
// with an IPv6 address too; SSH from his own machine only, all egress. No root, no interfaces.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AFPACKET_META_STRIDE, AfPacketFlag, AfPacketMeta } from '../../src/capture/afpacket.js';
import { VNET_NEEDS_CSUM, VnetGso } from '../../src/capture/vnet-header.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { Reason, REASON_COUNT } from '../../src/dataplane/verdict.js';
import { InlineBridge, Side, type FramePort, type InlineBridgeOptions } from '../../src/live/inline-bridge.js';
import { inlineMetricFamilies } from '../../src/live/inline-metrics.js';
import { DropSampler } from '../../src/observe/drop-sampler.js';
import type { Logger } from '../../src/observe/logger.js';
import { buildFrame, wrapLink, type FrameSpec } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { fewestCollectionsOver } from '../support/gc-count.js';
import { vnetHeaderBytes, type VnetHeaderSpec } from '../support/vnet-header.js';

const ALBERT_HOST = '10.0.0.10';
const ALBERT_HOST6 = '2001:db8::10';
const ALBERT_MACHINE = '203.0.113.5';
const STRANGER = '198.51.100.7';
const NEIGHBOUR6 = '2001:db8::20';

/** Albert's seed state, his ENI given an IPv6 address as well. */
function stateFile(): string {
  const state = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'pcaps', 'albert', 'state.json'), 'utf8'));
  state.NetworkInterfaces[0].Ipv6Addresses = [{ Ipv6Address: ALBERT_HOST6 }];
  const file = join(mkdtempSync(join(tmpdir(), 'sgfw-inline-')), 'albert.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

/** A capture's send side that keeps copies of what it was asked to inject. */
class FakePort implements FramePort {
  readonly sent: Buffer[] = [];
  failWith: Error | null = null;
  send(frame: Buffer, length: number): void {
    if (this.failWith) throw this.failWith;
    this.sent.push(Buffer.from(frame.subarray(0, length)));
  }
}

interface Rig {
  bridge: InlineBridge;
  dataplane: Dataplane;
  inside: FakePort;
  outside: FakePort;
  lines: string[];
  logged: Record<string, unknown>[];
  /** delivers a frame as a capture would: in a shared buffer the next frame overwrites */
  deliver(side: Side, frame: Buffer, truncated?: boolean): void;
}

async function rig(options: Pick<InlineBridgeOptions, 'vnetHeaders'> = {}): Promise<Rig> {
  const dataplane = new Dataplane(await serviceFromStateFiles([stateFile()]));
  const lines: string[] = [];
  const logged: Record<string, unknown>[] = [];
  const logger = { info: (obj: Record<string, unknown>) => logged.push(obj) } as unknown as Logger;
  const bridge = new InlineBridge(dataplane, LinkType.ETHERNET, {
    verdicts: { write: (l: string) => lines.push(l) },
    clock: () => 1000,
    drops: { sampler: new DropSampler(10), logger },
    ...options,
  });
  const inside = new FakePort();
  const outside = new FakePort();
  bridge.attach(inside, outside);
  const buffer = Buffer.alloc(65535);
  return {
    bridge, dataplane, inside, outside, lines, logged,
    deliver(side, frame, truncated = false) {
      frame.copy(buffer);
      (side === Side.INSIDE ? bridge.onInside : bridge.onOutside)(buffer, frame.length, truncated);
      buffer.fill(0xee, 0, frame.length);
    },
  };
}

const tcp = (spec: Omit<FrameSpec, 'proto'>): Buffer => buildFrame({ proto: 'tcp', ...spec });
const lastLine = (r: Rig): { verdict: string; reason: string } => JSON.parse(r.lines.at(-1)!);

describe('the inline bridge forwards what the groups allow, out of the other side', () => {
  it('SSH from Albert\'s machine crosses to the inside, from a stranger it does not', async () => {
    const r = await rig();
    const ssh = tcp({ src: ALBERT_MACHINE, dst: ALBERT_HOST, sport: 40000, dport: 22, flags: 'S' });
    r.deliver(Side.OUTSIDE, ssh);
    expect(r.inside.sent).toEqual([ssh]);
    expect(r.outside.sent).toEqual([]);
    expect(lastLine(r)).toMatchObject({ verdict: 'allow', reason: 'rule' });

    r.deliver(Side.OUTSIDE, tcp({ src: STRANGER, dst: ALBERT_HOST, sport: 40001, dport: 22, flags: 'S' }));
    expect(r.inside.sent).toHaveLength(1);
    expect(lastLine(r)).toMatchObject({ verdict: 'drop', reason: 'ingress-no-rule' });
    expect(r.bridge.dropped[Side.OUTSIDE]).toBe(1);
    expect(r.bridge.forwarded[Side.OUTSIDE]).toBe(1);
    expect(r.logged).toEqual([expect.objectContaining({ event: 'drop', from: 'outside', reason: 'ingress-no-rule', src: STRANGER, dstPort: 22 })]);
  });

  it('Albert\'s own connection goes out, and its replies come back as tracked', async () => {
    const r = await rig();
    const out = tcp({ src: ALBERT_HOST, dst: STRANGER, sport: 50000, dport: 443, flags: 'S' });
    const back = tcp({ src: STRANGER, dst: ALBERT_HOST, sport: 443, dport: 50000, flags: 'SA' });
    r.deliver(Side.INSIDE, out);
    r.deliver(Side.OUTSIDE, back);
    expect(r.outside.sent).toEqual([out]);
    expect(r.inside.sent).toEqual([back]);
    expect(lastLine(r)).toMatchObject({ verdict: 'allow', reason: 'tracked' });
    // counted on Albert's interface (slot 1) by reason
    expect(r.bridge.counters.packetCounts[1 * REASON_COUNT + Reason.RULE]).toBe(1);
    expect(r.bridge.counters.packetCounts[1 * REASON_COUNT + Reason.TRACKED]).toBe(1);
    expect(r.bridge.counters.byteCounts[1 * REASON_COUNT + Reason.TRACKED]).toBe(back.length);
  });

  it('ARP and other non-IP frames pass both ways without a rule', async () => {
    const r = await rig();
    const arp = wrapLink({ link: 'ethernet' }, new Uint8Array(28), 0x0806);
    const lldp = wrapLink({ link: 'ethernet' }, new Uint8Array(40), 0x88cc);
    r.deliver(Side.OUTSIDE, arp);
    r.deliver(Side.INSIDE, lldp);
    expect(r.inside.sent).toEqual([arp]);
    expect(r.outside.sent).toEqual([lldp]);
    expect(r.bridge.counters.packetCounts[0 * REASON_COUNT + Reason.NOT_IP]).toBe(2);
  });

  it('malformed IP is dropped, whatever it claims to be', async () => {
    const r = await rig();
    const bad = tcp({ src: ALBERT_MACHINE, dst: ALBERT_HOST, sport: 40000, dport: 22, flags: 'S' });
    bad[14] = 0x43; // IPv4 with a 12-byte header: impossible
    r.deliver(Side.OUTSIDE, bad);
    const cut = tcp({ src: ALBERT_HOST, dst: STRANGER, sport: 50000, dport: 443, flags: 'S' }).subarray(0, 14 + 10);
    r.deliver(Side.INSIDE, Buffer.from(cut));
    expect(r.inside.sent).toEqual([]);
    expect(r.outside.sent).toEqual([]);
    expect(r.lines.map((l) => JSON.parse(l).reason)).toEqual(['malformed', 'malformed']);
  });

  it('a frame longer than the capture kept is dropped, not forwarded cut', async () => {
    const r = await rig();
    r.deliver(Side.INSIDE, tcp({ src: ALBERT_HOST, dst: STRANGER, sport: 50000, dport: 443, flags: 'S' }), true);
    expect(r.outside.sent).toEqual([]);
    expect(r.bridge.truncated[Side.INSIDE]).toBe(1);
    expect(r.bridge.dropped[Side.INSIDE]).toBe(1);
  });
});

describe('IPv6 neighbour discovery passes as link control, nothing else of ICMPv6 does', () => {
  const ns = (hopLimit: number): Buffer =>
    buildFrame({ src: NEIGHBOUR6, dst: ALBERT_HOST6, proto: 'icmpv6', icmp: { type: 135 }, ttl: hopLimit, payload: new Uint8Array(20) });

  it('a neighbour solicitation to Albert passes although no rule allows ICMPv6 in', async () => {
    const r = await rig();
    const frame = ns(255);
    r.deliver(Side.OUTSIDE, frame);
    expect(r.inside.sent).toEqual([frame]);
    expect(r.bridge.neighbourDiscovery[Side.OUTSIDE]).toBe(1);
    expect(lastLine(r)).toMatchObject({ verdict: 'allow', reason: 'neighbour-discovery' });
  });

  it('one that crossed a router (hop limit below 255) is judged like any packet, and an echo request too', async () => {
    const r = await rig();
    r.deliver(Side.OUTSIDE, ns(64));
    r.deliver(Side.OUTSIDE, buildFrame({ src: NEIGHBOUR6, dst: ALBERT_HOST6, proto: 'icmpv6', icmp: { type: 128, id: 1, seq: 1 }, ttl: 255 }));
    expect(r.inside.sent).toEqual([]);
    expect(r.bridge.neighbourDiscovery[Side.OUTSIDE]).toBe(0);
    expect(r.lines.map((l) => JSON.parse(l).reason)).toEqual(['ingress-no-rule', 'ingress-no-rule']);
  });
});

describe('the bridge never throws into the capture', () => {
  it('a send the kernel refuses is counted on the side it was to leave by', async () => {
    const r = await rig();
    r.outside.failWith = new Error('send: No buffer space available');
    r.deliver(Side.INSIDE, tcp({ src: ALBERT_HOST, dst: STRANGER, sport: 50000, dport: 443, flags: 'S' }));
    expect(r.bridge.injectErrors[Side.OUTSIDE]).toBe(1);
    expect(r.bridge.dropped[Side.INSIDE]).toBe(1);
    expect(r.bridge.lastError?.message).toContain('No buffer space');
  });

  it('frames after detach (a capture closing) are dropped, not sent', async () => {
    const r = await rig();
    r.bridge.detach();
    r.deliver(Side.OUTSIDE, tcp({ src: ALBERT_MACHINE, dst: ALBERT_HOST, sport: 40000, dport: 22, flags: 'S' }));
    expect(r.inside.sent).toEqual([]);
    expect(r.bridge.dropped[Side.OUTSIDE]).toBe(1);
  });
});

describe('inline metrics', () => {
  it('carry the per-side counters beside host mode\'s families, without NFQUEUE ones', async () => {
    const r = await rig();
    r.deliver(Side.OUTSIDE, tcp({ src: STRANGER, dst: ALBERT_HOST, sport: 40001, dport: 22, flags: 'S' }));
    r.deliver(Side.INSIDE, tcp({ src: ALBERT_HOST, dst: STRANGER, sport: 50000, dport: 443, flags: 'S' }));
    const families = inlineMetricFamilies({ dataplane: r.dataplane, bridge: r.bridge, verdicts: r.bridge.counters, devices: ['in0', 'out0'] });
    const names = families.map((f) => f.name);
    expect(names).toContain('sgfw_packets_total');
    expect(names.some((n) => n.startsWith('sgfw_nfqueue_'))).toBe(false);
    const dropped = families.find((f) => f.name === 'sgfw_inline_frames_dropped_total')!;
    expect(dropped.samples).toEqual([
      { labels: { side: 'inside', device: 'in0' }, value: 0 },
      { labels: { side: 'outside', device: 'out0' }, value: 1 },
    ]);
    const packets = families.find((f) => f.name === 'sgfw_packets_total')!;
    expect(packets.samples).toContainEqual({
      labels: { interface: 'eni-0a1b2c3d4e5f60001', verdict: 'drop', reason: 'ingress-no-rule' },
      value: 1,
    });
  });
});

describe('the bridge allocates nothing per frame', () => {
  it('forwards and drops 1 000 000 frames, past the drop-log budget, without a garbage collection', async () => {
    const dataplane = new Dataplane(await serviceFromStateFiles([stateFile()]));
    const logged: unknown[] = [];
    const logger = { info: (obj: unknown) => logged.push(obj) } as unknown as Logger;
    const bridge = new InlineBridge(dataplane, LinkType.ETHERNET, { clock: () => 1000, drops: { sampler: new DropSampler(1), logger } });
    let sent = 0;
    const port: FramePort = { send: () => void sent++ };
    bridge.attach(port, port);
    const frames = [
      tcp({ src: ALBERT_MACHINE, dst: ALBERT_HOST, sport: 40000, dport: 22, flags: 'S' }),
      tcp({ src: STRANGER, dst: ALBERT_HOST, sport: 40001, dport: 22, flags: 'S' }),
      wrapLink({ link: 'ethernet' }, new Uint8Array(28), 0x0806),
      buildFrame({ src: NEIGHBOUR6, dst: ALBERT_HOST6, proto: 'icmpv6', icmp: { type: 135 }, ttl: 255, payload: new Uint8Array(20) }),
    ];
    for (const f of frames) bridge.onOutside(f, f.length, false); // warm-up: spends the one logged drop
    // The fewest collections over up to 3 runs: one the setup left due can land in any one run,
    // while an allocating path collects in every run (see gc-count.ts).
    const { count, result } = await fewestCollectionsOver(3, () => {
      const [frames0, sent0, nd0] = [bridge.frames, sent, bridge.neighbourDiscovery[Side.OUTSIDE]];
      for (let i = 0; i < 250_000; i++) for (const f of frames) bridge.onOutside(f, f.length, false);
      return { frames: bridge.frames - frames0, sent: sent - sent0, neighbourDiscovery: bridge.neighbourDiscovery[Side.OUTSIDE] - nd0 };
    });
    expect(count).toBe(0);
    expect(result).toEqual({ frames: 1_000_000, sent: 750_000, neighbourDiscovery: 250_000 });
    expect(logged).toHaveLength(1);
  }, 30_000);
});

/** A batch capture's send side: keeps copies of what each sendBatch asked for; can refuse the last `refuse` of a batch. */
class FakeBatchPort implements FramePort {
  readonly sent: Buffer[] = [];
  batches = 0;
  refuse = 0;
  send(frame: Buffer, length: number): void {
    this.sent.push(Buffer.from(frame.subarray(0, length)));
  }
  sendBatch(data: Uint8Array, frames: Int32Array, count: number): number {
    this.batches++;
    const taken = Math.max(0, count - this.refuse);
    for (let i = 0; i < taken; i++) this.sent.push(Buffer.from(data.subarray(frames[i * 2]!, frames[i * 2]! + frames[i * 2 + 1]!)));
    return taken;
  }
}

interface BatchFrame {
  frame: Buffer;
  truncated?: boolean;
  /** the 10 bytes before the frame in the ring: its vnet header (a bridge with vnetHeaders reads and sends them) */
  vnet?: Buffer;
}

/**
 * Delivers frames as the AF_PACKET ring does: at scattered offsets of one shared buffer, described
 * by an Int32Array meta (AfPacketMeta), both overwritten once the call returns.
 */
function batchDeliverer(bridge: InlineBridge): (side: Side, frames: readonly BatchFrame[]) => void {
  const ring = Buffer.alloc(1 << 20);
  const meta = new Int32Array(1024 * AFPACKET_META_STRIDE);
  return (side, frames) => {
    let at = 100;
    frames.forEach(({ frame, truncated = false, vnet }, i) => {
      vnet?.copy(ring, at - vnet.length);
      frame.copy(ring, at);
      const m = i * AFPACKET_META_STRIDE;
      meta[m + AfPacketMeta.OFFSET] = at;
      meta[m + AfPacketMeta.LENGTH] = frame.length;
      meta[m + AfPacketMeta.WIRE_LENGTH] = truncated ? frame.length + 100 : frame.length;
      meta[m + AfPacketMeta.FLAGS] = truncated ? AfPacketFlag.TRUNCATED : 0;
      at += frame.length + 77;
    });
    (side === Side.INSIDE ? bridge.onInsideBatch : bridge.onOutsideBatch)(ring, meta, frames.length);
    ring.fill(0xee, 0, at);
    meta.fill(-1);
  };
}

describe('a batch from the AF_PACKET ring is judged frame by frame and forwarded in one send', () => {
  const ssh = tcp({ src: ALBERT_MACHINE, dst: ALBERT_HOST, sport: 40000, dport: 22, flags: 'S' });
  const strangerSsh = tcp({ src: STRANGER, dst: ALBERT_HOST, sport: 40001, dport: 22, flags: 'S' });
  const arp = wrapLink({ link: 'ethernet' }, new Uint8Array(28), 0x0806);
  const malformed = Buffer.from(ssh);
  malformed[14] = 0x43;
  const ns = buildFrame({ src: NEIGHBOUR6, dst: ALBERT_HOST6, proto: 'icmpv6', icmp: { type: 135 }, ttl: 255, payload: new Uint8Array(20) });
  const echo6 = buildFrame({ src: NEIGHBOUR6, dst: ALBERT_HOST6, proto: 'icmpv6', icmp: { type: 128, id: 1, seq: 1 }, ttl: 255 });
  const fromOutside: BatchFrame[] = [
    { frame: ssh },
    { frame: strangerSsh },
    { frame: arp },
    { frame: malformed },
    { frame: ssh, truncated: true },
    { frame: ns },
    { frame: echo6 },
  ];
  const out = tcp({ src: ALBERT_HOST, dst: STRANGER, sport: 50000, dport: 443, flags: 'S' });
  const back = tcp({ src: STRANGER, dst: ALBERT_HOST, sport: 443, dport: 50000, flags: 'SA' });

  it('forwards the allowed frames of a batch, in order, in one sendBatch out of the other side', async () => {
    const r = await rig();
    const inside = new FakeBatchPort();
    const outside = new FakeBatchPort();
    r.bridge.attach(inside, outside);
    const deliver = batchDeliverer(r.bridge);
    deliver(Side.OUTSIDE, fromOutside);
    expect(inside.batches).toBe(1);
    expect(inside.sent).toEqual([ssh, arp, ns]);
    expect(outside.sent).toEqual([]);
    expect(r.bridge.received[Side.OUTSIDE]).toBe(7);
    expect(r.bridge.forwarded[Side.OUTSIDE]).toBe(3);
    expect(r.bridge.dropped[Side.OUTSIDE]).toBe(4);
    expect(r.bridge.truncated[Side.OUTSIDE]).toBe(1);
    expect(r.bridge.neighbourDiscovery[Side.OUTSIDE]).toBe(1);
    expect(r.lines.map((l) => JSON.parse(l).reason)).toEqual(['rule', 'ingress-no-rule', 'not-ip', 'malformed', 'neighbour-discovery', 'ingress-no-rule']);

    // A flow set up by one batch is tracked for the next, the other way.
    deliver(Side.INSIDE, [{ frame: out }]);
    deliver(Side.OUTSIDE, [{ frame: back }]);
    expect(outside.sent).toEqual([out]);
    expect(inside.sent.at(-1)).toEqual(back);
    expect(lastLine(r)).toMatchObject({ verdict: 'allow', reason: 'tracked' });
  });

  it('counts, logs and writes verdict lines exactly as frame-by-frame delivery of the same frames does', async () => {
    const one = await rig();
    const many = await rig();
    const batchPorts = [new FakeBatchPort(), new FakeBatchPort()] as const;
    many.bridge.attach(batchPorts[0], batchPorts[1]);
    const deliver = batchDeliverer(many.bridge);
    const sequence: [Side, BatchFrame[]][] = [
      [Side.OUTSIDE, fromOutside],
      [Side.INSIDE, [{ frame: out }, { frame: arp }]],
      [Side.OUTSIDE, [{ frame: back }, { frame: strangerSsh }]],
    ];
    for (const [side, frames] of sequence) {
      for (const f of frames) one.deliver(side, f.frame, f.truncated);
      deliver(side, frames);
    }
    for (const key of ['received', 'forwarded', 'dropped', 'truncated', 'neighbourDiscovery', 'injectErrors'] as const) {
      expect([...many.bridge[key]], key).toEqual([...one.bridge[key]]);
    }
    expect(many.bridge.frames).toBe(one.bridge.frames);
    expect([...many.bridge.counters.packetCounts]).toEqual([...one.bridge.counters.packetCounts]);
    expect([...many.bridge.counters.byteCounts]).toEqual([...one.bridge.counters.byteCounts]);
    // Each rig loads the state anew, and a rule without an id in it gets a fresh one: compare how many.
    const lines = (r: Rig): unknown[] => r.lines.map((l) => ({ ...JSON.parse(l), rules: JSON.parse(l).rules.length }));
    expect(lines(many)).toEqual(lines(one));
    expect(many.logged).toEqual(one.logged);
    expect(batchPorts[0].sent).toEqual(one.inside.sent);
    expect(batchPorts[1].sent).toEqual(one.outside.sent);
  });

  it('frames the kernel refused to send are counted on the side they were to leave by', async () => {
    const r = await rig();
    const inside = new FakeBatchPort();
    inside.refuse = 2;
    r.bridge.attach(inside, new FakeBatchPort());
    batchDeliverer(r.bridge)(Side.OUTSIDE, fromOutside);
    expect(inside.sent).toEqual([ssh]);
    expect(r.bridge.forwarded[Side.OUTSIDE]).toBe(1);
    expect(r.bridge.injectErrors[Side.INSIDE]).toBe(2);
    expect(r.bridge.dropped[Side.OUTSIDE]).toBe(6);
    expect(r.bridge.lastError?.message).toMatch(/sendBatch/);
  });

  it('a port without sendBatch gets the allowed frames one by one; after detach nothing is sent', async () => {
    const r = await rig();
    const deliver = batchDeliverer(r.bridge);
    deliver(Side.OUTSIDE, fromOutside);
    expect(r.inside.sent).toEqual([ssh, arp, ns]);
    r.bridge.detach();
    deliver(Side.OUTSIDE, [{ frame: ssh }, { frame: arp }]);
    expect(r.inside.sent).toHaveLength(3);
    expect(r.bridge.dropped[Side.OUTSIDE]).toBe(4 + 2);
  });

  it('a batch larger than the bridge\'s send list is forwarded whole', async () => {
    const r = await rig();
    const inside = new FakeBatchPort();
    r.bridge.attach(inside, new FakeBatchPort());
    batchDeliverer(r.bridge)(Side.OUTSIDE, Array.from({ length: 1000 }, () => ({ frame: arp })));
    expect(inside.batches).toBe(1);
    expect(inside.sent).toHaveLength(1000);
    expect(r.bridge.forwarded[Side.OUTSIDE]).toBe(1000);
  });

  it('capture statistics become sgfw_capture_* families by side and device, only when the method has them', async () => {
    const r = await rig();
    const withStats = inlineMetricFamilies({
      dataplane: r.dataplane,
      bridge: r.bridge,
      verdicts: r.bridge.counters,
      devices: ['in0', 'out0'],
      captureStats: (side) => (side === Side.INSIDE ? { packets: 10, drops: 0 } : { packets: 25, drops: 3 }),
    });
    expect(withStats.find((f) => f.name === 'sgfw_capture_packets_total')?.samples).toEqual([
      { labels: { side: 'inside', device: 'in0' }, value: 10 },
      { labels: { side: 'outside', device: 'out0' }, value: 25 },
    ]);
    expect(withStats.find((f) => f.name === 'sgfw_capture_drops_total')?.samples).toEqual([
      { labels: { side: 'inside', device: 'in0' }, value: 0 },
      { labels: { side: 'outside', device: 'out0' }, value: 3 },
    ]);
    const without = inlineMetricFamilies({ dataplane: r.dataplane, bridge: r.bridge, verdicts: r.bridge.counters, devices: ['in0', 'out0'], captureStats: () => null });
    expect(without.some((f) => f.name.startsWith('sgfw_capture_'))).toBe(false);
  });

  it.each([false, true])('judges and forwards 250 000 batches (1 000 000 frames) without a garbage collection (vnet headers: %s)', async (vnetHeaders) => {
    const dataplane = new Dataplane(await serviceFromStateFiles([stateFile()]));
    const logger = { info: () => {} } as unknown as Logger;
    const bridge = new InlineBridge(dataplane, LinkType.ETHERNET, { clock: () => 1000, drops: { sampler: new DropSampler(1), logger }, vnetHeaders });
    let sent = 0;
    const port: FramePort = { send: () => void sent++, sendBatch: (_d, _f, count) => ((sent += count), count) };
    bridge.attach(port, port);
    const frames = [ssh, strangerSsh, arp, ns];
    const ring = Buffer.alloc(4096);
    const meta = new Int32Array(frames.length * AFPACKET_META_STRIDE);
    let at = 0;
    frames.forEach((f, i) => {
      // with vnet headers: each frame after one, the first (SSH, allowed) an offloaded super-frame's
      if (vnetHeaders) at += vnetHeaderBytes(i === 0 ? superHeader : {}).copy(ring, at);
      f.copy(ring, at);
      meta[i * AFPACKET_META_STRIDE + AfPacketMeta.OFFSET] = at;
      meta[i * AFPACKET_META_STRIDE + AfPacketMeta.LENGTH] = f.length;
      meta[i * AFPACKET_META_STRIDE + AfPacketMeta.WIRE_LENGTH] = f.length;
      at += f.length;
    });
    bridge.onOutsideBatch(ring, meta, frames.length); // warm-up: spends the one logged drop
    const { count, result } = await fewestCollectionsOver(3, () => {
      const [frames0, sent0] = [bridge.frames, sent];
      for (let i = 0; i < 250_000; i++) bridge.onOutsideBatch(ring, meta, frames.length);
      return { frames: bridge.frames - frames0, sent: sent - sent0 };
    });
    expect(count).toBe(0);
    expect(result).toEqual({ frames: 1_000_000, sent: 750_000 });
    expect(bridge.offloaded[Side.OUTSIDE]).toBe(vnetHeaders ? 250_001 : 0);
  }, 30_000);
});

/** What the kernel writes in front of a TCP/IPv4 super-frame: segment at 1448 bytes, checksum to complete at 34 + 16. */
const superHeader: VnetHeaderSpec = { flags: VNET_NEEDS_CSUM, gsoType: VnetGso.TCPV4, hdrLen: 66, gsoSize: 1448, csumStart: 34, csumOffset: 16 };

describe('with vnet headers (interfaces with their offloads on), a super-frame is judged once and forwarded whole', () => {
  // A 64 KB TCP super-frame as TSO or GRO leaves it: the IP length is the aggregate's, the TCP
  // checksum only the pseudo-header's (left to complete), here garbage: the decoder checks none.
  const bulk = (src: string, sport: number, dport: number): Buffer => {
    const f = tcp({ src, dst: ALBERT_HOST, sport, dport, flags: 'A', payload: new Uint8Array(65_000).fill(0x5a) });
    f.writeUInt16BE(0xbeef, 14 + 20 + 16);
    return f;
  };
  const allowed = bulk(ALBERT_MACHINE, 40000, 22);
  const denied = bulk(STRANGER, 40001, 22);
  const syn = tcp({ src: ALBERT_MACHINE, dst: ALBERT_HOST, sport: 40002, dport: 22, flags: 'S' });
  const plain = vnetHeaderBytes({ flags: VNET_NEEDS_CSUM, csumStart: 34, csumOffset: 16 });

  it('the allowed one goes out with its header in front, unchanged; the denied one is dropped whole; both are counted', async () => {
    const r = await rig({ vnetHeaders: true });
    const inside = new FakeBatchPort();
    r.bridge.attach(inside, new FakeBatchPort());
    batchDeliverer(r.bridge)(Side.OUTSIDE, [
      { frame: allowed, vnet: vnetHeaderBytes(superHeader) },
      { frame: denied, vnet: vnetHeaderBytes(superHeader) },
      { frame: syn, vnet: plain },
    ]);
    expect(inside.batches).toBe(1);
    expect(inside.sent).toEqual([Buffer.concat([vnetHeaderBytes(superHeader), allowed]), Buffer.concat([plain, syn])]);
    expect(r.lines.map((l) => JSON.parse(l).reason)).toEqual(['rule', 'ingress-no-rule', 'rule']);
    expect(r.bridge.received[Side.OUTSIDE]).toBe(3);
    expect(r.bridge.forwarded[Side.OUTSIDE]).toBe(2);
    expect(r.bridge.dropped[Side.OUTSIDE]).toBe(1);
    expect(r.bridge.offloaded[Side.OUTSIDE]).toBe(2);
    expect(r.bridge.offloadedSegments[Side.OUTSIDE]).toBe(2 * Math.ceil(65_000 / 1448));
    // one packet each in the counters, its bytes the whole super-frame's
    expect(r.bridge.counters.packetCounts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(r.bridge.counters.byteCounts.reduce((a, b) => a + b, 0)).toBe(2 * allowed.length + syn.length);
  });

  it('the counters become sgfw_inline_offloaded_* families by side and device', async () => {
    const r = await rig({ vnetHeaders: true });
    r.bridge.attach(new FakeBatchPort(), new FakeBatchPort());
    batchDeliverer(r.bridge)(Side.OUTSIDE, [{ frame: allowed, vnet: vnetHeaderBytes(superHeader) }]);
    const families = inlineMetricFamilies({ dataplane: r.dataplane, bridge: r.bridge, verdicts: r.bridge.counters, devices: ['in0', 'out0'] });
    const of = (name: string) => families.find((f) => f.name === name)?.samples;
    expect(of('sgfw_inline_offloaded_frames_total')).toEqual([
      { labels: { side: 'inside', device: 'in0' }, value: 0 },
      { labels: { side: 'outside', device: 'out0' }, value: 1 },
    ]);
    expect(of('sgfw_inline_offloaded_segments_total')?.[1]?.value).toBe(Math.ceil(65_000 / 1448));
  });

  it('a port without sendBatch gets the frames without their header', async () => {
    const r = await rig({ vnetHeaders: true });
    batchDeliverer(r.bridge)(Side.OUTSIDE, [{ frame: syn, vnet: plain }, { frame: allowed, vnet: vnetHeaderBytes(superHeader) }]);
    expect(r.inside.sent).toEqual([syn, allowed]);
  });

  it('without vnet headers the bytes before a frame are not read and not sent', async () => {
    const r = await rig();
    const inside = new FakeBatchPort();
    r.bridge.attach(inside, new FakeBatchPort());
    batchDeliverer(r.bridge)(Side.OUTSIDE, [{ frame: allowed, vnet: vnetHeaderBytes(superHeader) }]);
    expect(inside.sent).toEqual([allowed]);
    expect(r.bridge.offloaded[Side.OUTSIDE]).toBe(0);
  });
});
