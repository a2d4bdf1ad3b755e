// Design: a write-ahead journal of accepted calls, fsynced per call, plus periodic snapshots, in
// plain files (no new dependency; an embedded database would be a native addon for what is a few
// hundred lines here, and the EC2 model is small: thousands of rules, not millions of rows).
//   DIR/snapshot.json  the state as of journal entry N (snapshot-file.ts), replaced atomically
//   DIR/journal.log    a header naming the snapshot it continues, then entries N+1 … (journal-file.ts)
//   DIR/acked          the last acknowledged entry (ack-file.ts)
//   DIR/lock           the pid of the one process that owns DIR (durable-lock.ts)
// The three chain together (state-proof.ts), so a missing, cut, altered or foreign file refuses to
// start, in one line naming the file and pointing to `sgfw state verify` / `sgfw state recover`.
// - The journal records the call (action + params), not its effect: the service is the only code
//   that knows what a call does, and replaying through `service.call` keeps one implementation.
//   Replay is deterministic because the service is: the only other input a call reads is its id
//   generator, so each entry records the id suffixes the call drew and replay hands them back.
//   Params are normalised through JSON before the live call, so live and replay see the same input.
// - The call runs first (validation and mutation are all or nothing in the service, so a refused
//   call changes nothing and is not journaled), then its entry is appended with one write() and
//   fsynced, then `acked` is rewritten and fsynced, then the caller is answered. Calls are
//   serialised; a write or fsync failure leaves the memory ahead of the disk, so the store refuses
//   every later change (the server must restart).
//   Read-only calls (Describe*, Get*) skip the queue and may see a change whose fsync is in flight.
// - Every `snapshotEvery` entries the state is written to a new snapshot (temp, fsync, rename,
//   fsync dir) and the journal replaced by a header continuing it (the same way). A crash between
//   the two leaves journal entries the snapshot already holds; replay skips them. The snapshot is
//   built in the background, a few milliseconds at a time, while calls go on (startSnapshot).
// - Format 1 directories (no header, no `acked`) load as before and are upgraded on open: a fresh
//   snapshot of the loaded state, then a journal continuing it, then `acked`.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecurityGroupService, ServiceOptions } from '../control/service.js';
import { ACK_FILE, AckFile, encodeAck } from './ack-file.js';
import { fsErrorText, fsyncDir, writeFileAtomic } from './durable-fs.js';
import { lockHolder, lockStateDir, type DirLock } from './durable-lock.js';
import type { IdSource } from './journal-ids.js';
import { encodeEntry, encodeHeader, genesisChain, type JournalEntry } from './journal-file.js';
import { buildSnapshot, writeSnapshot } from './snapshot-file.js';
import { buildSnapshotInSlices, writeSnapshotInSlices, type CapturedState } from './snapshot-slices.js';
import { SliceCancelled, Slicer } from './slicer.js';
import { emptyService, replayEntry, serviceFromSnapshot, type LoadedService } from './state-load.js';
import { JOURNAL_FILE, proveStateDir, SNAPSHOT_FILE, type DirProof } from './state-proof.js';
import { runStoreAction, storedParams, StoreFront } from './store-front.js';
import { StateError } from './state-error.js';
import type { StorePosition } from './enforced-mark.js';

export { JOURNAL_FILE, SNAPSHOT_FILE } from './state-proof.js';
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
  /** called after each entry is acknowledged (the live mode's record of what it enforces) */
  onAcknowledged?: (position: StorePosition) => void;
}

export interface RecoveryReport {
  /** journalSeq of the snapshot loaded (0: none) */
  readonly snapshotSeq: number;
  /** journal entries replayed on top of it */
  readonly replayed: number;
  /** bytes of a torn last entry dropped from the journal */
  readonly tornBytes: number;
}

/** The one-line refusal: the problem, and what to do about it. */
export function refusal(dir: string, problem: StateError): StateError {
  return new StateError(problem.file, problem.path,
    `${problem.problem}; run \`sgfw state verify ${dir}\` to list every problem, or \`sgfw state recover ${dir} --accept-loss\` to keep what can be proven`);
}

/** The service a proven directory holds (the snapshot plus the journal replayed on it). */
export function loadProven(dir: string, proof: DirProof, options: Pick<DurableStoreOptions, 'service'>): LoadedService {
  if (proof.snapshot === undefined) return emptyService(options.service);
  const loaded = serviceFromSnapshot(join(dir, SNAPSHOT_FILE), proof.snapshot, options.service);
  for (const entry of proof.replay) replayEntry(loaded, entry, join(dir, JOURNAL_FILE));
  return loaded;
}

function loadOrRefuse(dir: string, proof: DirProof, options: Pick<DurableStoreOptions, 'service'>): LoadedService {
  try {
    return loadProven(dir, proof, options);
  } catch (e) {
    throw e instanceof StateError ? refusal(dir, e) : e;
  }
}

async function proveOrRefuse(dir: string, live: boolean): Promise<DirProof> {
  // Beside a running server (live), a snapshot or append may land between two reads: read again.
  for (let attempt = 0; ; attempt++) {
    const proof = await proveStateDir(dir, { live });
    const first = proof.problems[0];
    if (first === undefined) return proof;
    if (!live || attempt >= 4) throw refusal(dir, first);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Where a new chain starts: a new directory id, its genesis chain value, at entry `seq`. */
export interface ChainStart {
  readonly dirId: string;
  readonly seq: number;
  readonly chain: string;
}

/**
 * Writes `service` as a new chain at entry `seq`: journal header (first start) or snapshot
 * (upgrade, recovery) first, `acked` last, so a crash in between is recognised (state-proof.ts).
 */
export async function writeNewChain(dir: string, service: SecurityGroupService, seq: number, journalFirst: boolean): Promise<ChainStart> {
  const dirId = randomBytes(8).toString('hex');
  const chain = genesisChain(dirId);
  const snapshot = (): Promise<void> => writeSnapshot(join(dir, SNAPSHOT_FILE), dir, buildSnapshot(service, { dir: dirId, journalSeq: seq, chain, fresh: true }));
  const journal = (): Promise<void> => writeFileAtomic(join(dir, JOURNAL_FILE), encodeHeader({ dir: dirId, base: seq, chain }), dir);
  if (journalFirst) {
    await journal();
    await snapshot();
  } else {
    await snapshot();
    await journal();
  }
  await writeFileAtomic(join(dir, ACK_FILE), encodeAck({ dir: dirId, seq, chain }), dir);
  return { dirId, seq, chain };
}

interface PendingSnapshot {
  readonly entries: Buffer[];
  readonly slicer: Slicer;
  done: Promise<void>;
}

export class DurableStore {
  private readonly front: StoreFront;
  private failure: Error | undefined;
  private sinceSnapshot: number;
  /** the snapshot being built in the background, and the journal lines appended since its capture */
  private pending: PendingSnapshot | null = null;

  /** @internal use openDurableStore */
  constructor(
    readonly dir: string,
    /** the live state; read it freely, change it only through apply() */
    readonly service: SecurityGroupService,
    private readonly ids: IdSource,
    private journal: FileHandle,
    private readonly acked: AckFile,
    private readonly lock: DirLock,
    private readonly dirId: string,
    private lastSeq: number,
    private chain: string,
    private readonly snapshotEvery: number,
    private readonly warn: (message: string) => void,
    readonly recovery: RecoveryReport,
    private readonly onAcknowledged?: (position: StorePosition) => void,
  ) {
    this.sinceSnapshot = recovery.replayed;
    this.front = new StoreFront('durable', service, (action, params) => this.applyNow(action, params));
  }

  /** the seq of the last durable journal entry */
  get seq(): number {
    return this.lastSeq;
  }

  /** where the durable history stands: the directory's id, the last entry and its chain value */
  get position(): StorePosition {
    return { dir: this.dirId, seq: this.lastSeq, chain: this.chain };
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
    const { bytes, chain } = encodeEntry(entry, this.chain);
    let file = join(this.dir, JOURNAL_FILE);
    try {
      await this.journal.write(bytes);
      await this.journal.sync();
      file = join(this.dir, ACK_FILE);
      await this.acked.write({ dir: this.dirId, seq: entry.seq, chain });
    } catch (e) {
      this.failure = new StateError(file, '', `cannot write (${fsErrorText(e)}); the last change is not durable and no more changes are accepted`);
      throw this.failure;
    }
    this.lastSeq = entry.seq;
    this.chain = chain;
    this.pending?.entries.push(bytes);
    this.onAcknowledged?.(this.position);
    if (++this.sinceSnapshot >= this.snapshotEvery && this.pending === null) {
      // The entry is durable already; a failed snapshot only leaves a longer journal, so it is retried.
      void this.startSnapshot().catch((e: unknown) => this.warnSnapshot(e));
    }
    return result;
  }

  private warnSnapshot(e: unknown): void {
    if (!(e instanceof SliceCancelled)) this.warn(`${join(this.dir, SNAPSHOT_FILE)}: cannot write a snapshot: ${fsErrorText(e)}`);
  }

  /**
   * Starts a snapshot of the state as of the last entry, to be built in slices while later changes
   * go on (snapshot-slices.ts); call it between changes (in the queue), so the state and the entry
   * it is captured at agree. Resolves once the snapshot is written and the journal continues it.
   * - the snapshot file is written first, beside the journal that still holds its entries (which
   *   recovery skips, state-proof.ts), so a crash at any point leaves a directory that proves itself;
   * - then, between two changes, the journal is replaced by a header continuing the snapshot and
   *   the entries journaled since it was captured (their lines as they were: each chain value
   *   depends only on the line before it, and the header carries the chain value at the snapshot).
   */
  private startSnapshot(): Promise<void> {
    const captured: CapturedState = { state: this.service.currentState, version: this.service.version, accountId: this.service.accountId, region: this.service.region };
    const at = { dir: this.dirId, journalSeq: this.lastSeq, chain: this.chain };
    const pending: PendingSnapshot = { entries: [], slicer: new Slicer(), done: Promise.resolve() };
    this.pending = pending;
    this.sinceSnapshot = 0;
    const file = join(this.dir, JOURNAL_FILE);
    pending.done = (async () => {
      try {
        const prepared = await buildSnapshotInSlices(captured, at, pending.slicer);
        await writeSnapshotInSlices(join(this.dir, SNAPSHOT_FILE), this.dir, prepared, pending.slicer);
        await this.front.run(async () => {
          if (this.failure !== undefined) return; // the journal is behind the memory: leave it alone
          await writeFileAtomic(file, [encodeHeader({ dir: this.dirId, base: at.journalSeq, chain: at.chain }), ...pending.entries], this.dir);
          const old = this.journal;
          this.journal = await open(file, 'a', 0o600);
          await old.close();
        });
      } finally {
        this.pending = null;
      }
    })();
    return pending.done;
  }

  /** Writes a snapshot of the state after the pending changes and empties the journal of what it holds. */
  async snapshot(): Promise<void> {
    await this.pending?.done.catch(() => undefined);
    const started = await this.front.run(() => {
      if (this.failure !== undefined) throw this.failure;
      return { done: this.startSnapshot() };
    });
    await started.done;
  }

  /** Resolves once the snapshot being written in the background, if any, is written (or failed). */
  async snapshotSettled(): Promise<void> {
    await this.pending?.done.catch(() => undefined);
  }

  /**
   * Waits for pending changes, closes the journal and releases the directory. A snapshot still
   * being built is given up (the journal holds what it would have).
   */
  async close(): Promise<void> {
    if (this.front.closed) return;
    await this.front.close();
    this.pending?.slicer.cancel();
    await this.pending?.done.catch(() => undefined);
    await this.journal.close();
    await this.acked.close();
    await this.lock.release();
  }
}

/**
 * Opens (or creates) the state in `dir`, taking its lock. Throws StateError when `dir` is locked by
 * a running process, or when its files do not prove themselves (the message names the file and
 * points to `sgfw state verify` / `sgfw state recover`).
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
    const proof = await proveOrRefuse(dir, false);
    if (proof.kind === 'new' && options.createIfMissing === false) throw new StateError(dir, '', `no sgfw state here (no ${SNAPSHOT_FILE})`);
    const loaded = loadOrRefuse(dir, proof, options);
    const tornBytes = proof.journal?.tornBytes ?? 0;
    const report: RecoveryReport = { snapshotSeq: proof.snapshot?.journalSeq ?? 0, replayed: proof.replay.length, tornBytes };
    if (tornBytes > 0) {
      warn(`${journalFile}: dropped a torn last entry (${tornBytes} bytes at byte ${proof.journal!.validBytes}): it was never acknowledged`);
    }
    let start: ChainStart;
    if (proof.kind === 'current') {
      start = { dirId: proof.snapshot!.dir!, seq: proof.lastSeq, chain: proof.lastChain };
      const journal = await open(journalFile, 'r+');
      try {
        if (tornBytes > 0) await journal.truncate(proof.journal!.validBytes);
        await journal.sync();
      } finally {
        await journal.close();
      }
    } else {
      if (proof.kind === 'legacy') warn(`${dir}: upgrading the state directory to the current format (${ACK_FILE}, journal header)`);
      if (proof.kind === 'unfinished-start') warn(`${dir}: finishing a first start, upgrade or recovery that was interrupted (nothing was acknowledged since)`);
      start = await writeNewChain(dir, loaded.service, proof.lastSeq, proof.kind === 'new');
    }
    const acked = await AckFile.open(join(dir, ACK_FILE));
    let journal: FileHandle;
    try {
      // A complete entry after `acked` was fsynced but never answered; it is kept, so it is acknowledged now.
      if (proof.ack !== undefined && proof.ack.seq !== start.seq) await acked.write({ dir: start.dirId, seq: start.seq, chain: start.chain });
      journal = await open(journalFile, 'a', 0o600);
      await fsyncDir(dir);
    } catch (e) {
      await acked.close();
      throw e;
    }
    const store = new DurableStore(dir, loaded.service, loaded.ids, journal, acked, lock, start.dirId, start.seq, start.chain, snapshotEvery, warn, report, options.onAcknowledged);
    if (report.replayed >= snapshotEvery) {
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
  const proof = await proveOrRefuse(dir, (await lockHolder(dir)) !== undefined);
  if (proof.kind === 'new') throw new StateError(dir, '', `no sgfw state here (no ${SNAPSHOT_FILE})`);
  return loadOrRefuse(dir, proof, options).service;
}

async function removeTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${SNAPSHOT_FILE}.tmp-`) || name.startsWith(`${JOURNAL_FILE}.tmp-`) || name.startsWith(`${ACK_FILE}.tmp-`)) {
      await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}
