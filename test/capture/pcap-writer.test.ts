import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/capture-reader.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { dir, file, Pcapng } from './capture-bytes.js';

const frames = [1, 2, 3].map((i) => buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: i, dport: 53, payload: 'x'.repeat(i * 10) }));

describe('allowed frames are written to a classic pcap that reads back the same', () => {
  for (const nanosecond of [false, true]) {
    it(`${nanosecond ? 'nano' : 'micro'}second timestamps`, () => {
      const path = join(dir, `out-${nanosecond}.pcap`);
      const w = new PcapWriter(path, 1, { nanosecond, bufferSize: 1 });
      frames.forEach((f, i) => w.write({ linkType: 1, tsSec: 100 + i, tsNanos: 123_456_789, caplen: f.length, origLen: f.length, data: f, offset: 0 }));
      w.close();
      expect(w.written).toBe(3);
      const r = new CaptureReader(path);
      let i = 0;
      while (r.next()) {
        expect(r.linkType).toBe(1);
        expect(r.tsSec).toBe(100 + i);
        expect(r.tsNanos).toBe(nanosecond ? 123_456_789 : 123_456_000);
        expect(Buffer.from(r.data.subarray(r.offset, r.offset + r.caplen)).equals(frames[i])).toBe(true);
        i++;
      }
      expect(i).toBe(3);
      r.close();
    });
  }
  it('a reader positioned on a record can be written directly; other link types are skipped and counted', () => {
    const raw = buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 9, dport: 9, link: 'raw' });
    const input = file('mixed.pcapng', new Pcapng(true).section().iface(1).iface(101).epb(0, 0, 5, frames[0]).epb(1, 0, 6, raw).epb(0, 0, 7, frames[1]).bytes());
    const r = new CaptureReader(input);
    const path = join(dir, 'mixed-out.pcap');
    const w = new PcapWriter(path, 1);
    while (r.next()) w.write(r);
    w.close();
    r.close();
    expect([w.written, w.skippedLinkType]).toEqual([2, 1]);
    const back = new CaptureReader(path);
    const lens: number[] = [];
    while (back.next()) lens.push(back.caplen);
    back.close();
    expect(lens).toEqual([frames[0].length, frames[1].length]);
  });
});
