// Writes src/api/ec2-shapes.ts from botocore's EC2 service model, in two steps so CI needs no
// particular botocore:
//   1. extractModel: the part of the model (data/ec2/2016-11-15/service-2.json.gz) reachable from
//      the EC2 actions sgfw serves, documentation dropped → scripts/ec2-model-subset.json (checked in).
//   2. generateShapes: that extract → the TypeScript tables (checked in), byte for byte the same on
//      every run (test/api/codec/ec2-shapes-gen.test.ts regenerates and compares).
// `npm run gen:ec2-shapes` runs step 2; `npm run gen:ec2-shapes -- --extract` runs both, reading the
// model of the pip-installed botocore of `python3` (Debian's python3-botocore is older).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * The EC2 actions sgfw serves (sgfw's own, RegisterNetworkInterface and the like, are not in the
 * model: src/api/served-shapes.ts writes them by hand). The tables keep this order.
 */
export const SERVED_EC2_ACTIONS: readonly string[] = [
  'CreateSecurityGroup', 'DeleteSecurityGroup',
  'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
  'DescribeSecurityGroups', 'DescribeSecurityGroupRules',
  'UpdateSecurityGroupRuleDescriptionsIngress', 'UpdateSecurityGroupRuleDescriptionsEgress', 'ModifySecurityGroupRules',
  'ModifyNetworkInterfaceAttribute',
  'CreateManagedPrefixList', 'ModifyManagedPrefixList', 'GetManagedPrefixListEntries', 'DescribeManagedPrefixLists',
  'DeleteManagedPrefixList',
  'DescribeNetworkInterfaces',
  'CreateTags', 'DeleteTags', 'DescribeTags',
  'CreateVpc', 'DeleteVpc', 'DescribeVpcs', 'AssociateVpcCidrBlock', 'DisassociateVpcCidrBlock',
  'DescribePrefixLists', 'DescribeStaleSecurityGroups',
  'CreateSubnet', 'DeleteSubnet', 'DescribeSubnets',
  'CreateNetworkInterface', 'DeleteNetworkInterface',
  'AssignPrivateIpAddresses', 'UnassignPrivateIpAddresses', 'AssignIpv6Addresses', 'UnassignIpv6Addresses',
];

/**
 * Where EC2 prints members in another order than botocore lists them, the order it prints (the
 * renderer follows the table; the request decoder does not care). Named members come first, the
 * rest follow in botocore's order. Sources:
 * - SecurityGroup: ownerId, groupId, groupName, groupDescription, vpcId, ipPermissions,
 *   ipPermissionsEgress in every example of the API reference's DescribeSecurityGroups
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html);
 *   tagSet (absent there: untagged groups) after them.
 * - UserIdGroupPair: userId, groupId, vpcId, vpcPeeringConnectionId, peeringStatus (examples 1 and
 *   4 there); groupName and description, which it does not show, after the ids, as description
 *   follows cidrIp in an ip range.
 * - IpRange: <cidrIp> then <description> (example 4 there); Ipv6Range and PrefixListId alike.
 */
const PRINTED_ORDER: Readonly<Record<string, readonly string[]>> = {
  SecurityGroup: ['OwnerId', 'GroupId', 'GroupName', 'Description', 'VpcId', 'IpPermissions', 'IpPermissionsEgress', 'Tags'],
  UserIdGroupPair: ['UserId', 'GroupId', 'GroupName', 'VpcId', 'VpcPeeringConnectionId', 'PeeringStatus', 'Description'],
  IpRange: ['CidrIp', 'Description'],
  Ipv6Range: ['CidrIpv6', 'Description'],
  PrefixListId: ['PrefixListId', 'Description'],
};

/** The named shapes src/api/served-shapes.ts builds sgfw's own actions from. */
const EXPORTED_SHAPES: readonly string[] = ['NetworkInterface'];

// ---- the model ------------------------------------------------------------------------------------

interface ModelMember {
  shape: string;
  locationName?: string;
  queryName?: string;
  [k: string]: unknown;
}
interface ModelShape {
  type: string;
  members?: Record<string, ModelMember>;
  member?: ModelMember;
  required?: string[];
  [k: string]: unknown;
}
interface ModelOperation {
  name: string;
  input?: { shape: string };
  output?: { shape: string };
  [k: string]: unknown;
}
export interface Ec2Model {
  metadata: Record<string, unknown>;
  operations: Record<string, ModelOperation>;
  shapes: Record<string, ModelShape>;
  [k: string]: unknown;
}
/** The checked-in extract: what generateShapes reads. */
export interface ModelSubset {
  botocoreVersion: string;
  metadata: Record<string, unknown>;
  operations: Record<string, { input?: { shape: string }; output?: { shape: string } }>;
  shapes: Record<string, ModelShape>;
}

const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
export const SUBSET_PATH = join(ROOT, 'scripts', 'ec2-model-subset.json');
export const SHAPES_PATH = join(ROOT, 'src', 'api', 'ec2-shapes.ts');

/** The pip botocore of `python3`: its version and EC2 model, or undefined when there is none. */
export function findPipBotocore(): { version: string; modelPath: string } | undefined {
  let out: string;
  try {
    out = execFileSync('python3', ['-c', 'import botocore, os; print(botocore.__version__); print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
  const [version, dir] = out.trim().split('\n');
  if (version === undefined || dir === undefined) return undefined;
  const modelPath = join(dir, 'data', 'ec2', '2016-11-15', 'service-2.json.gz');
  return existsSync(modelPath) ? { version, modelPath } : undefined;
}

export function readModel(modelPath: string): Ec2Model {
  return JSON.parse(gunzipSync(readFileSync(modelPath)).toString('utf8')) as Ec2Model;
}

/** `value` without its `documentation` keys, at every depth. */
function undocumented<T>(value: T): T {
  if (Array.isArray(value)) return value.map(undocumented) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== 'documentation') out[k] = undocumented(v);
  return out as T;
}

/** The operations of `actions` and every shape their input and output reach, documentation dropped. */
export function extractModel(model: Ec2Model, botocoreVersion: string, actions: readonly string[] = SERVED_EC2_ACTIONS): ModelSubset {
  const reached = new Set<string>();
  const walk = (name: string): void => {
    if (reached.has(name)) return;
    const shape = model.shapes[name];
    if (shape === undefined) throw new Error(`the model has no shape ${name}`);
    reached.add(name);
    for (const m of Object.values(shape.members ?? {})) walk(m.shape);
    if (shape.member !== undefined) walk(shape.member.shape);
  };
  const operations: ModelSubset['operations'] = {};
  for (const action of actions) {
    const op = model.operations[action];
    if (op === undefined) throw new Error(`the model has no operation ${action}`);
    operations[action] = {
      ...(op.input !== undefined ? { input: { shape: op.input.shape } } : {}),
      ...(op.output !== undefined ? { output: { shape: op.output.shape } } : {}),
    };
    if (op.input !== undefined) walk(op.input.shape);
    if (op.output !== undefined) walk(op.output.shape);
  }
  const shapes: Record<string, ModelShape> = {};
  for (const name of [...reached].sort()) shapes[name] = undocumented(model.shapes[name]!);
  const { apiVersion, protocol, xmlNamespace } = model.metadata;
  return { botocoreVersion, metadata: { apiVersion, protocol, xmlNamespace }, operations, shapes };
}

export function formatSubset(subset: ModelSubset): string {
  return `${JSON.stringify(subset, null, 1)}\n`;
}

// ---- the TypeScript ---------------------------------------------------------------------------------

const SCALARS: Readonly<Record<string, string>> = {
  string: 'S', blob: 'S', integer: 'I', long: 'I', boolean: 'B', double: 'D', float: 'D', timestamp: 'T',
};

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function orderedMembers(name: string, shape: ModelShape): [string, ModelMember][] {
  const entries = Object.entries(shape.members ?? {});
  const first = PRINTED_ORDER[name];
  if (first === undefined) return entries;
  for (const m of first) if (shape.members?.[m] === undefined) throw new Error(`PRINTED_ORDER names ${name}.${m}, which the model lacks`);
  const rank = (m: string): number => (first.includes(m) ? first.indexOf(m) : first.length);
  return entries.map((e, i) => [e, i] as const).sort((a, b) => rank(a[0][0]) - rank(b[0][0]) || a[1] - b[1]).map(([e]) => e);
}

/**
 * The TypeScript of src/api/ec2-shapes.ts for `subset`: every structure reached as a const (those it
 * uses first), scalars and lists inline, then the request and response tables in action order.
 */
export function generateShapes(subset: ModelSubset): string {
  const { shapes } = subset;
  const emitted = new Set<string>();
  const visiting = new Set<string>();
  const blocks: string[] = [];
  const letters = new Set<string>();

  const ref = (name: string): string => {
    const shape = shapes[name];
    if (shape === undefined) throw new Error(`the extract has no shape ${name}`);
    const scalar = SCALARS[shape.type];
    if (scalar !== undefined) {
      letters.add(scalar);
      return scalar;
    }
    if (shape.type === 'list') return `list(${ref(shape.member!.shape)})`;
    if (shape.type !== 'structure') throw new Error(`shape ${name} is a ${shape.type}, which sgfw's tables cannot hold`);
    emit(name);
    return name;
  };

  const memberSpec = (m: ModelMember): string => {
    const shape = ref(m.shape);
    if (m.queryName !== undefined) return `[${shape}, ${m.locationName !== undefined ? quote(m.locationName) : 'undefined'}, ${quote(m.queryName)}]`;
    if (m.locationName !== undefined) return `[${shape}, ${quote(m.locationName)}]`;
    return shape;
  };

  function emit(name: string): void {
    if (emitted.has(name)) return;
    if (visiting.has(name)) throw new Error(`shape ${name} contains itself; the tables cannot hold a cycle`);
    visiting.add(name);
    const shape = shapes[name]!;
    const lines = orderedMembers(name, shape).map(([member, m]) => `  ${member}: ${memberSpec(m)},`);
    const required = shape.required !== undefined && shape.required.length > 0 ? `, [${shape.required.map(quote).join(', ')}]` : '';
    const exported = EXPORTED_SHAPES.includes(name) ? 'export ' : '';
    const body = lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n}`;
    blocks.push(`${exported}const ${name} = struct(${body}${required});`);
    visiting.delete(name);
    emitted.add(name);
  }

  const requests: string[] = [];
  const responses: string[] = [];
  let returnOnly = false;
  for (const [action, op] of Object.entries(subset.operations)) {
    if (op.input === undefined) throw new Error(`${action} has no input shape`);
    requests.push(`  ${action}: ${ref(op.input.shape)},`);
    if (op.output !== undefined) responses.push(`  ${action}: ${ref(op.output.shape)},`);
    else {
      returnOnly = true;
      letters.add('B');
      responses.push(`  ${action}: ReturnOnly,`);
    }
  }
  for (const name of EXPORTED_SHAPES) if (!emitted.has(name)) throw new Error(`EXPORTED_SHAPES names ${name}, which no served action reaches`);

  const header = [
    `// GENERATED from botocore ${subset.botocoreVersion}'s EC2 model (${String(subset.metadata.apiVersion)}) by scripts/gen-ec2-shapes.ts:`,
    '// do not edit. `npm run gen:ec2-shapes` rewrites it from scripts/ec2-model-subset.json (the part of',
    "// the model the served actions reach); `npm run gen:ec2-shapes -- --extract` first refreshes that",
    "// extract from python3's pip botocore. A test checks both are what the generator writes.",
    '//',
    '// The request and response shapes of the EC2 actions sgfw serves, every member the model has:',
    '// members, `locationName`, `queryName`, types and required members (api/shape-kinds.ts says how',
    "// they name parameters and elements). Members keep botocore's order, except where EC2 prints",
    '// another (scripts/ec2-shapes-gen.ts PRINTED_ORDER): the XML renderer prints in table order.',
    '// sgfw\'s own actions are in api/served-shapes.ts, which merges both.',
    "import { list, struct, type StructShape } from './shape-kinds.js';",
    '',
    "const S = 'string';",
    "const I = 'integer';",
    "const B = 'boolean';",
    "const D = 'double';",
    "const T = 'timestamp';",
    '',
  ];
  const consts = header.filter((line) => !/^const [SIBDT] = /.test(line) || letters.has(line[6]!));
  const out = [
    ...consts,
    ...blocks,
    '',
    ...(returnOnly
      ? [
          '// EC2 answers `<return>true</return>` for the actions botocore models no output for',
          '// (ModifyNetworkInterfaceAttribute, CreateTags, DeleteVpc, …).',
          "const ReturnOnly = struct({ Return: [B, 'return'] });",
          '',
        ]
      : []),
    'export const EC2_REQUEST_SHAPES: Readonly<Record<string, StructShape>> = {',
    ...requests,
    '};',
    '',
    'export const EC2_RESPONSE_SHAPES: Readonly<Record<string, StructShape>> = {',
    ...responses,
    '};',
    '',
  ];
  return out.join('\n');
}
