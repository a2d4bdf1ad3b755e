// Writes classic pcap (`sgfw replay --write-allowed FILE`), little-endian, buffered: records are
// copied into one preallocated buffer and written with fs.writeSync when it fills.
//
// Classic pcap has one link type per file. The writer takes it at creation (the input's link
// type); a record of another link type — possible only when a pcapng input has interfaces of
// different link types — is not written, and is counted in `skippedLinkType`, so the caller can
// say so. (Wireshark's editcap does the same choice the other way round: it refuses such input.)
import { closeSync, openSync, writeSync } from 'node:fs';
import { CaptureError } from './capture-error.js';
import { MAX_CAPLEN, PCAP_FILE_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH, PcapMagic } from './capture-formats.js';
import type { CaptureRecord } from './capture-reader.js';

export interface PcapWriterOptions {
  /** write nanosecond timestamps (magic a1b23c4d); default microseconds, which every reader knows */
  nanosecond?: boolean;
  /** default MAX_CAPLEN (262144) */
  snapLength?: number;
  /** default 1 MiB */
  bufferSize?: number;
}

export class PcapWriter {
  readonly nanosecond: boolean;
  readonly snapLength: number;
  /** records written */
  written = 0;
  /** records not written because their link type differs from the file's */
  skippedLinkType = 0;

  private fd: number;
  private readonly buffer: Buffer;
  private used = 0;

  constructor(
    readonly file: string,
    readonly linkType: number,
    options: PcapWriterOptions = {},
  ) {
    this.nanosecond = options.nanosecond ?? false;
    this.snapLength = Math.min(options.snapLength ?? MAX_CAPLEN, MAX_CAPLEN);
    this.buffer = Buffer.alloc(Math.max(options.bufferSize ?? 1 << 20, MAX_CAPLEN + PCAP_RECORD_HEADER_LENGTH));
    try {
      this.fd = openSync(file, 'w');
    } catch (e) {
      throw new CaptureError(file, `cannot create (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const h = this.buffer;
    h.writeUInt32LE(this.nanosecond ? PcapMagic.NANOS : PcapMagic.MICROS, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8); // thiszone
    h.writeUInt32LE(0, 12); // sigfigs
    h.writeUInt32LE(this.snapLength, 16);
    h.writeUInt32LE(linkType, 20);
    this.used = PCAP_FILE_HEADER_LENGTH;
  }

  /** Appends one record (a CaptureReader positioned on a record will do). False when skipped. */
  write(record: CaptureRecord): boolean {
    if (this.fd < 0) throw new CaptureError(this.file, 'write after close');
    if (record.linkType !== this.linkType) {
      this.skippedLinkType++;
      return false;
    }
    const caplen = Math.min(record.caplen, this.snapLength);
    if (this.used + PCAP_RECORD_HEADER_LENGTH + caplen > this.buffer.length) this.flush();
    const b = this.buffer;
    const o = this.used;
    b.writeUInt32LE(record.tsSec >>> 0, o);
    b.writeUInt32LE(this.nanosecond ? record.tsNanos : Math.floor(record.tsNanos / 1000), o + 4);
    b.writeUInt32LE(caplen, o + 8);
    b.writeUInt32LE(Math.max(record.origLen, caplen) >>> 0, o + 12);
    const from = record.data;
    if (Buffer.isBuffer(from)) from.copy(b, o + PCAP_RECORD_HEADER_LENGTH, record.offset, record.offset + caplen);
    else b.set(from.subarray(record.offset, record.offset + caplen), o + PCAP_RECORD_HEADER_LENGTH);
    this.used = o + PCAP_RECORD_HEADER_LENGTH + caplen;
    this.written++;
    return true;
  }

  flush(): void {
    let done = 0;
    while (done < this.used) done += writeSync(this.fd, this.buffer, done, this.used - done);
    this.used = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}
