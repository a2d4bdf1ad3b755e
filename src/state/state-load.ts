// A proven state directory's files → a live service: the snapshot imported with its rule ids and
// prefix-list history, then the journal entries replayed through the same service code that ran
// them, each handed back the ids it drew. Shared by the store's open, export and recover.
import { SecurityGroupService, type ServiceOptions } from '../control/service.js';
import { Ec2Error } from '../model/ec2-error.js';
import { randomIdSuffix } from '../model/ids.js';
import type { SnapshotDocument } from '../model/types.js';
import { IdSource } from './journal-ids.js';
import type { JournalEntry } from './journal-file.js';
import { ShapeError } from './json-shape.js';
import type { SnapshotBody } from './snapshot-file.js';
import { readStateDocument } from './state-document.js';
import { StateError } from './state-error.js';
import { runStoreAction } from './store-front.js';

export interface LoadedService {
  readonly service: SecurityGroupService;
  readonly ids: IdSource;
}

function problemOf(e: unknown): string {
  if (e instanceof Ec2Error) {
    const path = (e as Ec2Error & { path?: unknown }).path;
    return `${typeof path === 'string' ? `${path}: ` : ''}${e.code}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** An empty service whose ids come from an IdSource (so journal replay can hand ids back). */
export function emptyService(options: ServiceOptions | undefined): LoadedService {
  const ids = new IdSource(options?.idGenerator ?? randomIdSuffix);
  return { service: new SecurityGroupService({ ...options, idGenerator: ids.next }), ids };
}

/** The service `snapshot` holds; StateError naming `file` when it does not load. */
export function serviceFromSnapshot(file: string, snapshot: SnapshotBody, options: ServiceOptions | undefined): LoadedService {
  const { service, ids } = emptyService(options);
  let doc: SnapshotDocument;
  try {
    doc = readStateDocument(snapshot.state);
  } catch (e) {
    if (e instanceof ShapeError) throw new StateError(file, `snapshot.state.${e.path}`, e.problem);
    throw e;
  }
  ids.beginReplay(snapshot.ruleIds);
  try {
    service.importSnapshot(doc);
  } catch (e) {
    throw new StateError(file, 'snapshot.state', `the snapshot does not load: ${problemOf(e)}`);
  }
  if (!ids.endReplay()) throw new StateError(file, 'snapshot.ruleIds', 'the rule ids do not match the rules');
  // Prefix-list history, which the AWS-shaped document cannot hold; records are replaced, never mutated.
  const lists = service.currentState.prefixLists;
  for (const [id, history] of Object.entries(snapshot.prefixListHistory)) {
    const pl = lists.get(id);
    if (pl !== undefined) lists.set(id, { ...pl, history: new Map(history) });
  }
  // Client tokens (control/client-tokens.ts), oldest first as the snapshot lists them.
  for (const t of snapshot.clientTokens ?? []) service.currentState.writableClientTokens().set(t.token, t);
  return { service, ids };
}

/** Replays one journal entry; StateError naming `file` and the entry when it does not fit. */
export function replayEntry(loaded: LoadedService, entry: JournalEntry & { line?: number }, file: string): void {
  const where = `${entry.line === undefined ? '' : `line ${entry.line} `}(entry ${entry.seq})`;
  loaded.ids.beginReplay(entry.ids);
  try {
    runStoreAction(loaded.service, entry.action, entry.params);
  } catch (e) {
    loaded.ids.endReplay();
    throw new StateError(file, where, `replaying ${entry.action} failed (${problemOf(e)}); the journal does not fit the snapshot`);
  }
  if (!loaded.ids.endReplay()) throw new StateError(file, where, `replaying ${entry.action} used other ids than it recorded`);
}
