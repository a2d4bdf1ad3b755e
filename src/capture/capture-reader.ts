// Reads classic pcap (both byte orders, micro- and nanosecond) and pcapng (sections of either byte
// order, several interfaces with their own link types and timestamp resolutions) record by record.
// No allocation per record: `next()` refills this object's fields and points `data`/`offset` into
// the reader's one buffer; the bytes stay valid until the following `next()`.
//
// Timestamps: `tsSec` (integer seconds since the epoch) and `tsNanos` (0…999,999,999), exact for
// every resolution a file can declare up to nanoseconds; `timestampMs` is their sum in milliseconds
// as a double (the dataplane's clock).
import { closeSync, fstatSync, openSync } from 'node:fs';
import {
  MAX_CAPLEN,
  PCAP_FILE_HEADER_LENGTH,
  PCAP_KUZNETSOV_RECORD_HEADER_LENGTH,
  PCAP_LINK_TYPE_MASK,
  PCAP_RECORD_HEADER_LENGTH,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_IF_TSRESOL,
  PCAPNG_MIN_BLOCK_LENGTH,
  PCAPNG_OPTION_END,
  PcapMagic,
  PcapngBlock,
} from './capture-formats.js';
import { CaptureError } from './capture-error.js';
import { FileWindow } from './file-window.js';

export interface CaptureReaderOptions {
  /** bytes read from the file at a time (default 1 MiB; at least MAX_CAPLEN + 64 KiB) */
  bufferSize?: number;
}

/** the fields a record carries; CaptureReader itself is one, and PcapWriter accepts any */
export interface CaptureRecord {
  readonly linkType: number;
  readonly tsSec: number;
  readonly tsNanos: number;
  readonly caplen: number;
  readonly origLen: number;
  readonly data: Uint8Array;
  readonly offset: number;
}

const MIN_BUFFER = MAX_CAPLEN + 65536;

export class CaptureReader implements CaptureRecord {
  readonly format: 'pcap' | 'pcapng';
  /** link type of the current record (pcap: the file's; pcapng: its interface's) */
  linkType = 0;
  tsSec = 0;
  tsNanos = 0;
  caplen = 0;
  origLen = 0;
  /** the shared buffer; the record is data[offset, offset + caplen) */
  data: Buffer;
  offset = 0;
  /** pcapng interface of the current record (0 for classic pcap) */
  interfaceId = 0;
  /** records returned so far: the current record's number, counting from 1 as Wireshark does */
  recordNumber = 0;
  /** classic pcap: the file's snapshot length; pcapng: 0 */
  snapLength = 0;
  /** classic pcap written with nanosecond timestamps (magic a1b23c4d) */
  nanosecondPrecision = false;

  private readonly window: FileWindow;
  private fd: number;
  private littleEndian = false;
  private recordHeaderLength = PCAP_RECORD_HEADER_LENGTH;
  private done = false;
  // pcapng interfaces of the current section (they are numbered per section)
  private readonly ifLinkTypes: number[] = [];
  private readonly ifSnapLengths: number[] = [];
  /** timestamp units per second of each interface */
  private readonly ifUnits: number[] = [];

  constructor(
    readonly file: string,
    options: CaptureReaderOptions = {},
  ) {
    try {
      this.fd = openSync(file, 'r');
    } catch (e) {
      throw new CaptureError(file, `cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      const stat = fstatSync(this.fd);
      if (stat.isDirectory()) throw new CaptureError(file, 'is a directory, not a capture file');
      this.window = new FileWindow(this.fd, stat.size, Math.max(MIN_BUFFER, options.bufferSize ?? 1 << 20));
      this.data = this.window.buffer;
      this.format = this.readFileHeader();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** link types of the pcapng interfaces declared so far in this section; classic pcap: the file's */
  get linkTypes(): readonly number[] {
    return this.format === 'pcap' ? [this.linkType] : this.ifLinkTypes;
  }

  get timestampMs(): number {
    return this.tsSec * 1000 + this.tsNanos / 1e6;
  }

  /** Advances to the next record: false at the end of the file; throws CaptureError on a bad file. */
  next(): boolean {
    if (this.done) return false;
    const more = this.format === 'pcap' ? this.nextPcap() : this.nextPcapng();
    if (more) this.recordNumber++;
    else this.done = true;
    return more;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.done = true;
  }

  private fail(reason: string): never {
    this.done = true;
    throw new CaptureError(this.file, reason);
  }

  private u16(at: number): number {
    const b = this.window.buffer;
    return this.littleEndian ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
  }

  private u32(at: number): number {
    const b = this.window.buffer;
    return this.littleEndian
      ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
      : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }

  private readFileHeader(): 'pcap' | 'pcapng' {
    const w = this.window;
    if (!w.ensure(4)) this.fail(w.available === 0 ? 'empty file, not a pcap or pcapng file' : 'not a pcap or pcapng file (shorter than 4 bytes)');
    const b = w.buffer;
    const magic = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    if (magic === PcapngBlock.SECTION_HEADER) return 'pcapng';
    switch (magic) {
      case PcapMagic.MICROS:
      case PcapMagic.NANOS:
      case PcapMagic.KUZNETSOV:
        this.littleEndian = false;
        break;
      case PcapMagic.MICROS_SWAPPED:
      case PcapMagic.NANOS_SWAPPED:
      case PcapMagic.KUZNETSOV_SWAPPED:
        this.littleEndian = true;
        break;
      default:
        this.fail(`not a pcap or pcapng file (magic 0x${magic.toString(16).padStart(8, '0')})`);
    }
    this.nanosecondPrecision = magic === PcapMagic.NANOS || magic === PcapMagic.NANOS_SWAPPED;
    if (magic === PcapMagic.KUZNETSOV || magic === PcapMagic.KUZNETSOV_SWAPPED) {
      this.recordHeaderLength = PCAP_KUZNETSOV_RECORD_HEADER_LENGTH;
    }
    if (!w.ensure(PCAP_FILE_HEADER_LENGTH)) this.fail('truncated pcap file header at byte 0');
    const major = this.u16(4);
    if (major !== 2) this.fail(`unsupported pcap version ${major}.${this.u16(6)}`);
    this.snapLength = this.u32(16);
    this.linkType = this.u32(20) & PCAP_LINK_TYPE_MASK;
    w.start = PCAP_FILE_HEADER_LENGTH;
    return 'pcap';
  }

  private nextPcap(): boolean {
    const w = this.window;
    const h = this.recordHeaderLength;
    if (!w.ensure(h)) {
      if (w.available === 0) return false;
      this.fail(`truncated record at byte ${w.position}`);
    }
    const s = w.start;
    const caplen = this.u32(s + 8);
    if (caplen > MAX_CAPLEN) this.fail(`record length ${caplen} exceeds the sane maximum ${MAX_CAPLEN} at byte ${w.position}`);
    if (!w.ensure(h + caplen)) this.fail(`truncated record at byte ${w.position}`);
    // ensure() may have moved the window
    const at = w.start;
    this.tsSec = this.u32(at);
    const fraction = this.u32(at + 4);
    this.tsNanos = this.nanosecondPrecision ? fraction : fraction * 1000;
    this.caplen = caplen;
    this.origLen = this.u32(at + 12);
    this.offset = at + h;
    w.start = at + h + caplen;
    return true;
  }

  private nextPcapng(): boolean {
    const w = this.window;
    for (;;) {
      if (!w.ensure(8)) {
        if (w.available === 0) return false;
        this.fail(`truncated block at byte ${w.position}`);
      }
      const position = w.position;
      let type = this.u32(w.start);
      if (type === PcapngBlock.SECTION_HEADER) {
        if (!w.ensure(12)) this.fail(`truncated section header at byte ${position}`);
        const b = w.buffer;
        const s = w.start;
        const order = ((b[s + 8] << 24) | (b[s + 9] << 16) | (b[s + 10] << 8) | b[s + 11]) >>> 0;
        if (order === PCAPNG_BYTE_ORDER_MAGIC) this.littleEndian = false;
        else if (order === 0x4d3c2b1a) this.littleEndian = true;
        else this.fail(`bad pcapng byte-order magic 0x${order.toString(16).padStart(8, '0')} at byte ${position + 8}`);
        type = PcapngBlock.SECTION_HEADER;
      }
      const length = this.u32(w.start + 4);
      if (length < PCAPNG_MIN_BLOCK_LENGTH || length % 4 !== 0) this.fail(`bad block length ${length} at byte ${position}`);
      if (
        type !== PcapngBlock.SECTION_HEADER &&
        type !== PcapngBlock.INTERFACE_DESCRIPTION &&
        type !== PcapngBlock.ENHANCED_PACKET &&
        type !== PcapngBlock.SIMPLE_PACKET &&
        type !== PcapngBlock.PACKET
      ) {
        // Statistics, name resolution, decryption secrets, custom blocks: not needed to judge frames.
        if (!w.skip(length)) this.fail(`truncated block at byte ${position}`);
        continue;
      }
      if (length > w.buffer.length) this.fail(`block length ${length} exceeds the sane maximum ${w.buffer.length} at byte ${position}`);
      if (!w.ensure(length)) this.fail(`truncated block at byte ${position}`);
      const s = w.start;
      w.start += length;
      if (type === PcapngBlock.SECTION_HEADER) {
        const major = this.u16(s + 12);
        if (major !== 1) this.fail(`unsupported pcapng version ${major}.${this.u16(s + 14)} at byte ${position}`);
        this.ifLinkTypes.length = 0;
        this.ifSnapLengths.length = 0;
        this.ifUnits.length = 0;
        continue;
      }
      if (type === PcapngBlock.INTERFACE_DESCRIPTION) {
        if (length < 20) this.fail(`bad interface description length ${length} at byte ${position}`);
        this.ifLinkTypes.push(this.u16(s + 8));
        this.ifSnapLengths.push(this.u32(s + 12));
        this.ifUnits.push(this.tsUnits(s + 16, s + length - 4));
        continue;
      }
      if (this.ifLinkTypes.length === 0) this.fail(`packet block before any interface description at byte ${position}`);
      if (type === PcapngBlock.SIMPLE_PACKET) {
        if (length < 16) this.fail(`bad simple packet block length ${length} at byte ${position}`);
        const origLen = this.u32(s + 8);
        const snap = this.ifSnapLengths[0];
        let caplen = Math.min(origLen, length - 16);
        if (snap > 0 && snap < caplen) caplen = snap;
        this.setRecord(0, 0, 0, caplen, origLen, s + 12, position);
        return true;
      }
      // Enhanced Packet Block, and the obsolete Packet Block with a 16-bit interface id
      if (length < 32) this.fail(`bad packet block length ${length} at byte ${position}`);
      const iface = type === PcapngBlock.ENHANCED_PACKET ? this.u32(s + 8) : this.u16(s + 8);
      const caplen = this.u32(s + 20);
      if (caplen > MAX_CAPLEN) this.fail(`record length ${caplen} exceeds the sane maximum ${MAX_CAPLEN} at byte ${position}`);
      if (28 + caplen + 4 > length) this.fail(`record length ${caplen} runs past its block at byte ${position}`);
      if (iface >= this.ifLinkTypes.length) this.fail(`packet of undeclared interface ${iface} at byte ${position}`);
      this.setRecord(iface, this.u32(s + 12), this.u32(s + 16), caplen, this.u32(s + 24), s + 28, position);
      return true;
    }
  }

  private setRecord(iface: number, high: number, low: number, caplen: number, origLen: number, dataAt: number, position: number): void {
    if (caplen > MAX_CAPLEN) this.fail(`record length ${caplen} exceeds the sane maximum ${MAX_CAPLEN} at byte ${position}`);
    this.interfaceId = iface;
    this.linkType = this.ifLinkTypes[iface];
    this.caplen = caplen;
    this.origLen = origLen;
    this.offset = dataAt;
    this.setTimestamp(high, low, this.ifUnits[iface]);
  }

  /** if_tsresol: 10^-n when the top bit is clear, 2^-n when set; default 10^-6 (microseconds) */
  private tsUnits(from: number, to: number): number {
    let units = 1e6;
    let o = from;
    while (o + 4 <= to) {
      const code = this.u16(o);
      const len = this.u16(o + 2);
      if (code === PCAPNG_OPTION_END) break;
      if (code === PCAPNG_IF_TSRESOL && len >= 1 && o + 5 <= to) {
        const r = this.window.buffer[o + 4];
        const n = r & 0x7f;
        units = r & 0x80 ? 2 ** n : 10 ** n;
      }
      o += 4 + ((len + 3) & ~3);
    }
    return units;
  }

  // (high·2^32 + low) / units as whole seconds and nanoseconds, by long division over 16-bit limbs
  // so every intermediate value stays an exact double (remainder·2^16 < 2^53 while units < 2^37).
  private setTimestamp(high: number, low: number, units: number): void {
    if (units > 2 ** 36 || units < 1) {
      const t = (high * 4294967296 + low) / units;
      this.tsSec = Math.floor(t);
      this.tsNanos = Math.floor((t - this.tsSec) * 1e9);
      return;
    }
    let q = 0;
    let r = 0;
    for (let i = 0; i < 4; i++) {
      const limb = i === 0 ? high >>> 16 : i === 1 ? high & 0xffff : i === 2 ? low >>> 16 : low & 0xffff;
      const cur = r * 65536 + limb;
      const d = Math.floor(cur / units);
      q = q * 65536 + d;
      r = cur - d * units;
    }
    this.tsSec = q;
    this.tsNanos = units === 1e9 ? r : units === 1e6 ? r * 1000 : Math.floor((r * 1e9) / units);
  }
}
