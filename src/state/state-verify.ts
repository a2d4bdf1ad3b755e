// `sgfw state verify DIR`: every problem of a state directory, one line each, or what it proves.
// It reads without the lock (beside a running server, like `sgfw export`): while a server holds
// the directory, a snapshot or append landing between two reads is read again before it counts as
// a problem, and journal entries past `acked` are appends in flight, not a stale `acked`.
import { ACK_FILE } from './ack-file.js';
import { lockHolder } from './durable-lock.js';
import { loadProven } from './durable-store.js';
import { proveStateDir, SNAPSHOT_FILE, type DirProof } from './state-proof.js';
import { StateError } from './state-error.js';

export interface Verification {
  /** one line per problem; empty when the directory proves itself */
  readonly problems: readonly string[];
  /** what the directory holds, when it proves itself */
  readonly summary: string;
}

function summaryOf(dir: string, proof: DirProof): string {
  const s = proof.snapshot?.journalSeq ?? 0;
  const journal = proof.replay.length === 0 ? 'no journal entries after it' : `journal entries ${s + 1}..${proof.lastSeq}`;
  const torn = (proof.journal?.tornBytes ?? 0) > 0 ? `; a torn last line of ${proof.journal!.tornBytes} bytes (never acknowledged) is dropped at the next start` : '';
  switch (proof.kind) {
    case 'new':
      return `${dir}: no state yet (a first start makes it)`;
    case 'legacy':
      return `${dir}: the previous format (no ${ACK_FILE}, no journal header): ${SNAPSHOT_FILE} at entry ${s}, ${journal}; it cannot prove that no acknowledged entry is missing, and the next start upgrades it${torn}`;
    case 'unfinished-start':
      return `${dir}: ${SNAPSHOT_FILE} at entry ${s}, whose first start, upgrade or recovery was interrupted before anything was acknowledged; the next start finishes it`;
    case 'current':
      return `${dir}: proves itself: ${SNAPSHOT_FILE} at entry ${s}, ${journal}, acknowledged through entry ${proof.ack!.seq}${torn}`;
  }
}

export async function verifyStateDir(dir: string): Promise<Verification> {
  const live = (await lockHolder(dir)) !== undefined;
  let proof = await proveStateDir(dir, { live });
  for (let attempt = 0; live && proof.problems.length > 0 && attempt < 4; attempt++) {
    await new Promise((r) => setTimeout(r, 20));
    proof = await proveStateDir(dir, { live });
  }
  if (proof.problems.length > 0) return { problems: proof.problems.map((p) => p.message), summary: '' };
  try {
    loadProven(dir, proof, {});
  } catch (e) {
    if (e instanceof StateError) return { problems: [e.message], summary: '' };
    throw e;
  }
  return { problems: [], summary: summaryOf(dir, proof) };
}
