// The API flood of bench/control-plane-load.mjs, run inside the host's namespace against the API on
// its loopback: CONCURRENCY loops, each cycling DryRun authorize, describe of one group, describe of
// its rules, a real authorize and its revoke, for SECONDS. Prints one JSON line: latencies (ms) by call,
// and the calls over 50 ms with when they started (µs of CLOCK_MONOTONIC, the clock of V8's CPU
// profiles, so that --profile's profiles say what the server was doing then).
//   node bench/lib/api-flood.mjs ENDPOINT KEY SECRET GROUPS SECONDS CONCURRENCY
import {
  AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';

const [endpoint, accessKeyId, secretAccessKey, groupsText, secondsText, concurrencyText] = process.argv.slice(2);
const GROUPS = Number(groupsText);
const ec2 = new EC2Client({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId, secretAccessKey } });
const hex = (n) => n.toString(16).padStart(17, '0');
const until = Date.now() + Number(secondsText) * 1000;
const times = { dryRun: [], describeGroup: [], describeRules: [], authorize: [], revoke: [] };
const slow = [];
let errors = 0;

async function timed(name, command, expectCode) {
  const t0 = performance.now();
  const startedUs = Number(process.hrtime.bigint() / 1000n);
  try {
    await ec2.send(command);
  } catch (e) {
    if (e.name !== expectCode) {
      errors++;
      if (errors < 5) console.error(name, e.name, e.message);
    }
  }
  const ms = performance.now() - t0;
  times[name].push(ms);
  if (ms > 50) slow.push([startedUs, name, Math.round(ms * 10) / 10]);
}

async function loop(k) {
  let n = 0;
  while (Date.now() < until) {
    const g = `sg-${hex(1 + ((k * 7919 + n) % GROUPS))}`;
    const permission = { IpProtocol: 'tcp', FromPort: 40000 + k, ToPort: 40000 + k, IpRanges: [{ CidrIp: `198.51.100.${n % 250}/32` }] };
    await timed('dryRun', new AuthorizeSecurityGroupIngressCommand({ GroupId: g, IpPermissions: [permission], DryRun: true }), 'DryRunOperation');
    await timed('describeGroup', new DescribeSecurityGroupsCommand({ GroupIds: [g] }));
    await timed('describeRules', new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [g] }], MaxResults: 100 }));
    await timed('authorize', new AuthorizeSecurityGroupIngressCommand({ GroupId: g, IpPermissions: [permission] }));
    await timed('revoke', new RevokeSecurityGroupIngressCommand({ GroupId: g, IpPermissions: [permission] }));
    n++;
  }
}

await Promise.all(Array.from({ length: Number(concurrencyText) }, (_, k) => loop(k)));
console.log(JSON.stringify({ times, errors, slow }));
