// Runs Debian's `aws` (botocore underneath) exactly as a user would, with no config files of the
// host in the way, and reads back what it printed: parsed JSON, or its one-line error.
import { execFile, spawnSync } from 'node:child_process';

export const hasAwsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

export interface AwsResult {
  code: number;
  /** stdout parsed as JSON (`null` when it printed nothing) */
  json: any;
  stderr: string;
  /** from `An error occurred (CODE) when calling the OP operation: MESSAGE` */
  error?: { code: string; operation: string; message: string };
}

export type AwsEc2 = (...args: string[]) => Promise<AwsResult>;

export function awsEc2(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): AwsEc2 {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
  return (...args) =>
    new Promise((resolve) => {
      execFile('aws', ['ec2', ...args, '--endpoint-url', endpoint, '--output', 'json'], { env, encoding: 'utf8' }, (e, stdout, stderr) => {
        const code = e === null ? 0 : typeof e.code === 'number' ? e.code : -1;
        const m = /An error occurred \(([^)]+)\) when calling the (\w+) operation: (.*)/.exec(stderr);
        resolve({
          code,
          json: stdout.trim() === '' ? null : JSON.parse(stdout),
          stderr,
          ...(m ? { error: { code: m[1] as string, operation: m[2] as string, message: (m[3] as string).trim() } } : {}),
        });
      });
    });
}

/** aws-cli v2 exits 254 on a service error, v1 exits 255: either way, not success and not a usage error (252). */
export const SERVICE_ERROR_EXITS = [254, 255];
