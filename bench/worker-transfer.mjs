// Issue 18: what crosses to a worker thread at 2,500 groups × 60 rules (200 interfaces): the model
// image a worker starts from (build, size, structured clone), the first compile and a full rebuild
// on a worker's mirror, and one change as a delta (build on the main thread, apply on a worker).
// Medians of 5 (3 for compiles). Run: npm run build && node bench/worker-transfer.mjs
import { serialize } from 'node:v8';
import { SecurityGroupService } from '../dist/control/service.js';
import { Dataplane } from '../dist/dataplane/dataplane.js';
import { modelImage, modelDelta, ModelMirror } from '../dist/dataplane/model-mirror.js';
import { loadStateFiles } from '../dist/state/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'sgfw-bench-transfer-'));
const BIG = join(dir, 'state.json');
const hex = (n) => n.toString(16).padStart(17, '0');
const SecurityGroups = [];
for (let g = 0; g < 2500; g++) {
  const IpPermissions = [];
  for (let r = 0; r < 59; r++) IpPermissions.push({ IpProtocol: 'tcp', FromPort: 1000 + r, ToPort: 1000 + r, IpRanges: [{ CidrIp: `10.${g % 256}.${r}.0/24` }] });
  SecurityGroups.push({ GroupId: `sg-${hex(g + 1)}`, GroupName: `g${g}`, Description: 'b', VpcId: `vpc-${hex(1)}`, IpPermissions, IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
}
const NetworkInterfaces = Array.from({ length: 200 }, (_, i) => ({ NetworkInterfaceId: `eni-${hex(i + 1)}`, VpcId: `vpc-${hex(1)}`, PrivateIpAddress: `10.200.${i >> 8}.${i & 255}`, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: `10.200.${i >> 8}.${i & 255}` }], Groups: [{ GroupId: `sg-${hex((i % 2500) + 1)}` }, { GroupId: `sg-${hex(((i * 13) % 2500) + 1)}` }] }));
writeFileSync(BIG, JSON.stringify({ SecurityGroups, NetworkInterfaces }));
const s = new SecurityGroupService({ ruleIdsFromContent: true });
await loadStateFiles([BIG], s);
rmSync(dir, { recursive: true, force: true });
const med = (f, n = 5) => { const xs = []; for (let i = 0; i < n; i++) { const t = performance.now(); f(); xs.push(performance.now() - t); } xs.sort((a, b) => a - b); return xs[n >> 1]; };
let img;
const tImage = med(() => (img = modelImage(s)));
let bytes = 0;
const tClone = med(() => { bytes = serialize(img).length; });
const tClone2 = med(() => structuredClone(img));
const dp = new Dataplane(new ModelMirror(img), { conntrackCapacity: 1024 });
const tCompile = med(() => dp.applyModel(), 3);
const g = [...s.groups()][5].groupId;
let change;
s.onChange((c) => (change = c));
s.authorizeSecurityGroupIngress({ GroupId: g, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] });
let delta;
const tDelta = med(() => (delta = modelDelta(s, change)));
const mirror = new ModelMirror(img);
const dp2 = new Dataplane(mirror, { conntrackCapacity: 1024 });
const tApply = med(() => { mirror.apply(structuredClone(delta)); dp2.applyModel(delta.change); });
console.log(JSON.stringify({ rules: 2500 * 60, interfaces: 200, imageMs: tImage, imageBytes: bytes, cloneMs: tClone2, serializeMs: tClone, fullCompileMs: tCompile, deltaMs: tDelta, deltaBytes: serialize(delta).length, applyDeltaMs: tApply }));
{
  const t = performance.now();
  const d = new Dataplane(new ModelMirror(img), { conntrackCapacity: 1024 });
  console.log(JSON.stringify({ firstCompileMs: performance.now() - t, rebuild: d.lastRebuildMs }));
}
