// snapshot.json: the whole state at one point of the journal, so that recovery replays only the
// entries after it. The state itself is the service's exportSnapshot() document (AWS CLI JSON, so a
// person can read it and `sgfw export` output has the same shape), wrapped with what that document
// cannot carry:
// - journalSeq: the last journal entry the snapshot includes;
// - ruleIds: importSnapshot gives every rule a new id (describe-security-groups output has no rule
//   ids), so the snapshot lists, in the order the import draws them, the ids the rules had;
// - prefixListHistory: earlier versions' entries, for GetManagedPrefixListEntries' TargetVersion.
// - clientTokens: the ClientTokens of idempotent creates with their requests and answers, oldest
//   first (control/client-tokens.ts), so a retry after a restart still answers the first call;
//   left out when there are none, so older snapshots read the same.
// - format 2 adds dir (the state directory's id) and chain (the journal's chain value at journalSeq,
//   journal-file.ts), which tie the snapshot to its journal and `acked`; format 1 is still read.
// A sha256 over the body turns any damage into a refusal to start instead of a different firewall,
// and the file must be byte for byte the serialisation the store writes, so a change the checksum
// cannot see (whitespace that still parses) is refused too.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SecurityGroupService } from '../control/service.js';
import { ruleKey } from '../control/permissions.js';
import type { ClientTokenRecord, ModelState, PrefixListEntryRecord } from '../control/records.js';
import { countingIdGenerator } from '../model/ids.js';
import type { SnapshotDocument } from '../model/types.js';
import { writeFileAtomic, fsErrorText } from './durable-fs.js';
import { StateError } from './state-error.js';

export const SNAPSHOT_FORMAT = 'sgfw-state-snapshot/2';
export const LEGACY_SNAPSHOT_FORMAT = 'sgfw-state-snapshot/1';

export interface SnapshotBody {
  readonly format: typeof SNAPSHOT_FORMAT | typeof LEGACY_SNAPSHOT_FORMAT;
  /** format 2: the state directory's id */
  readonly dir?: string;
  readonly journalSeq: number;
  /** format 2: the journal's chain value at journalSeq */
  readonly chain?: string;
  /** format 2: the first snapshot of a new chain (first start, upgrade, recovery), written before its journal and `acked` */
  readonly fresh?: boolean;
  /** service.version when written; informational */
  readonly version: number;
  readonly ruleIds: readonly string[];
  readonly prefixListHistory: Readonly<Record<string, readonly (readonly [number, readonly PrefixListEntryRecord[]])[]>>;
  readonly state: Required<SnapshotDocument>;
  readonly clientTokens?: readonly ClientTokenRecord[];
}

function checksumOf(body: SnapshotBody): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
}

function rulesByKey(service: SecurityGroupService): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of service.currentState.groups.values()) {
    for (const r of [...g.ingress, ...g.egress]) out.set(`${g.groupId}|${ruleKey(r)}`, r.ruleId);
  }
  return out;
}

export const suffix = (id: string): string => id.slice(id.indexOf('-') + 1);

export interface SnapshotPoint {
  readonly dir: string;
  readonly journalSeq: number;
  readonly chain: string;
  readonly fresh?: boolean;
}

/** The snapshot of `service` as of journal entry `at.journalSeq`. */
export function buildSnapshot(service: SecurityGroupService, at: SnapshotPoint): SnapshotBody {
  const state = service.exportSnapshot();
  // Import the document once with counting ids to learn which rule draws which id.
  const scratch = new SecurityGroupService({
    accountId: service.accountId, defaultVpcId: service.defaultVpcId, limits: service.limits, idGenerator: countingIdGenerator(),
  });
  scratch.importSnapshot(structuredClone(state));
  const real = rulesByKey(service);
  const ruleIds: string[] = [];
  for (const [key, fakeId] of rulesByKey(scratch)) {
    const realId = real.get(key);
    if (realId === undefined) throw new Error(`snapshot: rule ${key} does not survive export and import`);
    ruleIds[Number.parseInt(suffix(fakeId), 16) - 1] = suffix(realId);
  }
  if (ruleIds.length !== real.size || ruleIds.some((id) => id === undefined)) {
    throw new Error('snapshot: the rules do not survive export and import one for one');
  }
  return snapshotBody(service.currentState, service.version, at, state, ruleIds);
}

/** The body around `state` and `ruleIds`: the one layout (and key order) both builders write. */
export function snapshotBody(model: ModelState, version: number, at: SnapshotPoint, state: Required<SnapshotDocument>, ruleIds: string[]): SnapshotBody {
  const prefixListHistory: Record<string, [number, PrefixListEntryRecord[]][]> = {};
  for (const pl of model.prefixLists.values()) {
    if (pl.history.size > 0) prefixListHistory[pl.prefixListId] = [...pl.history].map(([v, e]) => [v, [...e]]);
  }
  const clientTokens = [...model.clientTokens.values()];
  return {
    format: SNAPSHOT_FORMAT, dir: at.dir, journalSeq: at.journalSeq, chain: at.chain, ...(at.fresh === true ? { fresh: true } : {}),
    version, ruleIds, prefixListHistory, state, ...(clientTokens.length > 0 ? { clientTokens } : {}),
  };
}

/** The file's layout: the checksum over the compact body, then both, indented by one space. */
export const SNAPSHOT_INDENT = 1;
const serialise = (outer: unknown): string => `${JSON.stringify(outer, null, SNAPSHOT_INDENT)}\n`;

export async function writeSnapshot(file: string, dir: string, body: SnapshotBody): Promise<void> {
  await writeFileAtomic(file, serialise({ checksum: checksumOf(body), snapshot: body }), dir);
}

/** The snapshot in `file`, or undefined when there is none; StateError naming the file when it is damaged. */
export async function readSnapshot(file: string): Promise<SnapshotBody | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(file, '', `cannot read the snapshot: ${fsErrorText(e)}`);
  }
  const text = bytes.toString('utf8');
  let outer: { checksum?: unknown; snapshot?: Partial<SnapshotBody> };
  try {
    outer = JSON.parse(text) as typeof outer;
  } catch (e) {
    throw new StateError(file, '', `the snapshot is not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')}); the file is damaged`);
  }
  const body = outer?.snapshot;
  if (typeof outer !== 'object' || outer === null || typeof outer.checksum !== 'string' || typeof body !== 'object' || body === null) {
    throw new StateError(file, '', 'not an sgfw snapshot (expected {"checksum", "snapshot"})');
  }
  if (body.format !== SNAPSHOT_FORMAT && body.format !== LEGACY_SNAPSHOT_FORMAT) {
    throw new StateError(file, 'snapshot.format', `expected ${SNAPSHOT_FORMAT}, got ${JSON.stringify(body.format)}`);
  }
  if (checksumOf(body as SnapshotBody) !== outer.checksum) {
    throw new StateError(file, '', 'checksum mismatch: the snapshot was changed or damaged after it was written');
  }
  if (!Buffer.from(serialise(outer), 'utf8').equals(bytes)) {
    throw new StateError(file, '', 'the file is not byte for byte as it was written (its layout changed): the snapshot was damaged');
  }
  if (body.format === SNAPSHOT_FORMAT && (typeof body.dir !== 'string' || typeof body.chain !== 'string')) {
    throw new StateError(file, 'snapshot', 'the snapshot lacks dir or chain');
  }
  if (
    !Number.isSafeInteger(body.journalSeq) || !Array.isArray(body.ruleIds) || typeof body.state !== 'object' ||
    body.state === null || typeof body.prefixListHistory !== 'object'
  ) {
    throw new StateError(file, 'snapshot', 'the snapshot lacks journalSeq, ruleIds, prefixListHistory or state');
  }
  if (body.clientTokens !== undefined) {
    if (!Array.isArray(body.clientTokens)) throw new StateError(file, 'snapshot.clientTokens', 'expected a list');
    body.clientTokens.forEach((t: Partial<ClientTokenRecord> | null, i) => {
      if (typeof t !== 'object' || t === null || !(['token', 'action', 'request', 'answer'] as const).every((k) => typeof t[k] === 'string')) {
        throw new StateError(file, `snapshot.clientTokens[${i}]`, 'expected {"token", "action", "request", "answer"}, all strings');
      }
    });
  }
  return body as SnapshotBody;
}
