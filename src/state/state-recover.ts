// `sgfw state recover DIR --accept-loss`: rewrites a state directory that does not prove itself
// to what can still be proven, and says exactly what is lost. What is kept: the snapshot if it
// checks out (else the empty state, when the journal starts at entry 0), then the journal entries
// that chain on it, up to the first that does not check out or does not replay. What is lost:
// every acknowledged entry after that (as far as `acked` or any readable line says there were),
// listed with its action and ids where a line still shows them. The files as they were are moved
// to DIR/damaged-<time>/, never deleted, and the state is written as a new chain (durable-store.ts).
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceOptions } from '../control/service.js';
import { ACK_FILE, decodeAck, type AckRecord } from './ack-file.js';
import { lockStateDir } from './durable-lock.js';
import { writeNewChain } from './durable-store.js';
import { looksLikeHeader, scanJournal, type JournalEntry } from './journal-file.js';
import { LEGACY_SNAPSHOT_FORMAT, readSnapshot, type SnapshotBody } from './snapshot-file.js';
import { emptyService, replayEntry, serviceFromSnapshot, type LoadedService } from './state-load.js';
import { JOURNAL_FILE, proveStateDir, SNAPSHOT_FILE } from './state-proof.js';
import { StateError } from './state-error.js';

export interface LostEntry {
  readonly seq: number;
  /** undefined: no readable line holds it */
  readonly entry: JournalEntry | undefined;
}

export interface RecoveryOutcome {
  /** false: the directory proves itself and was left alone */
  readonly needed: boolean;
  /** the problems found, one line each */
  readonly problems: readonly string[];
  /** the entry the recovered state ends at, and how it was rebuilt */
  readonly keptSeq: number;
  readonly snapshotSeq: number | undefined;
  readonly replayed: number;
  /** entries up to this one were held only by a snapshot that is lost (0: none) */
  readonly lostSnapshotUpTo: number;
  readonly lost: readonly LostEntry[];
  /** a torn last line dropped (never acknowledged) */
  readonly tornBytes: number;
  /** where the files as they were went; undefined for a dry run or when nothing was needed */
  readonly movedTo: string | undefined;
}

async function readOrUndefined(file: string): Promise<Buffer | undefined> {
  return readFile(file).catch(() => undefined);
}

interface Kept {
  readonly loaded: LoadedService;
  readonly keptSeq: number;
  readonly snapshotSeq: number | undefined;
  readonly replayed: number;
  readonly lostSnapshotUpTo: number;
  readonly known: Map<number, JournalEntry>;
  readonly knownLast: number;
  readonly tornBytes: number;
}

function keptState(dir: string, snapshot: SnapshotBody | undefined, data: Buffer | undefined, ack: AckRecord | undefined, service: ServiceOptions | undefined): Kept {
  const format = snapshot?.format === LEGACY_SNAPSHOT_FORMAT || (snapshot === undefined && data !== undefined && !looksLikeHeader(data)) ? 1 : 2;
  const journal = data === undefined ? undefined : scanJournal(data, format);
  const h = journal?.header;
  let loaded: LoadedService | undefined;
  let keptSeq = 0;
  let chain: string | undefined;
  if (snapshot !== undefined) {
    try {
      loaded = serviceFromSnapshot(join(dir, SNAPSHOT_FILE), snapshot, service);
      keptSeq = snapshot.journalSeq;
      chain = snapshot.chain;
    } catch {
      loaded = undefined;
    }
  }
  const anchorDir = loaded !== undefined ? snapshot!.dir : h?.dir;
  const lostSnapshotUpTo = loaded !== undefined ? 0 : snapshot?.journalSeq ?? h?.base ?? 0;
  loaded ??= emptyService(service);

  // The journal entries that continue the kept state: same directory, linked to it by the chain.
  let usable: JournalEntry[] = [];
  if (journal !== undefined) {
    const entries = journal.entries;
    if (journal.format === 1) usable = snapshot?.format === LEGACY_SNAPSHOT_FORMAT ? entries.filter((e) => e.seq > keptSeq) : [];
    else if (h !== undefined && h.dir === anchorDir && h.base <= keptSeq) {
      const chainAt = h.base === keptSeq ? h.chain : entries.find((e) => e.seq === keptSeq)?.chain;
      if (keptSeq === 0 && lostSnapshotUpTo === 0 && h.base === 0) usable = entries;
      else if (chain !== undefined && chainAt === chain) usable = entries.filter((e) => e.seq > keptSeq);
    }
  }
  if (usable[0] !== undefined && usable[0].seq !== keptSeq + 1) usable = [];
  let replayed = 0;
  for (const entry of usable) {
    try {
      replayEntry(loaded, entry, join(dir, JOURNAL_FILE));
    } catch {
      break;
    }
    replayed++;
  }
  keptSeq += replayed;

  const known = new Map<number, JournalEntry>();
  for (const e of [...(journal?.entries ?? []), ...(journal?.beyond ?? [])]) if (!known.has(e.seq)) known.set(e.seq, e);
  const sameDir = ack !== undefined && (anchorDir === undefined || ack.dir === anchorDir);
  const knownLast = Math.max(keptSeq, lostSnapshotUpTo, sameDir ? ack.seq : 0, ...known.keys());
  // A torn tail after the acknowledged entries is not a loss of anything acknowledged.
  const tornBytes = journal?.tornBytes ?? 0;
  return {
    loaded, keptSeq, snapshotSeq: lostSnapshotUpTo === 0 && snapshot !== undefined ? snapshot.journalSeq : undefined, replayed,
    lostSnapshotUpTo, known, knownLast, tornBytes,
  };
}

/**
 * Recovers `dir` (taking its lock). With `dryRun`, only reports what recovery would keep and lose.
 * A directory that proves itself is left alone (`needed: false`).
 */
export async function recoverStateDir(dir: string, options: { dryRun?: boolean; service?: ServiceOptions } = {}): Promise<RecoveryOutcome> {
  const lock = await lockStateDir(dir);
  try {
    const proof = await proveStateDir(dir);
    const problems = proof.problems.map((p) => p.message);
    if (problems.length === 0) {
      const seq = proof.lastSeq;
      return { needed: false, problems, keptSeq: seq, snapshotSeq: proof.snapshot?.journalSeq, replayed: proof.replay.length, lostSnapshotUpTo: 0, lost: [], tornBytes: proof.journal?.tornBytes ?? 0, movedTo: undefined };
    }
    const snapshot = await readSnapshot(join(dir, SNAPSHOT_FILE)).catch((e: unknown) => {
      if (e instanceof StateError) return undefined;
      throw e;
    });
    const data = await readOrUndefined(join(dir, JOURNAL_FILE));
    const ackData = await readOrUndefined(join(dir, ACK_FILE));
    const decoded = ackData === undefined ? undefined : decodeAck(ackData);
    const kept = keptState(dir, snapshot, data, typeof decoded === 'string' ? undefined : decoded, options.service);
    const lost: LostEntry[] = [];
    for (let seq = Math.max(kept.keptSeq, kept.lostSnapshotUpTo) + 1; seq <= kept.knownLast; seq++) lost.push({ seq, entry: kept.known.get(seq) });
    let movedTo: string | undefined;
    if (options.dryRun !== true) {
      movedTo = join(dir, `damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      await mkdir(movedTo, { mode: 0o700 });
      for (const name of [SNAPSHOT_FILE, JOURNAL_FILE, ACK_FILE]) {
        await rename(join(dir, name), join(movedTo, name)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
      }
      await writeNewChain(dir, kept.loaded.service, kept.keptSeq, false);
    }
    return {
      needed: true, problems, keptSeq: kept.keptSeq, snapshotSeq: kept.snapshotSeq, replayed: kept.replayed,
      lostSnapshotUpTo: kept.lostSnapshotUpTo, lost, tornBytes: kept.tornBytes, movedTo,
    };
  } finally {
    await lock.release();
  }
}
