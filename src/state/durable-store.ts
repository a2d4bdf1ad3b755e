// The durable control-plane state (issue 4, "Durable state"): an API call is acknowledged only
// after its change is on disk, a kill -9 at any moment loses no acknowledged change and never leaves
// a half-applied one, and a damaged state directory refuses to load instead of starting empty.
//
// Design: a write-ahead journal of accepted calls, fsynced per call, plus periodic snapshots, in
// plain files (no new dependency; an embedded database would be a native addon for what is a few
// hundred lines here, and the EC2 model is small: thousands of rules, not millions of rows).
//   DIR/snapshot.json  the state as of journal entry N (snapshot-file.ts), replaced atomically
//   DIR/journal.log    entries N+1 … (journal-file.ts), each one line with its checksum and length
//   DIR/lock           the pid of the one process that owns DIR (durable-lock.ts)
// - The journal records the call (action + params), not its effect: the service is the only code
//   that knows what a call does, and replaying through `service.call` keeps one implementation.
//   Replay is deterministic because the service is: the only other input a call reads is its id
//   generator, so each entry records the id suffixes the call drew and replay hands them back.
//   Params are normalised through JSON before the live call, so live and replay see the same input.
// - The call runs first (validation and mutation are all or nothing in the service, so a refused
//   call changes nothing and is not journaled), then its entry is appended with one write() and
//   fsynced, then the caller is answered. Calls are serialised; a write or fsync failure leaves the
//   memory ahead of the disk, so the store refuses every later change (the server must restart).
//   Read-only calls (Describe*, Get*) skip the queue and may see a change whose fsync is in flight.
// - Every `snapshotEvery` entries the state is written to a new snapshot (temp, fsync, rename,
//   fsync dir) and the journal truncated. A crash between the two leaves journal entries the
//   snapshot already holds; replay skips entries at or below the snapshot's journalSeq.
// - Recovery drops a torn last journal line (its append was never acknowledged) with a warning;
//   anything else that does not check out is a StateError naming the file and the line or path.
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SecurityGroupService, type ServiceOptions } from '../control/service.js';
import { Ec2Error } from '../model/ec2-error.js';
import { randomIdSuffix } from '../model/ids.js';
import type { SnapshotDocument } from '../model/types.js';
import { fsErrorText, fsyncDir } from './durable-fs.js';
import { lockStateDir, type DirLock } from './durable-lock.js';
import { IdSource } from './journal-ids.js';
import { encodeEntry, JournalDamage, scanJournal, type JournalEntry } from './journal-file.js';
import { ShapeError } from './json-shape.js';
import { buildSnapshot, readSnapshot, writeSnapshot, type SnapshotBody } from './snapshot-file.js';
import { readStateDocument } from './state-document.js';
import { runStoreAction, storedParams, StoreFront } from './store-front.js';
import { StateError } from './state-error.js';

export const SNAPSHOT_FILE = 'snapshot.json';
export const JOURNAL_FILE = 'journal.log';
export const DEFAULT_SNAPSHOT_EVERY = 1000;

export interface DurableStoreOptions {
  /** write a snapshot and truncate the journal after this many entries (default 1000) */
  snapshotEvery?: number;
  /** create DIR and an empty state when DIR holds none (default true) */
  createIfMissing?: boolean;
  /** account, default VPC, limits; idGenerator makes the ids of new calls (replay ignores it) */
  service?: ServiceOptions;
  /** recovery notices, e.g. a dropped torn entry (default: one line on stderr) */
  onWarning?: (message: string) => void;
}

export interface RecoveryReport {
  /** journalSeq of the snapshot loaded (0: none) */
  readonly snapshotSeq: number;
  /** journal entries replayed on top of it */
  readonly replayed: number;
  /** bytes of a torn last entry dropped from the journal */
  readonly tornBytes: number;
}

function problemOf(e: unknown): string {
  if (e instanceof Ec2Error) {
    const path = (e as Ec2Error & { path?: unknown }).path;
    return `${typeof path === 'string' ? `${path}: ` : ''}${e.code}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

interface Loaded {
  readonly service: SecurityGroupService;
  readonly ids: IdSource;
  readonly snapshot: SnapshotBody | undefined;
  readonly lastSeq: number;
  readonly validBytes: number;
  readonly report: RecoveryReport;
}

/** Snapshot + journal → a service; StateError naming the file for anything that does not check out. */
async function loadState(dir: string, options: DurableStoreOptions): Promise<Loaded | undefined> {
  const snapshotFile = join(dir, SNAPSHOT_FILE);
  const journalFile = join(dir, JOURNAL_FILE);
  const snapshot = await readSnapshot(snapshotFile);
  let data: Buffer | undefined;
  try {
    data = await readFile(journalFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StateError(journalFile, '', `cannot read the journal: ${fsErrorText(e)}`);
  }
  if (snapshot === undefined) {
    if (data === undefined || data.length === 0) return undefined;
    // The store writes a snapshot before its first entry, so this is a lost file, not a new state.
    throw new StateError(snapshotFile, '', `missing, but ${JOURNAL_FILE} holds entries; refusing to start from a partial state`);
  }

  const ids = new IdSource(options.service?.idGenerator ?? randomIdSuffix);
  const service = new SecurityGroupService({ ...options.service, idGenerator: ids.next });

  let doc: SnapshotDocument;
  try {
    doc = readStateDocument(snapshot.state);
  } catch (e) {
    if (e instanceof ShapeError) throw new StateError(snapshotFile, `snapshot.state.${e.path}`, e.problem);
    throw e;
  }
  ids.beginReplay(snapshot.ruleIds);
  try {
    service.importSnapshot(doc);
  } catch (e) {
    throw new StateError(snapshotFile, 'snapshot.state', `the snapshot does not load: ${problemOf(e)}`);
  }
  if (!ids.endReplay()) throw new StateError(snapshotFile, 'snapshot.ruleIds', 'the rule ids do not match the rules');
  restoreHistory(service, snapshot);

  let scanned;
  try {
    scanned = scanJournal(data ?? Buffer.alloc(0));
  } catch (e) {
    if (e instanceof JournalDamage) throw new StateError(journalFile, `line ${e.line} (byte ${e.offset})`, `${e.problem}: the journal is damaged`);
    throw e;
  }
  let lastSeq = snapshot.journalSeq;
  let replayed = 0;
  scanned.entries.forEach((entry: JournalEntry, i) => {
    if (entry.seq <= lastSeq) return; // already in the snapshot (crash between snapshot and truncation)
    const where = `line ${i + 1} (entry ${entry.seq})`;
    if (entry.seq !== lastSeq + 1) {
      throw new StateError(journalFile, where, `the journal continues from entry ${entry.seq} but ${SNAPSHOT_FILE} ends at ${lastSeq}; entries are missing`);
    }
    ids.beginReplay(entry.ids);
    try {
      runStoreAction(service, entry.action, entry.params);
    } catch (e) {
      ids.endReplay();
      throw new StateError(journalFile, where, `replaying ${entry.action} failed (${problemOf(e)}); the journal does not fit the snapshot`);
    }
    if (!ids.endReplay()) throw new StateError(journalFile, where, `replaying ${entry.action} used other ids than it recorded`);
    lastSeq = entry.seq;
    replayed++;
  });
  return {
    service, ids, snapshot, lastSeq, validBytes: scanned.validBytes,
    report: { snapshotSeq: snapshot.journalSeq, replayed, tornBytes: scanned.tornBytes },
  };
}

/**
 * Puts back prefix-list history, which the AWS-shaped document cannot hold. Done on the freshly
 * imported state before anyone can observe it; records are replaced, never mutated.
 */
function restoreHistory(service: SecurityGroupService, snapshot: SnapshotBody): void {
  const lists = service.currentState.prefixLists;
  for (const [id, history] of Object.entries(snapshot.prefixListHistory)) {
    const pl = lists.get(id);
    if (pl !== undefined) lists.set(id, { ...pl, history: new Map(history) });
  }
}

export class DurableStore {
  private readonly front: StoreFront;
  private failure: Error | undefined;
  private sinceSnapshot: number;

  /** @internal use openDurableStore */
  constructor(
    readonly dir: string,
    /** the live state; read it freely, change it only through apply() */
    readonly service: SecurityGroupService,
    private readonly ids: IdSource,
    private readonly journal: FileHandle,
    private readonly lock: DirLock,
    private lastSeq: number,
    private readonly snapshotEvery: number,
    private readonly warn: (message: string) => void,
    readonly recovery: RecoveryReport,
  ) {
    this.sinceSnapshot = recovery.replayed;
    this.front = new StoreFront('durable', service, (action, params) => this.applyNow(action, params));
  }

  /** the seq of the last durable journal entry */
  get seq(): number {
    return this.lastSeq;
  }

  /**
   * Runs an action like `service.call` (plus `ImportSnapshot` with a state document); resolves with
   * its result once the change is fsynced. A refused call rejects with its Ec2Error and changes
   * nothing; a failed write rejects with StateError and the store takes no more changes.
   */
  apply(action: string, params?: unknown): Promise<unknown> {
    return this.front.apply(action, params);
  }

  private async applyNow(action: string, params: unknown): Promise<unknown> {
    if (this.failure !== undefined) throw this.failure;
    const input = storedParams(params);
    const before = this.service.version;
    this.ids.beginLive();
    const result = runStoreAction(this.service, action, input);
    const drawn = this.ids.endLive();
    if (this.service.version === before) return result;
    const entry: JournalEntry = { seq: this.lastSeq + 1, action, params: input, ids: drawn };
    try {
      await this.journal.write(encodeEntry(entry));
      await this.journal.sync();
    } catch (e) {
      this.failure = new StateError(
        join(this.dir, JOURNAL_FILE), '',
        `cannot write the journal (${fsErrorText(e)}); the last change is not durable and no more changes are accepted`,
      );
      throw this.failure;
    }
    this.lastSeq = entry.seq;
    if (++this.sinceSnapshot >= this.snapshotEvery) {
      // The entry is durable already; a failed snapshot only leaves a longer journal, so it is retried.
      await this.writeSnapshotNow().catch((e: unknown) => this.warn(`${join(this.dir, SNAPSHOT_FILE)}: cannot write a snapshot: ${fsErrorText(e)}`));
    }
    return result;
  }

  private async writeSnapshotNow(): Promise<void> {
    await writeSnapshot(join(this.dir, SNAPSHOT_FILE), this.dir, buildSnapshot(this.service, this.lastSeq));
    await this.journal.truncate(0);
    await this.journal.sync();
    this.sinceSnapshot = 0;
  }

  /** Writes a snapshot now (after pending changes) and empties the journal. */
  snapshot(): Promise<void> {
    return this.front.run(() => {
      if (this.failure !== undefined) throw this.failure;
      return this.writeSnapshotNow();
    });
  }

  /** Waits for pending changes, closes the journal and releases the directory. */
  async close(): Promise<void> {
    if (this.front.closed) return;
    await this.front.close();
    await this.journal.close();
    await this.lock.release();
  }
}

/**
 * Opens (or creates) the state in `dir`, taking its lock. Throws StateError when `dir` is locked by
 * a running process, or any file in it is damaged.
 */
export async function openDurableStore(dir: string, options: DurableStoreOptions = {}): Promise<DurableStore> {
  const snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
  if (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 1) throw new RangeError('snapshotEvery must be a positive integer');
  const warn = options.onWarning ?? ((m: string) => process.stderr.write(`sgfw: ${m}\n`));
  try {
    if (options.createIfMissing === false) await readdir(dir);
    else await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StateError(dir, '', `cannot use the state directory: ${fsErrorText(e)}`);
  }
  const lock = await lockStateDir(dir);
  try {
    await removeTempFiles(dir);
    const journalFile = join(dir, JOURNAL_FILE);
    let loaded = await loadState(dir, options);
    if (loaded === undefined) {
      if (options.createIfMissing === false) throw new StateError(dir, '', `no sgfw state here (no ${SNAPSHOT_FILE})`);
      const ids = new IdSource(options.service?.idGenerator ?? randomIdSuffix);
      const service = new SecurityGroupService({ ...options.service, idGenerator: ids.next });
      await writeSnapshot(join(dir, SNAPSHOT_FILE), dir, buildSnapshot(service, 0));
      loaded = { service, ids, snapshot: undefined, lastSeq: 0, validBytes: 0, report: { snapshotSeq: 0, replayed: 0, tornBytes: 0 } };
    }
    const journal = await open(journalFile, 'a', 0o600);
    try {
      if (loaded.report.tornBytes > 0) {
        warn(`${journalFile}: dropped a torn last entry (${loaded.report.tornBytes} bytes at byte ${loaded.validBytes}): it was never acknowledged`);
        await journal.truncate(loaded.validBytes);
      }
      await journal.sync();
      await fsyncDir(dir);
    } catch (e) {
      await journal.close();
      throw e;
    }
    const store = new DurableStore(dir, loaded.service, loaded.ids, journal, lock, loaded.lastSeq, snapshotEvery, warn, loaded.report);
    if (loaded.report.replayed >= snapshotEvery) {
      await store.snapshot().catch((e: unknown) => warn(`${join(dir, SNAPSHOT_FILE)}: cannot write a snapshot: ${fsErrorText(e)}`));
    }
    return store;
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/**
 * The state in `dir`, read without taking the lock or repairing anything (for `sgfw export` beside
 * a running server: a torn last entry there is an append in progress and is left out).
 */
export async function readDurableState(dir: string, options: Pick<DurableStoreOptions, 'service'> = {}): Promise<SecurityGroupService> {
  try {
    await readdir(dir);
  } catch (e) {
    throw new StateError(dir, '', `cannot read the state directory: ${fsErrorText(e)}`);
  }
  const loaded = await loadState(dir, options);
  if (loaded === undefined) throw new StateError(dir, '', `no sgfw state here (no ${SNAPSHOT_FILE})`);
  return loaded.service;
}

async function removeTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${SNAPSHOT_FILE}.tmp-`)) await unlink(join(dir, name)).catch(() => undefined);
  }
}
