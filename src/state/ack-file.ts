// DIR/acked: how far the journal was acknowledged, so that losing acknowledged entries is seen. A
// journal cut on a line boundary, or missing its last acknowledged line, reads as a shorter valid
// journal; only a record kept outside it can say entries are missing. The store rewrites this
// record after each entry's fsync and before it answers the caller, so `acked` never names an entry
// that is not durable in the journal, and every answered call is at or below it.
// The record is one fixed-size block, rewritten in place with one pwrite() and fdatasync(): a
// kill -9 cannot split a single write(); a power cut during it may leave it torn (a 128-byte
// write within one sector is atomic on common disks), in which case start-up refuses and
// `sgfw state recover` restores the directory (nothing but this record is lost then).
// Its bytes must be exactly what the store writes, so any changed byte, the padding included, is seen.
import { open, type FileHandle } from 'node:fs/promises';
import { hash16 } from './journal-file.js';

export const ACK_FILE = 'acked';
export const ACK_FORMAT = 'sgfw-acked/1';
const SIZE = 128;

export interface AckRecord {
  readonly dir: string;
  /** the last acknowledged journal entry */
  readonly seq: number;
  /** the chain value at `seq` */
  readonly chain: string;
}

export function encodeAck(r: AckRecord): Buffer {
  const json = JSON.stringify({ format: ACK_FORMAT, dir: r.dir, seq: r.seq, chain: r.chain });
  const text = `${hash16(json)} ${json}`;
  if (text.length > SIZE - 1) throw new Error('acked record too long');
  return Buffer.from(`${text.padEnd(SIZE - 1, ' ')}\n`, 'latin1');
}

/** The record in `data`, or a description of why it is not one. */
export function decodeAck(data: Buffer): AckRecord | string {
  if (data.length !== SIZE) return `${data.length} bytes where the record has ${SIZE}`;
  const text = data.toString('latin1');
  const json = text.slice(17).trimEnd();
  let v: Partial<AckRecord> & { format?: unknown };
  try {
    v = JSON.parse(json) as typeof v;
  } catch {
    return 'not an acked record (its JSON does not parse)';
  }
  if (v?.format !== ACK_FORMAT || typeof v.dir !== 'string' || !Number.isSafeInteger(v.seq) || typeof v.chain !== 'string') {
    return `not a ${ACK_FORMAT} record`;
  }
  const record: AckRecord = { dir: v.dir, seq: v.seq as number, chain: v.chain };
  if (!encodeAck(record).equals(data)) return 'checksum mismatch: the record was changed or damaged after it was written';
  return record;
}

/** The open record, rewritten in place. */
export class AckFile {
  private constructor(private readonly handle: FileHandle) {}

  /** Opens an existing record for rewriting (createAckFile makes one). */
  static async open(file: string): Promise<AckFile> {
    return new AckFile(await open(file, 'r+'));
  }

  async write(r: AckRecord): Promise<void> {
    const bytes = encodeAck(r);
    await this.handle.write(bytes, 0, bytes.length, 0);
    await this.handle.datasync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
