// Issue 15 item 3: the durable store's snapshot at 2,500 groups × 60 rules (150,000 rules), built
// and written in one piece (snapshot-file.ts: buildSnapshot + writeSnapshot, what the store did on
// the thread that answers the API) against in slices (snapshot-slices.ts, what it does now): the
// time the thread is held at once (one piece: all of it; slices: the longest slice), the wall time
// to a written file, and the event loop's worst lateness meanwhile (1 ms resolution). The two
// files are compared byte for byte. Interleaved rounds, medians. Before each round 500 groups
// change (a rule authorized, revoked the round after: what 1,000 calls between two snapshots touch at
// most); the sliced snapshot re-renders only groups changed since it last ran (snapshot-slices.ts),
// so its first round, with nothing kept yet, is reported apart (slicedFirst).
//   npm run build && node bench/snapshot-slices.mjs [--rounds 3] [--groups 2500]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SecurityGroupService } from '../dist/control/service.js';
import { buildSnapshot, writeSnapshot } from '../dist/state/snapshot-file.js';
import { buildSnapshotInSlices, writeSnapshotInSlices } from '../dist/state/snapshot-slices.js';
import { Slicer } from '../dist/state/slicer.js';
import { machine } from './lib/stats.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 3);
const GROUPS = arg('groups', 2500);
const hex = (n) => n.toString(16).padStart(17, '0');
const SecurityGroups = [];
for (let g = 0; g < GROUPS; g++) {
  const IpPermissions = [];
  for (let r = 0; r < 59; r++) IpPermissions.push({ IpProtocol: 'tcp', FromPort: 1000 + r, ToPort: 1000 + r, IpRanges: [{ CidrIp: `10.${g % 256}.${r}.0/24` }] });
  SecurityGroups.push({ GroupId: `sg-${hex(g + 1)}`, GroupName: `g${g}`, Description: 'b', VpcId: `vpc-${hex(1)}`, IpPermissions, IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
}
const service = new SecurityGroupService();
service.importSnapshot({ SecurityGroups, NetworkInterfaces: [] });
const dir = mkdtempSync(join(tmpdir(), 'sgfw-bench-snapshot-'));
const at = { dir: '0123456789abcdef', journalSeq: 1000, chain: 'fedcba9876543210' };
let captured;
const capture = () => (captured = { state: service.currentState, version: service.version, accountId: service.accountId, region: service.region });
const CHANGED = Math.min(500, GROUPS);
function change(round) {
  const permission = { IpProtocol: 'tcp', FromPort: 9, ToPort: 9, IpRanges: [{ CidrIp: '192.0.2.0/24' }] };
  for (let i = 0; i < CHANGED; i++) {
    const GroupId = `sg-${hex(1 + ((Math.floor(round / 2) * 7 + i * Math.floor(GROUPS / CHANGED)) % GROUPS))}`;
    if (round % 2 === 0) service.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [permission] });
    else service.revokeSecurityGroupIngress({ GroupId, IpPermissions: [permission] });
  }
  capture();
}

async function lateness(work) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const extra = await work();
  const wallMs = performance.now() - t0;
  h.disable();
  return { wallMs, loopLateMaxMs: Math.max(0, h.max / 1e6 - 1), ...extra };
}

const onePiece = () => lateness(async () => {
  const t0 = performance.now();
  const body = buildSnapshot(service, at);
  const held = performance.now() - t0;
  const t1 = performance.now();
  // writeSnapshot serialises synchronously before its first await: that is held too
  const writing = writeSnapshot(join(dir, 'one.json'), dir, body);
  const heldWrite = performance.now() - t1;
  await writing;
  return { heldMs: held + heldWrite };
});
const sliced = () => lateness(async () => {
  const slicer = new Slicer();
  const prepared = await buildSnapshotInSlices(captured, at, slicer);
  await writeSnapshotInSlices(join(dir, 'sliced.json'), dir, prepared, slicer);
  return { heldMs: slicer.longestMs, slices: slicer.slices };
});

capture();
const slicedFirst = await sliced();
const rows = { onePiece: [], sliced: [] };
for (let r = 0; r < ROUNDS; r++) {
  change(r);
  for (const [name, run] of r % 2 === 0 ? [['onePiece', onePiece], ['sliced', sliced]] : [['sliced', sliced], ['onePiece', onePiece]]) rows[name].push(await run());
}
const same = readFileSync(join(dir, 'one.json')).equals(readFileSync(join(dir, 'sliced.json')));
const bytes = readFileSync(join(dir, 'one.json')).length;
rmSync(dir, { recursive: true, force: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const summary = Object.fromEntries(Object.entries(rows).map(([name, xs]) => [name, Object.fromEntries(Object.keys(xs[0]).map((k) => [k, Math.round(median(xs.map((x) => x[k])) * 10) / 10]))]));
const rounded = Object.fromEntries(Object.entries(slicedFirst).map(([k, v]) => [k, Math.round(v * 10) / 10]));
console.log(JSON.stringify({ machine: machine(), groups: GROUPS, rules: GROUPS * 60, changedPerRound: CHANGED, bytes, sameFile: same, rounds: ROUNDS, slicedFirst: rounded, median: summary }, null, 2));
