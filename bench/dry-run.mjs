// Issue 15: what one DryRun costs on a large model (2,500 groups × 60 ingress rules, in five VPCs).
// `dryRun` is how the API server answers DryRun now (SecurityGroupService.dryRun: the action on a
// draft that is dropped); `copy` is how it did before (a new service, importSnapshot(exportSnapshot()),
// then the call), kept here only to show the difference. Three calls: a revoke by rule id (the one
// that failed under the copy, whose import renumbered the rules), an authorize that would exceed the
// rule quota (refused), and a CreateSecurityGroup. Also the real call, for scale.
// Run: npm run build && node bench/dry-run.mjs [GROUPS] [RULES]
import { SecurityGroupService } from '../dist/control/service.js';
import { Ec2Error } from '../dist/model/ec2-error.js';
import { machine, median } from './lib/stats.mjs';

const GROUPS = Number(process.argv[2] ?? 2500);
const RULES = Number(process.argv[3] ?? 60);
const VPCS = 5;
const hex = (n, width = 17) => n.toString(16).padStart(width, '0');

function model() {
  const SecurityGroups = [];
  for (let g = 0; g < GROUPS; g++) {
    const IpPermissions = [];
    for (let r = 0; r < RULES; r++) {
      IpPermissions.push({ IpProtocol: 'tcp', FromPort: 1000 + r, ToPort: 1000 + r, IpRanges: [{ CidrIp: `10.${g % 256}.${r}.0/24` }] });
    }
    SecurityGroups.push({
      GroupId: `sg-${hex(g + 1)}`, GroupName: `g${g}`, Description: 'bench', VpcId: `vpc-${hex(1 + (g % VPCS))}`,
      IpPermissions, IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    });
  }
  return { SecurityGroups };
}

function outcome(fn) {
  try {
    fn();
    return 'would succeed';
  } catch (e) {
    if (e instanceof Ec2Error) return e.code;
    throw e;
  }
}

function time(fn, runs) {
  const ms = [];
  let result;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    result = fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: median(ms), result };
}

const svc = new SecurityGroupService();
const t0 = process.hrtime.bigint();
svc.importSnapshot(model());
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
const target = svc.group(`sg-${hex(GROUPS)}`);
const calls = [
  ['RevokeSecurityGroupIngress', { GroupId: target.groupId, SecurityGroupRuleIds: [target.ingress[0].ruleId] }],
  ['AuthorizeSecurityGroupIngress', { GroupId: target.groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 9, ToPort: 9, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] }],
  ['CreateSecurityGroup', { GroupName: 'new', Description: 'new', VpcId: `vpc-${hex(1)}` }],
];

/** The DryRun of before issue 15, for comparison only. */
function onCopy(action, params) {
  const copy = new SecurityGroupService({ accountId: svc.accountId, defaultVpcId: svc.defaultVpcId, limits: svc.limits });
  copy.importSnapshot(svc.exportSnapshot());
  return copy.call(action, params);
}

console.log(JSON.stringify(machine('node bench/dry-run.mjs')));
console.log(`model: ${GROUPS} groups × ${RULES} ingress rules (${GROUPS * (RULES + 1)} rules), loaded in ${loadMs.toFixed(0)} ms`);
const version = svc.version;
for (const [action, params] of calls) {
  const dry = time(() => outcome(() => svc.dryRun(action, params)), 50);
  const copy = time(() => outcome(() => onCopy(action, params)), 3);
  console.log(`${action}: dryRun ${dry.ms.toFixed(2)} ms (${dry.result}); on a copy ${copy.ms.toFixed(0)} ms (${copy.result})`);
}
if (svc.version !== version) throw new Error('a DryRun changed the model');
const real = time(() => outcome(() => svc.call(...calls[0])), 1);
console.log(`the real ${calls[0][0]}: ${real.ms.toFixed(2)} ms (${real.result})`);
