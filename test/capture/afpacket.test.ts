// The AF_PACKET binding (native-bindings/afpacket through src/capture/afpacket.ts) on a real kernel,
// inside a throwaway network namespace holding one veth pair (IPv6 off, no addresses: the stack
// sends nothing on it). A probe process in the namespace opens a socket on each end, sends frames
// of an experimental EtherType from one end and reports what the other's ring delivered. Needs
// root; skipped only outside CI when not root.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFPACKET_ADDON, AfPacketSocket } from '../../src/capture/afpacket.js';
import { CaptureError } from '../../src/capture/capture-error.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TAG = process.pid % 100000;
const NS = `sgfw-afp-${TAG}`;
const DEV_A = `sgafa${TAG}`;
const DEV_B = `sgafb${TAG}`;
const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);

/** Frame lengths sent from B to A: the smallest Ethernet header up to a full 1500-byte MTU. */
const LENGTHS = [14, 42, 60, 61, 64, 128, 333, 999, 1000, 1514];
const ROUNDS = 5; // LENGTHS.length * ROUNDS frames in all

// Runs inside the namespace. Frame i: broadcast destination, a source MAC, EtherType 0x88B5, then a
// marker byte, i (2 bytes) and a byte pattern of i, to `length`. Phases:
//   1. B sends every frame with send(): A's handler records each one (length, bytes checked at its
//      offset in the ring) and the batch sizes.
//   2. A sends its own frames (marker 2) with sendBatch from a plain Buffer, one pair out of bounds
//      and one too long for the MTU among them: B gets the others; A captures none of them.
//   3. B sends frames (marker 3); A's handler sends each batch straight back out of A with
//      sendBatch from the ring itself (what a bridge does): B gets them all back, bytes intact.
//   4. close() twice; sends after close count as errors.
const PROBE = `
const { AfPacketSocket, AfPacketMeta, AFPACKET_META_STRIDE } = await import(${JSON.stringify(join(ROOT, 'dist', 'capture', 'afpacket.js'))});
const [devA, devB] = process.argv.slice(1, 3);
const lengths = JSON.parse(process.argv[3]);
const rounds = Number(process.argv[4]);
const frame = (marker, i, length) => {
  const f = Buffer.alloc(length);
  f.fill(0xff, 0, 6);
  f.set([0x02, 0, 0, 0, 0, 0x0b], 6);
  f.writeUInt16BE(0x88b5, 12);
  if (length >= 17) { f[14] = marker; f.writeUInt16BE(i, 15); }
  for (let k = 17; k < length; k++) f[k] = (i + k) & 0xff;
  return f;
};
const check = (data, offset, length, marker) => {
  // The index is in the frame when it is long enough; a 14-byte frame is only its header.
  if (length < 17) return { i: -1, ok: data.readUInt16BE(offset + 12) === 0x88b5 };
  const i = data.readUInt16BE(offset + 15);
  const want = frame(marker, i, length);
  return { i, ok: data[offset + 14] === marker && Buffer.compare(data.subarray(offset, offset + length), want) === 0 };
};
const seen = { a: [], b: [] };
const batchesA = [];
let phase = 1;
const out = new Int32Array(2 * 1024);
let a = null;
const onA = (batch) => {
  batchesA.push(batch.count);
  let n = 0;
  for (let k = 0; k < batch.count; k++) {
    const m = k * AFPACKET_META_STRIDE;
    const offset = batch.meta[m + AfPacketMeta.OFFSET], length = batch.meta[m + AfPacketMeta.LENGTH];
    const r = check(batch.data, offset, length, batch.data[offset + 14]);
    seen.a.push({ phase, marker: length >= 17 ? batch.data[offset + 14] : 0, length, wire: batch.meta[m + AfPacketMeta.WIRE_LENGTH], flags: batch.meta[m + AfPacketMeta.FLAGS], ...r });
    out[n * 2] = offset; out[n * 2 + 1] = length; n++;
  }
  if (phase === 3) seen.a.returned = (seen.a.returned ?? 0) + a.sendBatch(batch.data, out, n);
};
const onB = (batch) => {
  for (let k = 0; k < batch.count; k++) {
    const m = k * AFPACKET_META_STRIDE;
    const offset = batch.meta[m + AfPacketMeta.OFFSET], length = batch.meta[m + AfPacketMeta.LENGTH];
    const marker = length >= 17 ? batch.data[offset + 14] : 0;
    seen.b.push({ phase, marker, length, ...check(batch.data, offset, length, marker) });
  }
};
a = new AfPacketSocket(devA, onA, { blockSize: 1 << 16, blockCount: 8, blockTimeoutMs: 100 });
const b = new AfPacketSocket(devB, onB, { blockTimeoutMs: 1 });
const until = (cond, ms = 5000) => new Promise((resolve) => {
  const t0 = Date.now();
  const tick = () => (cond() || Date.now() - t0 > ms ? resolve() : setTimeout(tick, 5));
  tick();
});
const N = lengths.length * rounds;
const result = { ignoresOutgoing: a.ignoresOutgoing, linkType: a.linkType, ifindex: a.ifindex };

// 1
let sentB = 0;
for (let i = 0; i < N; i++) if (b.send(frame(1, i, lengths[i % lengths.length]), lengths[i % lengths.length])) sentB++;
await until(() => seen.a.length >= N);
await new Promise((r) => setTimeout(r, 150)); // anything extra would show now
result.phase1 = { sentB, seen: seen.a.filter((x) => x.phase === 1), batches: [...batchesA], stats: a.stats() };

// 2
phase = 2;
const M = 20;
const own = [];
let at = 0;
const data = Buffer.alloc(M * 1600 + 1600);
const pairs = [];
for (let i = 0; i < M; i++) {
  const len = lengths[i % lengths.length];
  frame(2, i, len).copy(data, at);
  pairs.push(at, len);
  own.push(len);
  at += len;
}
pairs.push(data.length - 10, 100); // out of bounds
frame(2, 999, 1600).copy(data, at);
pairs.push(at, 1600); // longer than the 1500-byte MTU allows
result.phase2 = { returned: a.sendBatch(data, Int32Array.from(pairs), M + 2) };
await until(() => seen.b.filter((x) => x.phase === 2).length >= M);
await new Promise((r) => setTimeout(r, 200));
result.phase2.seenA = seen.a.filter((x) => x.phase === 2).length;
result.phase2.seenB = seen.b.filter((x) => x.phase === 2);
result.phase2.own = own;
result.phase2.stats = a.stats();

// 3
phase = 3;
for (let i = 0; i < N; i++) b.send(frame(3, i, lengths[i % lengths.length]), lengths[i % lengths.length]);
await until(() => seen.b.filter((x) => x.phase === 3).length >= N);
await new Promise((r) => setTimeout(r, 150));
result.phase3 = { returned: seen.a.returned ?? 0, seenA: seen.a.filter((x) => x.phase === 3).length, seenB: seen.b.filter((x) => x.phase === 3), statsA: a.stats(), statsB: b.stats() };

// 4
a.close();
let second = 'ok';
try { a.close(); } catch (e) { second = e.message; }
result.phase4 = { second, sendAfterClose: a.send(frame(4, 0, 60), 60), batchAfterClose: a.sendBatch(data, Int32Array.from([0, 60]), 1), stats: a.stats() };
b.close();
console.log(JSON.stringify(result));
process.exit(0);
`;

function ns(...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('AfPacketSocket options', () => {
  it('refuses ring sizes it cannot use with a CaptureError naming the device', () => {
    expect(() => new AfPacketSocket('eth9', () => {}, { blockSize: 5000 })).toThrow(CaptureError);
    expect(() => new AfPacketSocket('eth9', () => {}, { blockSize: 5000 })).toThrow(/^eth9: ring block size 5000/);
    expect(() => new AfPacketSocket('eth9', () => {}, { blockCount: 0 })).toThrow(/^eth9: ring block count 0/);
    expect(() => new AfPacketSocket('eth9', () => {}, { blockTimeoutMs: 0 })).toThrow(/^eth9: ring block timeout 0/);
  });
});

describe.runIf(enabled)('AfPacketSocket on a veth pair', () => {
  type Seen = { phase: number; marker: number; length: number; wire?: number; flags?: number; i: number; ok: boolean };
  let result: {
    ignoresOutgoing: boolean;
    linkType: number;
    ifindex: number;
    phase1: { sentB: number; seen: Seen[]; batches: number[]; stats: Record<string, number | string | null> };
    phase2: { returned: number; seenA: number; seenB: Seen[]; own: number[]; stats: Record<string, number | string | null> };
    phase3: { returned: number; seenA: number; seenB: Seen[]; statsA: Record<string, number | string | null>; statsB: Record<string, number | string | null> };
    phase4: { second: string; sendAfterClose: boolean; batchAfterClose: number; stats: Record<string, number | string | null> };
  };
  const N = LENGTHS.length * ROUNDS;

  const delNs = (): void => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // not there
    }
  };

  beforeAll(() => {
    // scripts/build-native.sh (run by setup) built the addon; the vitest globalSetup built dist/.
    expect(existsSync(AFPACKET_ADDON), `${AFPACKET_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    delNs();
    execFileSync('ip', ['netns', 'add', NS], { timeout: 10_000 });
    ns('ip', 'link', 'add', DEV_A, 'type', 'veth', 'peer', 'name', DEV_B);
    for (const dev of [DEV_A, DEV_B]) {
      ns('sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`);
      ns('ethtool', '-K', dev, 'tx', 'off');
      ns('ip', 'link', 'set', dev, 'up');
    }
    result = JSON.parse(ns(process.execPath, '--input-type=module', '-e', PROBE, DEV_A, DEV_B, JSON.stringify(LENGTHS), String(ROUNDS)));
  }, 60_000);

  afterAll(delNs);

  it('binds the interface: Ethernet link type, its index', () => {
    expect(result.linkType).toBe(1); // LinkType.ETHERNET
    expect(result.ifindex).toBe(Number(ns('cat', `/sys/class/net/${DEV_A}/ifindex`).trim()));
  });

  it('delivers the frames sent into the veth in batches, in order, with their lengths and bytes at their offsets', () => {
    const { sentB, seen, batches, stats } = result.phase1;
    expect(sentB).toBe(N);
    expect(seen).toHaveLength(N);
    expect(seen.map((x) => x.length)).toEqual(Array.from({ length: N }, (_, i) => LENGTHS[i % LENGTHS.length]));
    expect(seen.every((x) => x.ok)).toBe(true);
    // Frames with room for the index come in order.
    const indices = seen.filter((x) => x.i >= 0).map((x) => x.i);
    expect(indices).toEqual([...indices].sort((p, q) => p - q));
    expect(indices).toHaveLength(N - ROUNDS); // all but the 14-byte frames carry one
    expect(seen.every((x) => x.wire === x.length && x.flags === 0)).toBe(true);
    // A ring block holds many frames: fewer handler calls than frames.
    expect(batches.reduce((s, c) => s + c, 0)).toBe(N);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(stats.frames).toBe(N);
    expect(stats.batches).toBe(batches.length);
    expect(stats.packets).toBeGreaterThanOrEqual(N);
    expect(stats.drops).toBe(0);
  });

  it('sends a batch to the peer, refusing (and counting) frames out of bounds or too long, and never captures its own frames', () => {
    const { returned, seenA, seenB, own, stats } = result.phase2;
    expect(returned).toBe(own.length);
    expect(seenB.map((x) => x.length)).toEqual(own);
    expect(seenB.every((x) => x.ok && (x.length < 17 || x.marker === 2))).toBe(true);
    expect(seenA).toBe(0);
    expect(result.ignoresOutgoing).toBe(true); // PACKET_IGNORE_OUTGOING (Linux ≥ 4.20)
    expect(stats.sent).toBe(own.length);
    expect(stats.sendErrors).toBe(2);
    expect(stats.lastSendError).toBe('EMSGSIZE'); // the last refusal: the frame longer than the MTU
    expect(stats.skipped).toBe(0); // the kernel kept them out; none to skip here
  });

  it('sends frames straight from its ring out again (what a bridge does), bytes intact', () => {
    const { returned, seenA, seenB, statsA, statsB } = result.phase3;
    expect(seenA).toBe(N);
    expect(returned).toBe(N);
    expect(seenB.map((x) => x.length)).toEqual(Array.from({ length: N }, (_, i) => LENGTHS[i % LENGTHS.length]));
    expect(seenB.every((x) => x.ok)).toBe(true);
    expect(statsA.frames).toBe(2 * N);
    expect(statsA.sent).toBe(20 + N);
    expect(statsB.frames).toBe(20 + N);
    expect(statsB.sent).toBe(2 * N);
  });

  it('closes once; a second close is a no-op and sends after it are counted as refused', () => {
    const { second, sendAfterClose, batchAfterClose, stats } = result.phase4;
    expect(second).toBe('ok');
    expect(sendAfterClose).toBe(false);
    expect(batchAfterClose).toBe(0);
    expect(stats.sendErrors).toBe(2 + 2);
    expect(stats.lastSendError).toBe('EBADF');
    expect(stats.frames).toBe(2 * N);
  });

  it('names a missing interface in its CaptureError (ENODEV)', () => {
    let err: unknown = null;
    try {
      new AfPacketSocket('sgfwnosuch0', () => {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).message).toMatch(/^sgfwnosuch0: cannot capture: .*\(no such interface\)$/);
    expect((err as Error & { code?: string }).code).toBe('ENODEV');
  });
});

// With vnet headers (what inline mode's sockets ask for), in a namespace of its own. B sends plain
// frames with send() (the binding puts a zeroed header in front); A's ring has each one after a
// header saying "no offload", and A sends them back with sendBatch, header included, from its ring.
// Then A sends a 20,000-byte TCP/IPv4 frame with a header asking the kernel to segment it at 1,448
// bytes: veth carries it whole, and B's ring has it with that offload in its header.
const VNET_PROBE = `
const { AfPacketSocket, AfPacketMeta, AFPACKET_META_STRIDE, AFPACKET_VNET_HEADER_LENGTH } = await import(${JSON.stringify(join(ROOT, 'dist', 'capture', 'afpacket.js'))});
const { buildFrame } = await import(${JSON.stringify(join(ROOT, 'dist', 'packet', 'frame-builder.js'))});
const [devA, devB] = process.argv.slice(1, 3);
const H = AFPACKET_VNET_HEADER_LENGTH;
const frame = (i, length) => {
  const f = Buffer.alloc(length);
  f.fill(0xff, 0, 6);
  f.set([0x02, 0, 0, 0, 0, 0x0c], 6);
  f.writeUInt16BE(0x88b5, 12);
  f.writeUInt16BE(i, 14);
  for (let k = 16; k < length; k++) f[k] = (i * 7 + k) & 0xff;
  return f;
};
const seen = { a: [], b: [] };
let bounce = false;
const out = new Int32Array(2 * 4096);
let a = null;
const record = (into, batch) => {
  for (let k = 0; k < batch.count; k++) {
    const m = k * AFPACKET_META_STRIDE;
    const offset = batch.meta[m + AfPacketMeta.OFFSET], length = batch.meta[m + AfPacketMeta.LENGTH];
    const header = [...batch.data.subarray(offset - H, offset)];
    const i = length >= 16 ? batch.data.readUInt16BE(offset + 14) : -1;
    const tcp = batch.data.readUInt16BE(offset + 12) === 0x0800;
    into.push({ length, header, i, ok: tcp ? null : Buffer.compare(batch.data.subarray(offset, offset + length), frame(i, length)) === 0, tcp });
    out[k * 2] = offset - H; out[k * 2 + 1] = length + H;
  }
};
a = new AfPacketSocket(devA, (batch) => { record(seen.a, batch); if (bounce) seen.a.returned = (seen.a.returned ?? 0) + a.sendBatch(batch.data, out, batch.count); }, { vnetHeader: true, blockTimeoutMs: 1 });
const b = new AfPacketSocket(devB, (batch) => record(seen.b, batch), { vnetHeader: true, blockTimeoutMs: 1 });
const until = (cond, ms = 5000) => new Promise((resolve) => {
  const t0 = Date.now();
  const tick = () => (cond() || Date.now() - t0 > ms ? resolve() : setTimeout(tick, 5));
  tick();
});
const lengths = [14 + 2, 60, 333, 1514];
const result = { vnetHeader: a.vnetHeader, sendBuffer: a.sendBuffer, plain: b.vnetHeader };
bounce = true;
for (let i = 0; i < 40; i++) b.send(frame(i, lengths[i % 4]), lengths[i % 4]);
await until(() => seen.b.length >= 40);
result.bounced = { seenA: seen.a.splice(0), seenB: seen.b.splice(0), returned: seen.a.returned };
bounce = false;
// A super-frame: TCP/IPv4, 20,000 bytes of payload, segments of 1,448, checksum at 34 + 16 to complete.
const big = buildFrame({ src: '198.51.100.1', dst: '198.51.100.2', proto: 'tcp', sport: 1000, dport: 2000, flags: 'A', payload: new Uint8Array(20000).fill(0x42) });
const header = Buffer.alloc(H);
header[0] = 1; // NEEDS_CSUM
header[1] = 1; // GSO TCPV4
header.writeUInt16LE(54, 2);
header.writeUInt16LE(1448, 4);
header.writeUInt16LE(34, 6);
header.writeUInt16LE(16, 8);
const data = Buffer.concat([header, big]);
result.superSent = a.sendBatch(data, Int32Array.from([0, data.length]), 1);
await until(() => seen.b.some((x) => x.tcp));
result.superSeen = seen.b.filter((x) => x.tcp);
result.statsA = a.stats();
a.close();
b.close();
console.log(JSON.stringify(result));
process.exit(0);
`;

describe.runIf(enabled)('AfPacketSocket with vnet headers (offloads) on a veth pair', () => {
  const VNS = `sgfw-afv-${TAG}`;
  const VA = `sgafva${TAG}`;
  const VB = `sgafvb${TAG}`;
  type Seen = { length: number; header: number[]; i: number; ok: boolean | null; tcp: boolean };
  let result: {
    vnetHeader: boolean;
    sendBuffer: number;
    plain: boolean;
    bounced: { seenA: Seen[]; seenB: Seen[]; returned: number };
    superSent: number;
    superSeen: Seen[];
    statsA: Record<string, number | string | null>;
  };
  const run = (...args: string[]): string => execFileSync('ip', ['netns', 'exec', VNS, ...args], { encoding: 'utf8', timeout: 20_000 });
  const del = (): void => {
    try {
      execFileSync('ip', ['netns', 'del', VNS], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // not there
    }
  };

  beforeAll(() => {
    del();
    execFileSync('ip', ['netns', 'add', VNS], { timeout: 10_000 });
    run('ip', 'link', 'add', VA, 'type', 'veth', 'peer', 'name', VB);
    for (const dev of [VA, VB]) {
      run('sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`);
      run('ip', 'link', 'set', dev, 'up');
    }
    result = JSON.parse(run(process.execPath, '--input-type=module', '-e', VNET_PROBE, VA, VB));
  }, 60_000);

  afterAll(del);

  it('says so, with a send buffer for 64 KB frames in flight', () => {
    expect(result.vnetHeader).toBe(true);
    expect(result.plain).toBe(true);
    // 4 MiB asked (SO_SNDBUFFORCE, as root); the kernel reports twice that
    expect(result.sendBuffer).toBeGreaterThanOrEqual(4 << 20);
  });

  it('a plain frame comes after a header saying "no offload" and goes back, header and all, bytes intact', () => {
    const { seenA, seenB, returned } = result.bounced;
    expect(seenA).toHaveLength(40);
    expect(returned).toBe(40);
    expect(seenB).toHaveLength(40);
    for (const x of [...seenA, ...seenB]) {
      expect(x.ok).toBe(true);
      expect(x.header[1]).toBe(0); // no segmentation offload
      expect(x.header[0]! & 1).toBe(0); // no checksum left to complete
    }
    expect(seenB.map((x) => x.i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('a super-frame sent with its header crosses whole and arrives with the same offload', () => {
    expect(result.superSent).toBe(1);
    expect(result.superSeen).toHaveLength(1);
    const [x] = result.superSeen;
    expect(x!.length).toBe(14 + 20 + 20 + 20_000);
    const h = Buffer.from(x!.header);
    expect(h[1]).toBe(1); // GSO TCPV4
    expect(h.readUInt16LE(4)).toBe(1448);
    expect(h[0]! & 1).toBe(1);
    expect(h.readUInt16LE(6)).toBe(34);
    expect(result.statsA.sendErrors).toBe(0);
  });
});
