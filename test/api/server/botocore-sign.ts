// Signs requests with botocore (the signer of the aws CLI and boto3), so the verifier is checked
// against an independent implementation rather than against itself.

import { spawnSync } from 'node:child_process';

const SCRIPT = String.raw`
import json, sys
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.load(sys.stdin)
req = AWSRequest(method=a['method'], url=a['url'], data=a['body'].encode('utf-8'), headers=a['headers'])
creds = Credentials(a['key'], a['secret'])
if a['presign']:
    SigV4QueryAuth(creds, a['service'], a['region'], expires=a['expires']).add_auth(req)
else:
    SigV4Auth(creds, a['service'], a['region']).add_auth(req)
print(json.dumps({'url': req.url, 'headers': dict(req.headers.items())}))
`;

export interface BotocoreRequest {
  method: 'GET' | 'POST';
  /** absolute, e.g. http://127.0.0.1:8080/?Action=… */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  key: string;
  secret: string;
  region?: string;
  service?: string;
  /** presigned query form, valid this many seconds */
  presignExpires?: number;
}

export function botocoreAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import botocore.auth'], { encoding: 'utf8' }).status === 0;
}

export function botocoreSign(r: BotocoreRequest): { url: string; headers: Record<string, string> } {
  const input = {
    method: r.method,
    url: r.url,
    headers: r.headers ?? {},
    body: r.body ?? '',
    key: r.key,
    secret: r.secret,
    region: r.region ?? 'us-east-1',
    service: r.service ?? 'ec2',
    presign: r.presignExpires !== undefined,
    expires: r.presignExpires ?? 0,
  };
  const out = spawnSync('python3', ['-c', SCRIPT], { input: JSON.stringify(input), encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`botocore signing failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as { url: string; headers: Record<string, string> };
}
