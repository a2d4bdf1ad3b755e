// Whether a state directory proves itself (issue 15: "durable state that proves itself"): the three
// files chain together, so a missing, truncated, altered or foreign file is found, not loaded as a
// smaller firewall.
//   snapshot.json  names the directory (a random id), its last entry S and the chain value at S
//   journal.log    starts with a header naming the same directory, the entry B ≤ S it continues
//                  from and the chain value at B; each entry's hash chains on the previous one
//   acked          the last acknowledged entry M ≥ S and the chain value at M
// The journal must reach M with the same chain value: a journal cut on a line boundary, a deleted
// or damaged acknowledged line, a journal or snapshot from another directory or an older copy, all
// break one of these links. What may be dropped is only a bad last line after entry M: the store
// appends an entry, fsyncs it, then rewrites `acked`, then answers; so a line after M was never
// acknowledged, and a bad one was torn by a crash inside its write. One complete entry after M
// (fsynced, crash before `acked` was rewritten) is kept; more than one means `acked` is stale.
// A new chain (first start, upgrade of a format-1 directory, recovery) is written journal (or, on
// an upgrade, snapshot) first and `acked` last, and a crash in between is finished rather than
// refused, since nothing was acknowledged on that chain yet: a lone journal header at entry 0 is a
// first start; a snapshot marked fresh, no `acked`, and beside it either the format-1 journal it
// replaced or its own journal with no entry yet, is an unfinished start.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACK_FILE, decodeAck, type AckRecord } from './ack-file.js';
import { fsErrorText } from './durable-fs.js';
import { looksLikeHeader, scanJournal, type ReadEntry, type ScannedJournal } from './journal-file.js';
import { LEGACY_SNAPSHOT_FORMAT, readSnapshot, type SnapshotBody } from './snapshot-file.js';
import { StateError } from './state-error.js';

export const SNAPSHOT_FILE = 'snapshot.json';
export const JOURNAL_FILE = 'journal.log';

export type DirKind =
  /** no state files: a first start */
  | 'new'
  /** format 1 (no header, no `acked`): loads as before and is upgraded on open */
  | 'legacy'
  /** a new chain (first start, upgrade, recovery) that died before `acked` was written */
  | 'unfinished-start'
  | 'current';

export interface DirProof {
  readonly kind: DirKind;
  /** one StateError per problem, each naming its file; empty when the directory proves itself */
  readonly problems: readonly StateError[];
  readonly snapshot: SnapshotBody | undefined;
  readonly journal: ScannedJournal | undefined;
  readonly ack: AckRecord | undefined;
  /** the journal entries after the snapshot, to replay on it */
  readonly replay: readonly ReadEntry[];
  /** the last entry proven, and the chain value there */
  readonly lastSeq: number;
  readonly lastChain: string;
}

export interface ProveOptions {
  /**
   * reading beside a running server (export, verify): `acked` is read first and the journal may
   * have grown past it since, so entries after it are not a stale `acked`
   */
  readonly live?: boolean;
}

async function readIfThere(file: string, problems: StateError[]): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(new StateError(file, '', `cannot read: ${fsErrorText(e)}`));
    return undefined;
  }
}

const range = (from: number, to: number): string => (from === to ? `entry ${from}` : `entries ${from}..${to}`);

/** Reads the three files of `dir` and checks every link between them. Never throws for damage. */
export async function proveStateDir(dir: string, options: ProveOptions = {}): Promise<DirProof> {
  const snapshotFile = join(dir, SNAPSHOT_FILE);
  const journalFile = join(dir, JOURNAL_FILE);
  const ackFile = join(dir, ACK_FILE);
  const problems: StateError[] = [];
  const problem = (file: string, text: string): void => void problems.push(new StateError(file, '', text));

  // `acked` first: beside a running server, the journal read after it reaches at least as far.
  const ackData = await readIfThere(ackFile, problems);
  let snapshot: SnapshotBody | undefined;
  let snapshotDamaged = false;
  try {
    snapshot = await readSnapshot(snapshotFile);
  } catch (e) {
    if (!(e instanceof StateError)) throw e;
    problems.push(e);
    snapshotDamaged = true;
  }
  const data = await readIfThere(journalFile, problems);
  const none = { snapshot, journal: undefined, ack: undefined, replay: [], lastSeq: 0, lastChain: '' };
  if (!snapshotDamaged && snapshot === undefined && ackData === undefined && problems.length === 0) {
    const lone = data === undefined ? undefined : scanJournal(data, 2);
    if (lone === undefined || (lone.damage === undefined && lone.header?.base === 0 && lone.entries.length === 0 && lone.tornBytes === 0)) {
      return { kind: 'new', problems, ...none };
    }
  }

  if (snapshot?.format === LEGACY_SNAPSHOT_FORMAT) return proveLegacy(journalFile, snapshot, data, problems);

  // Only an unfinished upgrade (a fresh snapshot) or a lone journal may hold a format-1 journal.
  const format = (snapshot === undefined || snapshot.fresh === true) && data !== undefined && !looksLikeHeader(data) ? 1 : 2;
  const journal = data === undefined ? undefined : scanJournal(data, format);
  let ack: AckRecord | undefined;
  if (ackData !== undefined) {
    const decoded = decodeAck(ackData);
    if (typeof decoded === 'string') problem(ackFile, `${decoded}; the record of acknowledged entries is damaged`);
    else ack = decoded;
  }

  if (snapshot === undefined) {
    if (!snapshotDamaged) {
      const held = [data === undefined ? undefined : JOURNAL_FILE, ackData === undefined ? undefined : ACK_FILE].filter((f) => f !== undefined);
      problem(snapshotFile, `missing, but ${held.join(' and ')} ${held.length > 1 ? 'are' : 'is'} here: the state the journal continues from is gone`);
    }
    return { kind: 'current', problems, ...none, journal, ack };
  }

  const S = snapshot.journalSeq;
  const dirId = snapshot.dir as string;
  const chainS = snapshot.chain as string;
  if (ackData === undefined && problems.length === 0 && snapshot.fresh === true && journal !== undefined && journal.damage === undefined) {
    const h = journal.header;
    const replaced = journal.format === 1 && journal.entries.every((e) => e.seq <= S);
    const own = h !== undefined && h.dir === dirId && h.base === S && h.chain === chainS && journal.entries.length === 0 && journal.tornBytes === 0;
    if (replaced || own) return { kind: 'unfinished-start', problems, snapshot, journal, ack, replay: [], lastSeq: S, lastChain: chainS };
  }

  let lastSeq = S;
  let lastChain = chainS;
  let replay: ReadEntry[] = [];
  const journalDir = journal?.damage === undefined ? journal?.header?.dir : undefined;
  if (journalDir !== undefined && journalDir !== dirId && ack?.dir === journalDir) {
    // Two of the three files agree: the odd one out is the stranger.
    problem(snapshotFile, `belongs to another state directory (it names ${dirId}, ${JOURNAL_FILE} and ${ACK_FILE} name ${journalDir})`);
    return { kind: 'current', problems, snapshot, journal, ack, replay, lastSeq, lastChain };
  }
  if (journal === undefined) {
    problem(journalFile, `missing: ${SNAPSHOT_FILE} holds entries up to ${S} and the journal must continue it`);
  } else if (journal.damage !== undefined) {
    problem(journalFile, `${journal.damage.message}${journal.damage.problem.includes('damaged') ? '' : ': the journal is damaged'}`);
  } else if (journal.format === 1) {
    problem(journalFile, `a journal of the previous format (no header) beside a ${SNAPSHOT_FILE} of the current one: files from two directories or two versions`);
  } else {
    const h = journal.header!;
    const last = journal.entries[journal.entries.length - 1];
    if (h.dir !== dirId) {
      problem(journalFile, `belongs to another state directory (its header names ${h.dir}, ${SNAPSHOT_FILE} names ${dirId})`);
    } else if (h.base > S) {
      problem(snapshotFile, `holds entries up to ${S} only, but ${JOURNAL_FILE} continues from entry ${h.base}: the snapshot is older than the journal`);
    } else if (h.base === S && h.chain !== chainS) {
      problem(journalFile, `its header does not continue ${SNAPSHOT_FILE} (a different history up to entry ${S})`);
    } else if (h.base < S && (last?.seq ?? h.base) < S) {
      problem(journalFile, `ends at entry ${last?.seq ?? h.base}, before entry ${S} that ${SNAPSHOT_FILE} holds: entries are missing`);
    } else if (h.base < S && journal.entries.find((e) => e.seq === S)?.chain !== chainS) {
      problem(journalFile, `its entry ${S} differs from the one ${SNAPSHOT_FILE} holds (a different history)`);
    } else {
      replay = journal.entries.filter((e) => e.seq > S);
      lastSeq = last === undefined ? h.base : Math.max(S, last.seq);
      lastChain = last === undefined || last.seq < S ? chainS : last.chain;
    }
  }

  if (ackData === undefined) {
    problem(ackFile, 'missing: without the count of acknowledged entries, lost journal entries cannot be ruled out');
  } else if (ack !== undefined) {
    const proven = problems.length === 0;
    const chainAt = (seq: number): string | undefined => (seq === S ? chainS : replay.find((e) => e.seq === seq)?.chain);
    if (ack.dir !== dirId) {
      problem(ackFile, `belongs to another state directory (it names ${ack.dir}, ${SNAPSHOT_FILE} names ${dirId})`);
    } else if (ack.seq < S) {
      problem(ackFile, `says entry ${ack.seq} was the last acknowledged, but ${SNAPSHOT_FILE} holds entries up to ${S}: acked is older than the snapshot`);
    } else if (proven && lastSeq < ack.seq) {
      const torn = journal!.tornBytes > 0 ? `; its last line (byte ${journal!.validBytes}) is damaged` : '';
      problem(journalFile, `ends at entry ${lastSeq}, but ${range(lastSeq + 1, ack.seq)} ${ack.seq > lastSeq + 1 ? 'were' : 'was'} acknowledged (${ACK_FILE} says ${ack.seq}): acknowledged entries are missing${torn}`);
    } else if (proven && chainAt(ack.seq) !== ack.chain) {
      problem(journalFile, `its entry ${ack.seq} differs from the one ${ACK_FILE} records as acknowledged (a different history)`);
    } else if (proven && options.live !== true && (lastSeq > ack.seq + 1 || (lastSeq === ack.seq + 1 && journal!.tornBytes > 0))) {
      problem(ackFile, `says entry ${ack.seq} was the last acknowledged, but the journal holds entries up to ${lastSeq}: acked is older than the journal`);
    }
  }
  if (problems.length > 0) replay = [];
  return { kind: 'current', problems, snapshot, journal, ack, replay, lastSeq, lastChain };
}

/** Format 1: no header and no `acked`, so only what that format could check is checked. */
function proveLegacy(journalFile: string, snapshot: SnapshotBody, data: Buffer | undefined, problems: StateError[]): DirProof {
  const journal = scanJournal(data ?? Buffer.alloc(0), 1);
  let replay: ReadEntry[] = [];
  if (journal.damage !== undefined) {
    problems.push(new StateError(journalFile, `line ${journal.damage.line} (byte ${journal.damage.offset})`, `${journal.damage.problem}: the journal is damaged`));
  } else {
    replay = journal.entries.filter((e) => e.seq > snapshot.journalSeq);
    const first = replay[0];
    if (first !== undefined && first.seq !== snapshot.journalSeq + 1) {
      problems.push(new StateError(journalFile, `line ${first.line} (entry ${first.seq})`, `the journal continues from entry ${first.seq} but ${SNAPSHOT_FILE} ends at ${snapshot.journalSeq}; entries are missing`));
      replay = [];
    }
  }
  const lastSeq = replay[replay.length - 1]?.seq ?? snapshot.journalSeq;
  return { kind: 'legacy', problems, snapshot, journal, ack: undefined, replay, lastSeq, lastChain: '' };
}
