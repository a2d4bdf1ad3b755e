// Test helper: asks botocore itself (the library under the AWS CLI and boto3) to parse our XML and to
// serialize requests, so the tests assert on what real clients read and send. Finds a python3 that
// has botocore (pip's `botocore`, or Debian awscli's bundled `awscli.botocore`).
import { spawnSync } from 'node:child_process';

const SCRIPT = String.raw`
import json, sys
try:
    import botocore.session as bs, botocore.parsers as bp, botocore.serialize as bz
except ImportError:
    import awscli.botocore.session as bs, awscli.botocore.parsers as bp, awscli.botocore.serialize as bz
model = bs.get_session().get_service_model('ec2')
def prune(value, shape):
    # keeps what this botocore's model knows: an older awscli lacks newer members
    if shape is None: return {}
    if shape.type_name == 'structure' and isinstance(value, dict):
        return {k: prune(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if shape.type_name == 'list' and isinstance(value, list):
        return [prune(v, shape.member) for v in value]
    return value
out = []
for job in json.load(sys.stdin):
    op = model.operation_model(job['operation'])
    if job['kind'] == 'parse':
        parser = bp.create_parser('ec2')
        r = parser.parse({'body': job['body'].encode('utf-8'), 'headers': {}, 'status_code': job['status']}, op.output_shape)
        r.pop('ResponseMetadata', None) if job.get('dropMetadata') else None
        out.append({'parsed': r, 'expected': prune(job.get('expected'), op.output_shape)})
    else:
        params = prune(job['params'], op.input_shape)
        req = bz.create_serializer('ec2').serialize_to_request(params, op)
        out.append({'params': params, 'form': {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in req['body'].items()}})
print(json.dumps(out, default=str))
`;

function probe(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import sys\ntry:\n import botocore\nexcept ImportError:\n import awscli.botocore'], { encoding: 'utf8' });
  return r.status === 0;
}

/** The python3 with botocore, or undefined. */
export const botocorePython: string | undefined = ['python3', '/usr/bin/python3'].find(probe);

/** Skip botocore checks only on a workstation without it; CI installs awscli and must run them. */
export const skipBotocore = botocorePython === undefined && !process.env.CI;

type Job =
  | { kind: 'parse'; operation: string; body: string; status: number; dropMetadata?: boolean; expected?: unknown }
  | { kind: 'serialize'; operation: string; params: unknown };

/**
 * Runs jobs in one python process (loading the EC2 model takes a second). A parse job answers
 * `{ parsed, expected }`, a serialize job `{ params, form }`; `expected` and `params` are cut down to
 * the members this botocore's model knows (Debian's awscli is older than pip's botocore).
 */
export function runBotocore(jobs: Job[]): unknown[] {
  if (botocorePython === undefined) throw new Error('no python3 with botocore (install awscli or python3-botocore)');
  const r = spawnSync(botocorePython, ['-c', SCRIPT], { input: JSON.stringify(jobs), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`botocore helper failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown[];
}

