// The EC2 source's last good listing on local disk, so that a restart while the endpoint is
// unreachable starts from what was last enforced, never from nothing (the fleet agent keeps its
// state the same way, fleet/agent-state-file.ts). One JSON file: the account as a state document,
// the region and filters it was read with, and when it was last known current (staleness survives a
// restart). Written atomically and read back with its format checked (state/saved-document.ts), so a
// crash leaves the old file or the new one.
import type { ModelDocument } from '../model/types.js';
import { readStateDocument } from '../state/state-document.js';
import { readSavedDocument, writeSavedDocument } from '../state/saved-document.js';

export const SOURCE_STATE_FORMAT = 'sgfw-ec2-source-state/1';

export interface SourceStateDocument {
  readonly format: string;
  readonly region: string;
  /** the endpoint it was read from (informative: an endpoint may move) */
  readonly endpoint: string;
  /** the --source-filter flags, as given */
  readonly filters: readonly string[];
  /** ms since the epoch: the last poll that read this listing */
  readonly currentAt: number;
  readonly document: ModelDocument;
}

export class SourceStateFileError extends Error {
  constructor(path: string, problem: string) {
    super(`source state file ${path}: ${problem}`);
    this.name = 'SourceStateFileError';
  }
}

export async function writeSourceState(path: string, doc: SourceStateDocument): Promise<void> {
  await writeSavedDocument(path, doc);
}

/**
 * The saved listing, or undefined when there is no file; SourceStateFileError when the file is
 * not one of ours or was read for another region or other filters.
 */
export async function readSourceState(path: string, expect: { region: string; filters: readonly string[] }): Promise<SourceStateDocument | undefined> {
  const doc = await readSavedDocument<SourceStateDocument>(path, SOURCE_STATE_FORMAT, (problem) => new SourceStateFileError(path, problem));
  if (doc === undefined) return undefined;
  if (!Number.isSafeInteger(doc.currentAt) || !Array.isArray(doc.filters)) throw new SourceStateFileError(path, 'currentAt or filters missing');
  const filters = (f: readonly string[]): string => JSON.stringify([...f].sort());
  if (doc.region !== expect.region || filters(doc.filters) !== filters(expect.filters)) {
    throw new SourceStateFileError(
      path,
      `holds region ${doc.region} with filters [${doc.filters.join(' ')}], not region ${expect.region} with filters [${expect.filters.join(' ')}]`,
    );
  }
  try {
    return { ...doc, document: readStateDocument(doc.document) };
  } catch (e) {
    throw new SourceStateFileError(path, `document: ${(e as Error).message}`);
  }
}
