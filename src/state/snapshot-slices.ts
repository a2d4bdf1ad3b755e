// The durable store's periodic snapshot, built without stopping the world (issue 15 item 3): the
// same snapshot.json that snapshot-file.ts's buildSnapshot and writeSnapshot make, byte for byte,
// but computed a slice of a few milliseconds at a time (slicer.ts) from a state captured between
// two changes, while the API keeps answering and later changes keep being journaled.
// - The capture is safe to read while the service moves on: a change replaces the service's state
//   with a draft and never alters a stored record or a state once current (control/records.ts).
// - buildSnapshot learns the id each rule will draw on recovery by importing the exported document
//   into a scratch service (seconds at 150,000 rules); here each group's exported permissions are
//   expanded as that import expands them (expandPermissions, groups in order, ingress then egress)
//   and each expanded rule is looked up by its content among the group's rules. The tests hold
//   the two to the same file.
// - The checksum (over the compact body) and the file text (indented) are serialised in slices too
//   (json-slices.ts), and the file is written in pieces by writeFileAtomic.
import { createHash } from 'node:crypto';
import type { SecurityGroup, SecurityGroupRule } from '../model/types.js';
import type { ModelState } from '../control/records.js';
import { expandPermissions, ruleKey } from '../control/permissions.js';
import { renderGroup } from '../control/render.js';
import { exportSnapshotWith, taggedRulesOf } from '../control/snapshot.js';
import { writeFileAtomic } from './durable-fs.js';
import { stringifyInSlices } from './json-slices.js';
import { SNAPSHOT_INDENT, snapshotBody, suffix, type SnapshotBody, type SnapshotPoint } from './snapshot-file.js';
import type { Slicer } from './slicer.js';

/** What a snapshot is taken of: one state of the service, captured between two changes. */
export interface CapturedState {
  readonly state: ModelState;
  readonly version: number;
  readonly accountId: string;
  readonly region: string;
}

/** buildSnapshot's body, in slices, from a captured state. */
export async function buildSnapshotInSlices(captured: CapturedState, at: SnapshotPoint, slicer: Slicer): Promise<SnapshotBody> {
  const { state, accountId, region } = captured;
  const securityGroups: SecurityGroup[] = [];
  const taggedRules: SecurityGroupRule[] = [];
  const ruleIds: string[] = [];
  for (const g of state.groups.values()) {
    const rendered = renderGroup(g, state);
    securityGroups.push(rendered);
    taggedRules.push(...taggedRulesOf(g, state));
    for (const egress of [false, true]) {
      const own = egress ? g.egress : g.ingress;
      const byKey = new Map<string, string>();
      for (const r of own) byKey.set(ruleKey(r), r.ruleId);
      const perms = (egress ? rendered.IpPermissionsEgress : rendered.IpPermissions) ?? [];
      const specs = expandPermissions(perms, { state, accountId, vpcId: g.vpcId, egress, keepMissingReferences: true }, g.groupId);
      // one for one: every rule once (the import would refuse a second rule of the same content)
      for (const spec of specs) {
        const key = ruleKey(spec);
        const id = byKey.get(key);
        if (id === undefined) throw new Error(`snapshot: rule ${g.groupId}|${key} does not survive export and import`);
        byKey.delete(key);
        ruleIds.push(suffix(id));
      }
      if (byKey.size > 0) throw new Error(`snapshot: rules of ${g.groupId} do not survive export and import`);
    }
    if (slicer.due) await slicer.pause();
  }
  const document = exportSnapshotWith(state, accountId, region, securityGroups, taggedRules);
  return snapshotBody(state, captured.version, at, document, ruleIds);
}

// Walked item by item down to the groups of state.SecurityGroups ({checksum, snapshot} → snapshot
// → state → SecurityGroups → each group), and the ids of snapshot.ruleIds.
const WALK_DEPTH = 4;
// The file goes out in pieces of about this many characters (fewer writes than one per group).
const PIECE = 1 << 20;

/** writeSnapshot(file, dir, body), the text serialised in slices. */
export async function writeSnapshotInSlices(file: string, dir: string, body: SnapshotBody, slicer: Slicer): Promise<void> {
  const hash = createHash('sha256');
  await stringifyInSlices(body, 0, WALK_DEPTH - 1, slicer, (piece) => hash.update(piece));
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
  await stringifyInSlices({ checksum: `sha256:${hash.digest('hex')}`, snapshot: body }, SNAPSHOT_INDENT, WALK_DEPTH, slicer, push);
  push('\n');
  pieces.push(current.join(''));
  await writeFileAtomic(file, pieces, dir);
}
