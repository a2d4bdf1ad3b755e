// The write-ahead journal's on-disk form: one accepted call per line,
//   <sha256 of the JSON, first 16 hex digits> <byte length of the JSON> <JSON>\n
// The hash and the length let recovery tell a torn append (the process died inside write(), so the
// last line is short or ends in garbage) from damage to lines that were acknowledged. A torn write
// can only hit the last line, because each entry is one write() fsynced before the next begins; so
// a bad last line is dropped (it was never acknowledged) and a bad line anywhere before a good one
// is corruption, which refuses to load.
import { createHash } from 'node:crypto';

export interface JournalEntry {
  /** 1, 2, 3 …, continuing across snapshots: the entry's place in the history of the state */
  readonly seq: number;
  readonly action: string;
  readonly params: unknown;
  /** id suffixes the call drew from the service's idGenerator, in order, so replay gives the same ids */
  readonly ids: readonly string[];
}

export function lineHash(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

export function encodeEntry(entry: JournalEntry): Buffer {
  const json = JSON.stringify({ seq: entry.seq, action: entry.action, params: entry.params ?? {}, ids: entry.ids });
  return Buffer.from(`${lineHash(json)} ${Buffer.byteLength(json)} ${json}\n`, 'utf8');
}

export interface ScannedJournal {
  readonly entries: JournalEntry[];
  /** bytes of well-formed entries; what is after them is the torn tail */
  readonly validBytes: number;
  /** bytes after validBytes, dropped as an unacknowledged, torn append */
  readonly tornBytes: number;
}

/** A line that cannot be read; `line` is 1-based, `offset` the byte where the line starts. */
export class JournalDamage extends Error {
  constructor(
    readonly line: number,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`line ${line} (byte ${offset}): ${problem}`);
  }
}

const HEADER = /^([0-9a-f]{16}) ([0-9]{1,10}) /;

function decodeLine(line: Buffer): JournalEntry | string {
  const head = HEADER.exec(line.subarray(0, 40).toString('latin1'));
  if (head === null) return 'no checksum and length header';
  const body = line.subarray(head[0].length);
  if (body.length !== Number(head[2])) return `length ${body.length} where the header says ${head[2]}`;
  const json = body.toString('utf8');
  if (lineHash(json) !== head[1]) return 'checksum mismatch';
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return 'checksum matches but the entry is not JSON';
  }
  const e = v as Partial<JournalEntry>;
  if (
    typeof e !== 'object' || e === null || !Number.isSafeInteger(e.seq) || typeof e.action !== 'string' ||
    !Array.isArray(e.ids) || e.ids.some((id) => typeof id !== 'string')
  ) {
    return 'the entry lacks seq, action or ids';
  }
  return { seq: e.seq as number, action: e.action, params: e.params, ids: e.ids };
}

/**
 * Reads a whole journal. Entries must carry consecutive seq numbers. Throws JournalDamage for a bad
 * line that is followed by another line; a bad or unterminated last line is reported as torn.
 */
export function scanJournal(data: Buffer): ScannedJournal {
  const entries: JournalEntry[] = [];
  let offset = 0;
  let lineNo = 0;
  while (offset < data.length) {
    lineNo++;
    const nl = data.indexOf(0x0a, offset);
    const end = nl < 0 ? data.length : nl;
    const decoded = decodeLine(data.subarray(offset, end));
    const isLast = nl < 0 || nl + 1 >= data.length;
    if (typeof decoded === 'string' || nl < 0) {
      if (isLast) return { entries, validBytes: offset, tornBytes: data.length - offset };
      throw new JournalDamage(lineNo, offset, `${typeof decoded === 'string' ? decoded : 'unterminated'}, and entries follow it`);
    }
    const prev = entries[entries.length - 1];
    if (prev !== undefined && decoded.seq !== prev.seq + 1) {
      throw new JournalDamage(lineNo, offset, `entry ${decoded.seq} follows entry ${prev.seq}; entries are missing`);
    }
    entries.push(decoded);
    offset = end + 1;
  }
  return { entries, validBytes: offset, tornBytes: 0 };
}
