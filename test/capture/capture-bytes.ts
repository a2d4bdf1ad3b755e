// Writes tiny capture files byte by byte for the reader tests, independent of the code under test.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const dir = mkdtempSync(join(tmpdir(), 'sgfw-capture-'));

export function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

export interface Rec {
  sec: number;
  frac: number;
  data: Uint8Array;
  origLen?: number;
}

export function classicPcap(opts: { littleEndian: boolean; nanos: boolean; linkType: number; snap?: number }, records: Rec[]): Buffer {
  const le = opts.littleEndian;
  const u16 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const h = Buffer.alloc(24);
  u32(h, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(h, 2, 4);
  u16(h, 4, 6);
  u32(h, opts.snap ?? 65535, 16);
  u32(h, opts.linkType, 20);
  const parts = [h];
  for (const r of records) {
    const rh = Buffer.alloc(16);
    u32(rh, r.sec, 0);
    u32(rh, r.frac, 4);
    u32(rh, r.data.length, 8);
    u32(rh, r.origLen ?? r.data.length, 12);
    parts.push(rh, Buffer.from(r.data));
  }
  return Buffer.concat(parts);
}

/** pcapng blocks in one byte order */
export class Pcapng {
  private readonly parts: Buffer[] = [];
  constructor(private readonly le: boolean) {}

  private u16(b: Buffer, v: number, o: number): void {
    if (this.le) b.writeUInt16LE(v, o);
    else b.writeUInt16BE(v, o);
  }
  private u32(b: Buffer, v: number, o: number): void {
    if (this.le) b.writeUInt32LE(v, o);
    else b.writeUInt32BE(v, o);
  }

  block(type: number, body: Buffer): this {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const b = Buffer.alloc(12 + padded.length);
    this.u32(b, type, 0);
    this.u32(b, b.length, 4);
    padded.copy(b, 8);
    this.u32(b, b.length, b.length - 4);
    this.parts.push(b);
    return this;
  }

  section(): this {
    const body = Buffer.alloc(16);
    this.u32(body, 0x1a2b3c4d, 0);
    this.u16(body, 1, 4);
    this.u16(body, 0, 6);
    body.fill(0xff, 8, 16); // section length unknown
    return this.block(0x0a0d0d0a, body);
  }

  /** tsresol: the raw if_tsresol byte, omitted for the default (microseconds) */
  iface(linkType: number, tsresol?: number, snap = 0): this {
    const opts: Buffer[] = [];
    // a comment option first, so the reader must walk options to find if_tsresol
    const comment = Buffer.alloc(4 + 8);
    this.u16(comment, 1, 0);
    this.u16(comment, 5, 2);
    comment.write('hello', 4);
    opts.push(comment);
    if (tsresol !== undefined) {
      const o = Buffer.alloc(8);
      this.u16(o, 9, 0);
      this.u16(o, 1, 2);
      o[4] = tsresol;
      opts.push(o);
    }
    opts.push(Buffer.alloc(4)); // opt_endofopt
    const body = Buffer.alloc(8);
    this.u16(body, linkType, 0);
    this.u32(body, snap, 4);
    return this.block(1, Buffer.concat([body, ...opts]));
  }

  epb(iface: number, high: number, low: number, data: Uint8Array, origLen = data.length): this {
    const body = Buffer.alloc(20);
    this.u32(body, iface, 0);
    this.u32(body, high, 4);
    this.u32(body, low, 8);
    this.u32(body, data.length, 12);
    this.u32(body, origLen, 16);
    return this.block(6, Buffer.concat([body, Buffer.from(data)]));
  }

  spb(data: Uint8Array): this {
    const body = Buffer.alloc(4);
    this.u32(body, data.length, 0);
    return this.block(3, Buffer.concat([body, Buffer.from(data)]));
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}
