// The durable store's periodic snapshot, built without stopping the world (issue 15 item 3): the
// same snapshot.json that snapshot-file.ts's buildSnapshot and writeSnapshot make, byte for byte,
// but computed a slice of a few milliseconds at a time (slicer.ts) from a state captured between
// two changes, while the API keeps answering and later changes keep being journaled.
// - The capture is safe to read while the service moves on: a change replaces the service's state
//   with a draft and never alters a stored record or a state once current (control/records.ts).
// - buildSnapshot learns the id each rule will draw on recovery by importing the exported document
//   into a scratch service (seconds at 150,000 rules); the import makes a group's rules in the order
//   its rendered permissions list them (ingress, then egress), so rendering says that order here
//   (renderGroup's `order`). The tests hold the two to the same file.
// - Each group's part (its text in the checksummed body and in the file, its rules' ids, its tagged
//   rules) is kept for the next snapshot, keyed by the group's record: records never change once
//   stored, so a group no call touched since is not rendered or serialised again; only whether its
//   references to other groups and prefix lists are stale can change its text, and that is checked.
//   At 150,000 rules a snapshot after 1,000 calls then renders the few hundred groups they touched
//   instead of 2,500 (the texts kept cost about the file's size in memory).
// - The checksum (over the compact body) and the file text (indented) are serialised in slices too
//   (json-slices.ts), and the file is written in pieces by writeFileAtomic.
import { createHash } from 'node:crypto';
import type { SecurityGroup, SecurityGroupRule } from '../model/types.js';
import type { GroupRecord, ModelState, RuleRecord } from '../control/records.js';
import { isStale, renderGroup } from '../control/render.js';
import { exportSnapshotWith, taggedRulesOf } from '../control/snapshot.js';
import { writeFileAtomic } from './durable-fs.js';
import { nestedText, stringifyInSlices } from './json-slices.js';
import { SNAPSHOT_INDENT, snapshotBody, suffix, type SnapshotBody, type SnapshotPoint } from './snapshot-file.js';
import type { Slicer } from './slicer.js';

/** What a snapshot is taken of: one state of the service, captured between two changes. */
export interface CapturedState {
  readonly state: ModelState;
  readonly version: number;
  readonly accountId: string;
  readonly region: string;
}

// Walked item by item down to the groups of state.SecurityGroups ({checksum, snapshot} → snapshot
// → state → SecurityGroups → each group), and the ids of snapshot.ruleIds.
const WALK_DEPTH = 4;
// The file goes out in pieces of about this many characters (fewer writes than one per group).
const PIECE = 1 << 20;

// snapshot.ruleIds sits this deep in the file ({checksum, snapshot} → snapshot → ruleIds)
const IDS_LEVEL = 2;
// between two ids of snapshot.ruleIds in the file (one per line) and in the compact body
const FILE_ID_SEPARATOR = `,\n${' '.repeat((IDS_LEVEL + 1) * SNAPSHOT_INDENT)}`;

/** One group's share of a snapshot, kept while its record lives. */
class GroupPart {
  constructor(
    /** its text in the checksummed (compact) body */
    readonly compact: string,
    /** its text in the file, where it sits WALK_DEPTH levels deep */
    readonly indented: string,
    /** its rules' id suffixes, in the order the import makes the rules */
    readonly ruleIds: readonly string[],
    /** the same as they read in snapshot.ruleIds, compact and in the file ('' for none) */
    readonly idsCompact: string,
    readonly idsIndented: string,
    readonly tagged: readonly SecurityGroupRule[],
    /** its rules that reference a group or a prefix list, and whether each was stale then */
    readonly references: readonly RuleRecord[],
    readonly stale: string,
  ) {}

  text(indent: number, level: number): string {
    if (indent === 0) return this.compact;
    if (indent === SNAPSHOT_INDENT && level === WALK_DEPTH) return this.indented;
    throw new Error(`snapshot: no text of a group at indent ${indent}, level ${level}`);
  }
}

const parts = new WeakMap<GroupRecord, GroupPart>();

const staleness = (references: readonly RuleRecord[], state: ModelState): string => references.map((r) => (isStale(r, state) ? '1' : '0')).join('');

function partOf(g: GroupRecord, state: ModelState): GroupPart {
  const kept = parts.get(g);
  if (kept !== undefined && (kept.references.length === 0 || staleness(kept.references, state) === kept.stale)) return kept;
  const order: RuleRecord[] = [];
  const rendered = renderGroup(g, state, undefined, order);
  const references = [...g.ingress, ...g.egress].filter((r) => r.peer.kind === 'group' || r.peer.kind === 'prefix-list');
  const ids = order.map((r) => suffix(r.ruleId));
  const quoted = ids.map((id) => JSON.stringify(id));
  const part = new GroupPart(
    JSON.stringify(rendered),
    nestedText(rendered, WALK_DEPTH, SNAPSHOT_INDENT),
    ids,
    quoted.join(','),
    quoted.join(FILE_ID_SEPARATOR),
    taggedRulesOf(g, state),
    references,
    staleness(references, state),
  );
  parts.set(g, part);
  return part;
}

/**
 * snapshot.ruleIds as text, from the groups' parts: 150,000 ids item by item were 300,000 small
 * pieces (two walks) and as many hash updates.
 */
class RuleIdsText {
  constructor(private readonly parts: readonly GroupPart[]) {}

  text(indent: number, level: number): string {
    const some = this.parts.filter((p) => p.ruleIds.length > 0);
    if (some.length === 0) return '[]';
    if (indent === 0) return `[${some.map((p) => p.idsCompact).join(',')}]`;
    if (indent === SNAPSHOT_INDENT && level === IDS_LEVEL) {
      return `[\n${' '.repeat((IDS_LEVEL + 1) * SNAPSHOT_INDENT)}${some.map((p) => p.idsIndented).join(FILE_ID_SEPARATOR)}\n${' '.repeat(IDS_LEVEL * SNAPSHOT_INDENT)}]`;
    }
    throw new Error(`snapshot: no text of the rule ids at indent ${indent}, level ${level}`);
  }
}

/** A snapshot ready to be written: its body, with each group's part where the group goes. */
export interface PreparedSnapshot {
  readonly body: SnapshotBody;
}

/** buildSnapshot's body, in slices, from a captured state (its groups as their kept parts). */
export async function buildSnapshotInSlices(captured: CapturedState, at: SnapshotPoint, slicer: Slicer): Promise<PreparedSnapshot> {
  const { state, accountId, region } = captured;
  const groups: GroupPart[] = [];
  const taggedRules: SecurityGroupRule[] = [];
  for (const g of state.groups.values()) {
    const part = partOf(g, state);
    groups.push(part);
    taggedRules.push(...part.tagged);
    if (slicer.due) await slicer.pause();
  }
  // the parts stand where the rendered groups and the rule ids go; only writeSnapshotInSlices reads the body
  const document = exportSnapshotWith(state, accountId, region, groups as unknown as SecurityGroup[], taggedRules);
  return { body: snapshotBody(state, captured.version, at, document, new RuleIdsText(groups) as unknown as string[]) };
}

const partText = (value: object, indent: number, level: number): string | undefined =>
  value instanceof GroupPart || value instanceof RuleIdsText ? value.text(indent, level) : undefined;

/** writeSnapshot(file, dir, body), the text serialised in slices. */
export async function writeSnapshotInSlices(file: string, dir: string, prepared: PreparedSnapshot, slicer: Slicer): Promise<void> {
  const { body } = prepared;
  const hash = createHash('sha256');
  await stringifyInSlices(body, 0, WALK_DEPTH - 1, slicer, (piece) => hash.update(piece), partText);
  const pieces: string[] = [];
  let current: string[] = [];
  let size = 0;
  const push = (piece: string): void => {
    current.push(piece);
    size += piece.length;
    if (size >= PIECE) {
      pieces.push(current.join(''));
      current = [];
      size = 0;
    }
  };
  await stringifyInSlices({ checksum: `sha256:${hash.digest('hex')}`, snapshot: body }, SNAPSHOT_INDENT, WALK_DEPTH, slicer, push, partText);
  push('\n');
  pieces.push(current.join(''));
  await writeFileAtomic(file, pieces, dir);
}
