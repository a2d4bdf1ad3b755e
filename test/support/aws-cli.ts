// Runs Debian's `aws` (botocore underneath) exactly as a user would, with no config files of the
// host in the way, and reads back what it printed: parsed JSON, or its one-line error. With `netns`
// it runs inside that network namespace (`ip netns exec`), for an `sgfw run --listen` whose API
// listens on the namespace's loopback: the call never leaves it.
import { execFile, spawnSync } from 'node:child_process';
import { expect } from 'vitest';

export const hasAwsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

/** aws-cli v2 exits 254 on a service error, v1 exits 255: either way, not success and not a usage error (252). */
export const SERVICE_ERROR_EXITS = [254, 255];

export interface AwsResult {
  code: number;
  /** stdout parsed as JSON (`null` when it printed nothing) */
  json: any;
  stderr: string;
  /** from `An error occurred (CODE) when calling the OP operation: MESSAGE` */
  error?: { code: string; operation: string; message: string };
}

export type AwsEc2 = (...args: string[]) => Promise<AwsResult>;

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

export function awsEc2(endpoint: string, credentials: AwsKeys, options: { netns?: string } = {}): AwsEc2 {
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
  const aws = ['aws', 'ec2'];
  const [file, ...prefix] = options.netns === undefined ? aws : ['ip', 'netns', 'exec', options.netns, ...aws];
  return (...args) =>
    new Promise((resolve) => {
      const argv = [...prefix, ...args, '--endpoint-url', endpoint, '--output', 'json'];
      execFile(file as string, argv, { env, encoding: 'utf8', timeout: 30_000 }, (e, stdout, stderr) => {
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

/** The call succeeded and printed nothing on stderr: what it printed, parsed. */
export function awsOk(r: AwsResult): any {
  expect(r.stderr, 'aws printed an error').toBe('');
  expect(r.code).toBe(0);
  return r.json;
}

/** The call failed with EC2 error `code`, and (when given) exactly `message`, or a message matching it. */
export function awsFails(r: AwsResult, code: string, message?: string | RegExp): void {
  expect(r.error?.code, r.stderr).toBe(code);
  if (typeof message === 'string') expect(r.error?.message).toBe(message);
  else if (message !== undefined) expect(r.error?.message).toMatch(message);
  expect(SERVICE_ERROR_EXITS).toContain(r.code);
  expect(r.json).toBeNull();
}

/** `API on HOST:PORT` from an `sgfw run` ready line, as an endpoint URL. */
export function apiEndpoint(stderr: string): string {
  const m = /API on (\S+?):(\d+)[;,]/.exec(stderr);
  if (m === null) throw new Error(`no 'API on HOST:PORT' in: ${stderr}`);
  return `http://${m[1]}:${m[2]}`;
}
