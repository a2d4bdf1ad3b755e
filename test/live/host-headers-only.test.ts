// Host mode judges from the headers alone: the kernel copies each packet's first HEADER_COPY bytes
// (NFQUEUE copy range) and names its whole length, and every packet must get the verdict, reason
// and byte count it gets when copied whole. GSO super-packets (an IP length far past the copy)
// and packets whose checksums are not filled in yet (NFQA_SKB_INFO CSUMNOTREADY) are judged as any
// other. Headers that run past the copy are dropped as malformed (fail closed).
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HEADER_COPY, NfqVerdict } from '../../src/capture/nfqueue.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { Reason } from '../../src/dataplane/verdict.js';
import { type DeferredError, HostEnforcer } from '../../src/live/host-enforcer.js';
import { RelatedRelay } from '../../src/live/related-relay.js';
import { LinkType } from '../../src/packet/link-types.js';
import { buildFragments, buildIpPacket, type FrameSpec } from '../../src/packet/frame-builder.js';
import { albertStateFile, batchOfPackets } from './host-batches.js';

// Albert's host (10.0.0.10, SSH from 203.0.113.5 only, all egress) with an IPv6 address, SSH over
// IPv6 from 2001:db8::5 and all IPv6 egress.
const STATE = albertStateFile((s) => {
  (s.SecurityGroups[0] as unknown as { IpPermissionsEgress: Record<string, unknown>[] }).IpPermissionsEgress.push({ IpProtocol: '-1', IpRanges: [], Ipv6Ranges: [{ CidrIpv6: '::/0' }], PrefixListIds: [], UserIdGroupPairs: [] });
  s.NetworkInterfaces[0]!.Ipv6Addresses = [{ Ipv6Address: '2001:db8::10' }];
  s.SecurityGroups[0]!.IpPermissions.push({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [], Ipv6Ranges: [{ CidrIpv6: '2001:db8::5/128' }], PrefixListIds: [], UserIdGroupPairs: [] });
});

const bytes = (n: number): string => 'x'.repeat(n);
const SSH = { src: '203.0.113.5', dst: '10.0.0.10', proto: 'tcp', sport: 40000, dport: 22 } as const;
const BACK = { src: '10.0.0.10', dst: '203.0.113.5', proto: 'tcp', sport: 22, dport: 40000 } as const;
const DNS = { src: '10.0.0.10', dst: '198.51.100.7', proto: 'udp', sport: 5353, dport: 53 } as const;
const SSH6 = { src: '2001:db8::5', dst: '2001:db8::10', proto: 'tcp', sport: 40002, dport: 22 } as const;
const OUT6 = { src: '2001:db8::10', dst: '2001:db8::7', proto: 'udp', sport: 5000, dport: 443 } as const;

/** A TCP packet whose checksum is not filled in yet, as the kernel queues it before offload. */
function checksumNotReady(spec: FrameSpec): Uint8Array {
  const p = buildIpPacket(spec);
  const tcp = (p[0]! & 0x0f) * 4;
  p[tcp + 16] = 0;
  p[tcp + 17] = 0;
  return p;
}

/**
 * A router's "fragmentation needed" about the DNS flow, 576 bytes long as Linux sends them (the
 * builder quotes the IP header and 8 bytes; the rest of the quoted datagram follows as payload).
 */
function icmpErrorAboutDns(): Uint8Array {
  return buildIpPacket({ src: '192.0.2.1', dst: '10.0.0.10', proto: 'icmp', icmp: { type: 3, code: 4, quote: { ...DNS, payload: bytes(1200) } }, payload: bytes(576 - 56) });
}

/** Every kind of packet, in an order conntrack follows (handshakes first), and what each must get. */
function traffic(): { packets: Uint8Array[]; expected: number[] } {
  const rows: [Uint8Array, number][] = [
    [buildIpPacket({ ...SSH, flags: 'S' }), Reason.RULE],
    [buildIpPacket({ ...BACK, flags: 'SA' }), Reason.TRACKED],
    [buildIpPacket({ ...SSH, flags: 'A', payload: bytes(1400) }), Reason.TRACKED],
    // a TSO/GSO super-packet: one IP header for 60,000 bytes
    [buildIpPacket({ ...BACK, flags: 'PA', payload: bytes(59_960) }), Reason.TRACKED],
    [checksumNotReady({ ...BACK, flags: 'PA', payload: bytes(1448) }), Reason.TRACKED],
    [buildIpPacket({ ...SSH, src: '198.51.100.9', flags: 'S', payload: bytes(1000) }), Reason.INGRESS_NO_RULE],
    [buildIpPacket({ ...DNS, payload: bytes(1200) }), Reason.RULE],
    [buildIpPacket({ src: DNS.dst, dst: DNS.src, proto: 'udp', sport: 53, dport: 5353, payload: bytes(1300) }), Reason.TRACKED],
    // a router's "fragmentation needed" quoting as much of the datagram as fits in 576 bytes
    [icmpErrorAboutDns(), Reason.RELATED],
    // a fragmented datagram: its first fragment's ports are in the copy, the rest follow it
    ...buildFragments({ ...DNS, link: 'raw', sport: 5354, id: 77, payload: bytes(3000) }, 1400).map((f, i): [Uint8Array, number] => [f, i === 0 ? Reason.RULE : Reason.FRAGMENT]),
    [buildIpPacket({ ...SSH6, flags: 'S', ipv6Ext: ['hop', 'dest'], payload: bytes(1300) }), Reason.RULE],
    [buildIpPacket({ ...SSH6, src: '2001:db8::6', flags: 'S', payload: bytes(1300) }), Reason.INGRESS_NO_RULE],
    [buildIpPacket({ ...OUT6, payload: bytes(1400) }), Reason.RULE],
    // "packet too big" quoting as much as fits in 1280 bytes
    [buildIpPacket({ src: '2001:db8::1', dst: '2001:db8::10', proto: 'icmpv6', icmp: { type: 2, quote: buildIpPacket({ ...OUT6, payload: bytes(1400) }).subarray(0, 1232) } }), Reason.RELATED],
  ];
  return { packets: rows.map((r) => r[0]), expected: rows.map((r) => r[1]) };
}

async function judged(copy: number) {
  const dataplane = new Dataplane(await serviceFromStateFiles([STATE]));
  const enforcer = new HostEnforcer(dataplane, null, () => 1000);
  const { packets } = traffic();
  const batch = batchOfPackets(packets, copy);
  enforcer.judgeBatch(batch);
  return { verdicts: [...batch.verdicts], reasons: Array.from(dataplane.reasonCounts), bytes: Array.from(enforcer.byteCounts), dataplane, enforcer };
}

describe('host mode judges each packet from the headers the kernel copied', () => {
  it('gives every packet the verdict, reason and byte count it gets when copied whole', async () => {
    const { expected, packets } = traffic();
    expect(Math.max(...packets.map((p) => p.length))).toBeGreaterThan(HEADER_COPY);
    const whole = await judged(Infinity);
    // what each packet must get, so the comparison below compares right answers
    expect(whole.verdicts).toEqual(expected.map((r) => (r === Reason.INGRESS_NO_RULE ? NfqVerdict.DROP : NfqVerdict.ACCEPT)));
    const want = new Array<number>(whole.reasons.length).fill(0);
    for (const r of expected) want[r]!++;
    expect(whole.reasons).toEqual(want);
    // bytes of the GSO packet, counted whole
    expect(whole.bytes.reduce((a, b) => a + b, 0)).toBe(packets.reduce((n, p) => n + p.length, 0));
    for (const copy of [HEADER_COPY, 128]) {
      const headers = await judged(copy);
      expect({ copy, verdicts: headers.verdicts }).toEqual({ copy, verdicts: whole.verdicts });
      expect({ copy, reasons: headers.reasons }).toEqual({ copy, reasons: whole.reasons });
      expect({ copy, bytes: headers.bytes }).toEqual({ copy, bytes: whole.bytes });
    }
  });

  it('drops a packet whose headers run past the copy, as malformed (fail closed)', async () => {
    const { packets } = traffic();
    const ipv6WithExt = packets.findIndex((p) => p[0]! >> 4 === 6);
    // IPv6 (40) + hop-by-hop (8) + destination options (8) + TCP (20): 76 bytes of headers
    const dataplane = new Dataplane(await serviceFromStateFiles([STATE]));
    const enforcer = new HostEnforcer(dataplane, null, () => 1000);
    const batch = batchOfPackets([packets[ipv6WithExt]!], 64);
    enforcer.judgeBatch(batch);
    expect([...batch.verdicts]).toEqual([NfqVerdict.DROP]);
    expect(dataplane.reasonCounts[Reason.MALFORMED]).toBe(1);
    const again = batchOfPackets([packets[ipv6WithExt]!], 76);
    enforcer.judgeBatch(again);
    expect([...again.verdicts]).toEqual([NfqVerdict.ACCEPT]);
  });

  it('hands an ICMP error cut to its headers to the worker that tracks its flow, which finds it related', async () => {
    // two workers' enforcers with a relay between them, as host-worker.ts wires them
    const workers = await Promise.all([0, 1].map(async () => {
      const dataplane = new Dataplane(await serviceFromStateFiles([STATE]));
      return { dataplane, enforcer: new HostEnforcer(dataplane, null, () => 1000) };
    }));
    const { port1, port2 } = new MessageChannel();
    const answers: [number, boolean][] = [];
    const relays = workers.map(({ dataplane, enforcer }, i) => {
      const relay = new RelatedRelay<DeferredError>(
        [i === 0 ? port1 : port2],
        (frame, wireLength) => dataplane.tracksQuotedFlow(LinkType.RAW, frame, 0, frame.length, 1000, wireLength),
        enforcer.settle,
      );
      enforcer.askOthers(relay, (id, accept) => answers.push([id, accept]));
      return relay;
    });
    const [a, b] = workers;
    b!.enforcer.judgeBatch(batchOfPackets([buildIpPacket({ ...DNS, payload: bytes(1200) })], HEADER_COPY)); // the flow is b's
    const error = icmpErrorAboutDns();
    expect(error.length).toBeGreaterThan(HEADER_COPY);
    const batch = batchOfPackets([error], HEADER_COPY);
    a!.enforcer.judgeBatch(batch);
    expect([...batch.verdicts]).toEqual([NfqVerdict.DEFER]);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (answers.length === 0) return;
        clearInterval(check);
        resolve();
      }, 2);
    });
    expect(answers).toEqual([[100, true]]);
    expect(a!.dataplane.reasonCounts[Reason.RELATED]).toBe(1);
    // counted with its whole length
    expect(a!.enforcer.byteCounts.reduce((x, y) => x + y, 0)).toBe(error.length);
    for (const r of relays) r.close();
  });
});
