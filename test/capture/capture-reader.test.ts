import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/capture-error.js';
import { CaptureReader } from '../../src/capture/capture-reader.js';
import { decodeFrame } from '../../src/packet/decode.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { DecodeStatus, PacketView } from '../../src/packet/packet-view.js';
import { classicPcap, file, Pcapng } from './capture-bytes.js';

const frameA = buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 1000, dport: 22, flags: 'S' });
const frameB = buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'udp', sport: 5, dport: 53, link: 'raw' });

interface Seen {
  linkType: number;
  tsSec: number;
  tsNanos: number;
  caplen: number;
  origLen: number;
  bytes: Buffer;
  interfaceId: number;
}

function readAll(path: string): Seen[] {
  const r = new CaptureReader(path);
  const out: Seen[] = [];
  while (r.next()) {
    out.push({
      linkType: r.linkType,
      tsSec: r.tsSec,
      tsNanos: r.tsNanos,
      caplen: r.caplen,
      origLen: r.origLen,
      bytes: Buffer.from(r.data.subarray(r.offset, r.offset + r.caplen)),
      interfaceId: r.interfaceId,
    });
  }
  r.close();
  return out;
}

function errorOf(path: string): string {
  try {
    const r = new CaptureReader(path);
    while (r.next());
    r.close();
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureError);
    return (e as Error).message;
  }
  return 'no error';
}

describe('classic pcap in both byte orders and both precisions', () => {
  for (const littleEndian of [true, false]) {
    for (const nanos of [false, true]) {
      it(`${littleEndian ? 'little' : 'big'}-endian, ${nanos ? 'nano' : 'micro'}seconds`, () => {
        const path = file(`c-${littleEndian}-${nanos}.pcap`, classicPcap({ littleEndian, nanos, linkType: 1 }, [
          { sec: 1700000000, frac: nanos ? 123456789 : 123456, data: frameA },
          { sec: 1700000001, frac: nanos ? 999999999 : 999999, data: frameA.subarray(0, 40), origLen: frameA.length },
        ]));
        const seen = readAll(path);
        expect(seen).toHaveLength(2);
        expect(seen[0]).toMatchObject({ linkType: 1, tsSec: 1700000000, tsNanos: nanos ? 123456789 : 123456000, caplen: frameA.length });
        expect(seen[0].bytes.equals(frameA)).toBe(true);
        expect(seen[1]).toMatchObject({ tsSec: 1700000001, tsNanos: nanos ? 999999999 : 999999000, caplen: 40, origLen: frameA.length });
      });
    }
  }
  it('the timestamp in milliseconds is seconds and nanoseconds together', () => {
    const r = new CaptureReader(file('ms.pcap', classicPcap({ littleEndian: true, nanos: true, linkType: 1 }, [{ sec: 10, frac: 250_000_000, data: frameA }])));
    expect(r.next()).toBe(true);
    expect(r.timestampMs).toBe(10250);
    expect(r.recordNumber).toBe(1);
    expect(r.next()).toBe(false);
    r.close();
  });
  it("Kuznetsov's patched format: 8 more bytes in each record header", () => {
    const h = classicPcap({ littleEndian: true, nanos: false, linkType: 1 }, []);
    h.writeUInt32LE(0xa1b2cd34, 0);
    const rec = Buffer.alloc(24);
    rec.writeUInt32LE(5, 0);
    rec.writeUInt32LE(frameA.length, 8);
    rec.writeUInt32LE(frameA.length, 12);
    const seen = readAll(file('kuznetsov.pcap', Buffer.concat([h, rec, frameA, rec, frameA])));
    expect(seen).toHaveLength(2);
    expect(seen[1].bytes.equals(frameA)).toBe(true);
  });
  it('an unknown pcap major version is refused', () => {
    const h = classicPcap({ littleEndian: false, nanos: false, linkType: 1 }, []);
    h.writeUInt16BE(3, 4);
    const path = file('v3.pcap', h);
    expect(errorOf(path)).toBe(`${path}: unsupported pcap version 3.4`);
  });
  it('an empty capture (header only) has no records', () => {
    expect(readAll(file('empty.pcap', classicPcap({ littleEndian: true, nanos: false, linkType: 1 }, [])))).toEqual([]);
  });
});

describe('pcapng', () => {
  for (const le of [true, false]) {
    it(`a ${le ? 'little' : 'big'}-endian section with two interfaces of different link types`, () => {
      const ng = new Pcapng(le).section().iface(1).iface(101, 9);
      ng.block(5, Buffer.alloc(20)); // interface statistics: skipped
      ng.epb(0, 395812, 1_000_000, frameA);
      ng.epb(1, 0, 1_500_000_123, frameB);
      const seen = readAll(file(`ng-${le}.pcapng`, ng.bytes()));
      expect(seen).toHaveLength(2);
      expect(seen[0].linkType).toBe(1);
      expect(seen[0].bytes.equals(frameA)).toBe(true);
      expect(seen[1]).toMatchObject({ linkType: 101, interfaceId: 1, tsSec: 1, tsNanos: 500_000_123 });
      expect(seen[1].bytes.equals(frameB)).toBe(true);
      const v = new PacketView();
      expect(decodeFrame(seen[1].linkType, seen[1].bytes, 0, seen[1].caplen, v)).toBe(DecodeStatus.OK);
      expect(v.dstPort).toBe(53);
    });
  }
  it('microsecond timestamps by default, 64 bits wide', () => {
    const us = 1_700_000_000_123_456; // > 2^32
    const ng = new Pcapng(true).section().iface(1).epb(0, Math.floor(us / 2 ** 32), us % 2 ** 32, frameA);
    const [rec] = readAll(file('us.pcapng', ng.bytes()));
    expect([rec.tsSec, rec.tsNanos]).toEqual([1_700_000_000, 123_456_000]);
  });
  it('nanosecond timestamps beyond 2^53 stay exact', () => {
    const ns = 1_700_000_000_987_654_321n;
    const ng = new Pcapng(true).section().iface(1, 9).epb(0, Number(ns >> 32n), Number(ns & 0xffffffffn), frameA);
    const [rec] = readAll(file('ns.pcapng', ng.bytes()));
    expect([rec.tsSec, rec.tsNanos]).toEqual([1_700_000_000, 987_654_321]);
  });
  it('power-of-two resolution (if_tsresol with the top bit set)', () => {
    const ng = new Pcapng(false).section().iface(1, 0x80 | 10).epb(0, 0, 3 * 1024 + 512, frameA);
    const [rec] = readAll(file('pow2.pcapng', ng.bytes()));
    expect([rec.tsSec, rec.tsNanos]).toEqual([3, 500_000_000]);
  });
  it('simple packet blocks take the first interface and its snapshot length', () => {
    const ng = new Pcapng(true).section().iface(1, undefined, 20).spb(frameA);
    const [rec] = readAll(file('spb.pcapng', ng.bytes()));
    expect([rec.linkType, rec.caplen, rec.origLen, rec.tsSec]).toEqual([1, 20, frameA.length, 0]);
  });
  it('a new section starts its own interface numbering and byte order', () => {
    const a = new Pcapng(true).section().iface(1).epb(0, 0, 1, frameA).bytes();
    const b = new Pcapng(false).section().iface(101).epb(0, 0, 2, frameB).bytes();
    const seen = readAll(file('sections.pcapng', Buffer.concat([a, b])));
    expect(seen.map((s) => s.linkType)).toEqual([1, 101]);
  });
});

describe('records spanning the ends of read chunks', () => {
  it('a capture several times the buffer size reads whole, record for record', () => {
    const records = [];
    for (let i = 0; i < 3000; i++) {
      const f = buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: i, dport: 9, payload: Buffer.alloc(i % 1400, i & 0xff) });
      records.push({ sec: i, frac: 0, data: f });
    }
    const path = file('big.pcap', classicPcap({ littleEndian: true, nanos: false, linkType: 1 }, records));
    const r = new CaptureReader(path, { bufferSize: 1 });
    const v = new PacketView();
    let n = 0;
    while (r.next()) {
      expect(r.caplen).toBe(records[n].data.length);
      expect(decodeFrame(r.linkType, r.data, r.offset, r.caplen, v)).toBe(DecodeStatus.OK);
      expect(v.srcPort).toBe(n);
      expect(r.data[r.offset + r.caplen - 1]).toBe(n % 1400 === 0 ? records[n].data.at(-1) : n & 0xff);
      n++;
    }
    expect(n).toBe(3000);
    r.close();
  });
});

describe('bad capture files fail with one line naming the file and the reason', () => {
  const good = classicPcap({ littleEndian: true, nanos: false, linkType: 1 }, [{ sec: 1, frac: 0, data: frameA }]);
  it('not a capture at all', () => {
    const path = file('text.pcap', Buffer.from('hello world, this is not a capture'));
    expect(errorOf(path)).toBe(`${path}: not a pcap or pcapng file (magic 0x68656c6c)`);
  });
  it('an empty file', () => {
    expect(errorOf(file('zero.pcap', Buffer.alloc(0)))).toMatch(/zero\.pcap: empty file/);
  });
  it('a missing file', () => {
    expect(errorOf('/nonexistent/capture.pcap')).toBe('/nonexistent/capture.pcap: cannot open (ENOENT)');
  });
  it('a record cut short at the end of the file', () => {
    const path = file('cut.pcap', good.subarray(0, good.length - 5));
    expect(errorOf(path)).toBe(`${path}: truncated record at byte 24`);
  });
  it('a record header cut short', () => {
    const path = file('cut-header.pcap', good.subarray(0, 30));
    expect(errorOf(path)).toBe(`${path}: truncated record at byte 24`);
  });
  it('an absurd record length is refused without reading or allocating it', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0xffffffff, 24 + 8);
    const path = file('huge.pcap', bad);
    expect(errorOf(path)).toBe(`${path}: record length 4294967295 exceeds the sane maximum 262144 at byte 24`);
  });
  it('a pcapng block length that is not a multiple of 4', () => {
    const ng = new Pcapng(true).section().iface(1).epb(0, 0, 0, frameA).bytes();
    const shbLength = ng.readUInt32LE(4);
    ng.writeUInt32LE(0xffffffff, shbLength + 4);
    const path = file('badblock.pcapng', ng);
    expect(errorOf(path)).toBe(`${path}: bad block length 4294967295 at byte ${shbLength}`);
  });
  it('a pcapng packet of an interface never described', () => {
    const path = file('noiface.pcapng', new Pcapng(true).section().iface(1).epb(3, 0, 0, frameA).bytes());
    expect(errorOf(path)).toMatch(/noiface\.pcapng: packet of undeclared interface 3 at byte \d+/);
  });
  it('a pcapng file cut in the middle of a block', () => {
    const ng = new Pcapng(true).section().iface(1).epb(0, 0, 0, frameA).bytes();
    const path = file('cutng.pcapng', ng.subarray(0, ng.length - 3));
    expect(errorOf(path)).toMatch(/cutng\.pcapng: truncated block at byte \d+/);
  });
  it('the records before the damage are still read', () => {
    const two = classicPcap({ littleEndian: true, nanos: false, linkType: 1 }, [
      { sec: 1, frac: 0, data: frameA },
      { sec: 2, frac: 0, data: frameA },
    ]);
    const r = new CaptureReader(file('partial.pcap', two.subarray(0, two.length - 1)));
    expect(r.next()).toBe(true);
    expect(() => r.next()).toThrow(CaptureError);
    expect(r.next()).toBe(false);
    r.close();
  });
});
