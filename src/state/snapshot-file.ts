// snapshot.json: the whole state at one point of the journal, so that recovery replays only the
// entries after it. The state itself is the service's exportSnapshot() document (AWS CLI JSON, so a
// person can read it and `sgfw export` output has the same shape), wrapped with what that document
// cannot carry:
// - journalSeq: the last journal entry the snapshot includes;
// - ruleIds: importSnapshot gives every rule a new id (describe-security-groups output has no rule
//   ids), so the snapshot lists, in the order the import draws them, the ids the rules had;
// - prefixListHistory: earlier versions' entries, for GetManagedPrefixListEntries' TargetVersion.
// A sha256 over the body turns any damage into a refusal to start instead of a different firewall.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SecurityGroupService } from '../control/service.js';
import { ruleKey } from '../control/permissions.js';
import type { PrefixListEntryRecord } from '../control/records.js';
import { countingIdGenerator } from '../model/ids.js';
import type { SnapshotDocument } from '../model/types.js';
import { writeFileAtomic, fsErrorText } from './durable-fs.js';
import { StateError } from './state-error.js';

export const SNAPSHOT_FORMAT = 'sgfw-state-snapshot/1';

export interface SnapshotBody {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly journalSeq: number;
  /** service.version when written; informational */
  readonly version: number;
  readonly ruleIds: readonly string[];
  readonly prefixListHistory: Readonly<Record<string, readonly (readonly [number, readonly PrefixListEntryRecord[]])[]>>;
  readonly state: Required<SnapshotDocument>;
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

const suffix = (id: string): string => id.slice(id.indexOf('-') + 1);

/** The snapshot of `service` as of journal entry `journalSeq`. */
export function buildSnapshot(service: SecurityGroupService, journalSeq: number): SnapshotBody {
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
  const prefixListHistory: Record<string, [number, PrefixListEntryRecord[]][]> = {};
  for (const pl of service.currentState.prefixLists.values()) {
    if (pl.history.size > 0) prefixListHistory[pl.prefixListId] = [...pl.history].map(([v, e]) => [v, [...e]]);
  }
  return { format: SNAPSHOT_FORMAT, journalSeq, version: service.version, ruleIds, prefixListHistory, state };
}

export async function writeSnapshot(file: string, dir: string, body: SnapshotBody): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify({ checksum: checksumOf(body), snapshot: body }, null, 1)}\n`, dir);
}

/** The snapshot in `file`, or undefined when there is none; StateError naming the file when it is damaged. */
export async function readSnapshot(file: string): Promise<SnapshotBody | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(file, '', `cannot read the snapshot: ${fsErrorText(e)}`);
  }
  let outer: { checksum?: unknown; snapshot?: Partial<SnapshotBody> };
  try {
    outer = JSON.parse(text) as typeof outer;
  } catch (e) {
    throw new StateError(file, '', `the snapshot is not valid JSON (${(e as Error).message}); the file is damaged`);
  }
  const body = outer?.snapshot;
  if (typeof outer !== 'object' || outer === null || typeof outer.checksum !== 'string' || typeof body !== 'object' || body === null) {
    throw new StateError(file, '', 'not an sgfw snapshot (expected {"checksum", "snapshot"})');
  }
  if (body.format !== SNAPSHOT_FORMAT) throw new StateError(file, 'snapshot.format', `expected ${SNAPSHOT_FORMAT}, got ${JSON.stringify(body.format)}`);
  if (checksumOf(body as SnapshotBody) !== outer.checksum) {
    throw new StateError(file, '', 'checksum mismatch: the snapshot was changed or damaged after it was written');
  }
  if (
    !Number.isSafeInteger(body.journalSeq) || !Array.isArray(body.ruleIds) || typeof body.state !== 'object' ||
    body.state === null || typeof body.prefixListHistory !== 'object'
  ) {
    throw new StateError(file, 'snapshot', 'the snapshot lacks journalSeq, ruleIds, prefixListHistory or state');
  }
  return body as SnapshotBody;
}
