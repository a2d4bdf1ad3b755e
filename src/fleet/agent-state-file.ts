// The fleet agent's last applied state on local disk, so that a restart while etcd is unreachable
// boots into what it last enforced (issue 9). One JSON file: the held keys and their revision, the
// host and prefix they belong to, and when the agent last knew them current (staleness survives a
// restart). Written atomically and read back with its format checked (state/saved-document.ts, as
// the EC2 source's last listing), so a crash leaves the old file or the new one, never half of one.
import { readSavedDocument, writeSavedDocument } from '../state/saved-document.js';

export const AGENT_STATE_FORMAT = 'sgfw-agent-state/1';

export interface AgentStateDocument {
  readonly format: string;
  readonly prefix: string;
  readonly hostId: string;
  /** the etcd revision the keys are the state of */
  readonly revision: number;
  /** ms since the epoch: the last time the agent knew this state was current */
  readonly currentAt: number;
  readonly keys: readonly (readonly [key: string, value: string, modRevision: number])[];
}

export class AgentStateFileError extends Error {
  constructor(path: string, problem: string) {
    super(`agent state file ${path}: ${problem}`);
    this.name = 'AgentStateFileError';
  }
}

export async function writeAgentState(path: string, doc: AgentStateDocument): Promise<void> {
  await writeSavedDocument(path, doc);
}

/** The document, or undefined when there is no file; AgentStateFileError when it is not one of ours. */
export async function readAgentState(path: string, expect: { prefix: string; hostId: string }): Promise<AgentStateDocument | undefined> {
  const doc = await readSavedDocument<AgentStateDocument>(path, AGENT_STATE_FORMAT, (problem) => new AgentStateFileError(path, problem));
  if (doc === undefined) return undefined;
  if (doc.prefix !== expect.prefix || doc.hostId !== expect.hostId) {
    throw new AgentStateFileError(path, `holds host ${doc.hostId} under ${doc.prefix}, not host ${expect.hostId} under ${expect.prefix}`);
  }
  if (!Number.isSafeInteger(doc.revision) || !Array.isArray(doc.keys) || !doc.keys.every((k) => Array.isArray(k) && typeof k[0] === 'string' && typeof k[1] === 'string')) {
    throw new AgentStateFileError(path, 'revision or keys missing');
  }
  return doc;
}
