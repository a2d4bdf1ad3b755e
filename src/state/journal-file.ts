// The write-ahead journal's on-disk form (format 2): a header line, then one accepted call per line,
//   <hash> <byte length of the JSON> <JSON>\n
// The header's JSON is {"format":"sgfw-journal/2","dir":D,"base":S,"chain":C}: the state
// directory's id, the snapshot entry it continues from, and the chain value at that entry. An
// entry's hash is the first 16 hex digits of sha256(previous line's hash + JSON), the header's
// chain value standing for the line before the first entry; so each hash is also the chain value
// at its entry, and snapshot.json and the `acked` file name a point of the history by (seq, hash).
// A line whose hash, length or chain does not check out, or that lacks its newline, is bad. A torn
// write can only hit the last line (each entry is one write() fsynced before the next begins), so
// a bad last line is reported as a torn tail and the caller (state-proof.ts) decides, from the
// acknowledged count, whether it may be dropped; a bad line before another line is damage.
// Format 1 (before the header existed) had hash = sha256(JSON) and no header; it is still read so
// that existing directories load and are upgraded.
import { createHash } from 'node:crypto';

export const JOURNAL_FORMAT = 'sgfw-journal/2';

export interface JournalEntry {
  /** 1, 2, 3 …, continuing across snapshots: the entry's place in the history of the state */
  readonly seq: number;
  readonly action: string;
  readonly params: unknown;
  /** id suffixes the call drew from the service's idGenerator, in order, so replay gives the same ids */
  readonly ids: readonly string[];
}

/** An entry as read back: its chain value (the line's hash) and where the line is. */
export interface ReadEntry extends JournalEntry {
  readonly chain: string;
  /** 1-based line number */
  readonly line: number;
}

export interface JournalHeader {
  /** the state directory's id (snapshot.json and `acked` carry the same) */
  readonly dir: string;
  /** the last entry the snapshot this journal continues holds */
  readonly base: number;
  /** the chain value at `base` */
  readonly chain: string;
}

export function hash16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The chain value before entry 1 of directory `dir`. */
export function genesisChain(dir: string): string {
  return hash16(`sgfw-state ${dir}`);
}

const line = (hash: string, json: string): Buffer => Buffer.from(`${hash} ${Buffer.byteLength(json)} ${json}\n`, 'utf8');

export function encodeHeader(h: JournalHeader): Buffer {
  const json = JSON.stringify({ format: JOURNAL_FORMAT, dir: h.dir, base: h.base, chain: h.chain });
  return line(hash16(json), json);
}

/** The line of `entry` after chain value `prev`, and the chain value it makes. */
export function encodeEntry(entry: JournalEntry, prev: string): { readonly bytes: Buffer; readonly chain: string } {
  const json = JSON.stringify({ seq: entry.seq, action: entry.action, params: entry.params ?? {}, ids: entry.ids });
  const chain = hash16(prev + json);
  return { bytes: line(chain, json), chain };
}

/** A format-1 line (tests build old directories with it). */
export function encodeLegacyEntry(entry: JournalEntry): Buffer {
  const json = JSON.stringify({ seq: entry.seq, action: entry.action, params: entry.params ?? {}, ids: entry.ids });
  return line(hash16(json), json);
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

export interface ScannedJournal {
  readonly format: 1 | 2;
  /** format 2 only */
  readonly header: JournalHeader | undefined;
  /** the entries that check out, up to the first bad line */
  readonly entries: ReadEntry[];
  /** bytes of the header and the entries that check out */
  readonly validBytes: number;
  /** bytes after validBytes when they are one bad last line (a torn append, if nothing acknowledged is in it) */
  readonly tornBytes: number;
  /** a bad line with lines after it, or a header that does not check out */
  readonly damage: JournalDamage | undefined;
  /** entries readable after the damage (their JSON parses), for a recovery report of what is lost */
  readonly beyond: JournalEntry[];
}

const HEAD = /^([0-9a-f]{16}) ([0-9]{1,10}) /;

interface RawLine {
  readonly hash: string;
  readonly json: string;
}

function splitLine(bytes: Buffer): RawLine | string {
  const head = HEAD.exec(bytes.subarray(0, 40).toString('latin1'));
  if (head === null) return 'no checksum and length header';
  const body = bytes.subarray(head[0].length);
  if (body.length !== Number(head[2])) return `length ${body.length} where the header says ${head[2]}`;
  return { hash: head[1]!, json: body.toString('utf8') };
}

function entryOf(json: string): JournalEntry | string {
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

function headerOf(raw: RawLine): JournalHeader | string {
  if (hash16(raw.json) !== raw.hash) return 'the header\'s checksum does not match';
  let v: Partial<JournalHeader> & { format?: unknown };
  try {
    v = JSON.parse(raw.json) as typeof v;
  } catch {
    return 'the header is not JSON';
  }
  if (v?.format !== JOURNAL_FORMAT || typeof v.dir !== 'string' || !Number.isSafeInteger(v.base) || typeof v.chain !== 'string') {
    return `the header is not a ${JOURNAL_FORMAT} header`;
  }
  return { dir: v.dir, base: v.base as number, chain: v.chain };
}

/** Whether the journal's first line is a format-2 header (how a journal without a snapshot is read). */
export function looksLikeHeader(data: Buffer): boolean {
  const nl = data.indexOf(0x0a);
  return data.subarray(0, nl < 0 ? data.length : nl).includes(`"format":"${JOURNAL_FORMAT}"`);
}

/**
 * Reads a whole journal of `format`. Never throws: the first bad line with more after it is
 * `damage`, a bad last line is `tornBytes`. A format-2 journal without a good header is damage at line 1.
 */
export function scanJournal(data: Buffer, format: 1 | 2): ScannedJournal {
  const entries: ReadEntry[] = [];
  const beyond: JournalEntry[] = [];
  let header: JournalHeader | undefined;
  let damage: JournalDamage | undefined;
  let validBytes = 0;
  let tornBytes = 0;
  let prev: string | undefined;
  let offset = 0;
  let lineNo = 0;
  while (offset < data.length) {
    lineNo++;
    const nl = data.indexOf(0x0a, offset);
    const end = nl < 0 ? data.length : nl;
    const raw = splitLine(data.subarray(offset, end));
    const isLast = nl < 0 || nl + 1 >= data.length;
    if (damage !== undefined) {
      const e = typeof raw === 'string' ? raw : entryOf(raw.json);
      if (typeof e !== 'string') beyond.push(e);
    } else {
      let problem: string | undefined;
      if (format === 2 && lineNo === 1) {
        const h = typeof raw === 'string' ? raw : headerOf(raw);
        if (typeof h === 'string') problem = h;
        else if (nl < 0) problem = 'the header is unterminated';
        else {
          header = h;
          prev = h.chain;
        }
        if (problem !== undefined) {
          // The header is written whole before the file is renamed into place: never torn.
          damage = new JournalDamage(1, 0, `${problem}; the journal is damaged`);
          offset = end + 1;
          continue;
        }
      } else {
        const expected = typeof raw === 'string' ? undefined : format === 2 ? hash16(prev + raw.json) : hash16(raw.json);
        const e = typeof raw === 'string' ? raw : expected !== raw.hash ? 'checksum mismatch' : entryOf(raw.json);
        const want = entries[entries.length - 1]?.seq ?? header?.base;
        if (typeof e === 'string') problem = e;
        else if (nl < 0) problem = 'unterminated';
        else if (want !== undefined && e.seq !== want + 1) problem = `entry ${e.seq} follows entry ${want}; entries are missing`;
        if (problem === undefined && typeof e !== 'string' && typeof raw !== 'string') {
          entries.push({ ...e, chain: raw.hash, line: lineNo });
          prev = raw.hash;
        } else if (isLast && !(problem ?? '').includes('entries are missing')) {
          tornBytes = data.length - offset;
        } else {
          damage = new JournalDamage(lineNo, offset, isLast ? problem! : `${problem}, and entries follow it`);
          if (typeof e !== 'string') beyond.push(e);
        }
      }
      if (damage === undefined && tornBytes === 0) validBytes = end + 1;
    }
    offset = end + 1;
  }
  if (format === 2 && header === undefined && damage === undefined) damage = new JournalDamage(1, 0, 'the file is empty (no header); the journal is damaged');
  return { format, header, entries, validBytes, tornBytes, damage, beyond };
}
