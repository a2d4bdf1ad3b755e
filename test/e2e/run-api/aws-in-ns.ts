// The real `aws ec2 …` run inside a network namespace (`ip netns exec`), for an `sgfw run --listen`
// whose API listens on that namespace's loopback: the call never leaves it. Same clean environment
// as test/e2e/aws-cli/aws-cli.ts (no config files of the host in the way).
import { execFile } from 'node:child_process';

export interface AwsCall {
  code: number;
  json: any;
  stderr: string;
}

export function awsEc2InNs(ns: string, endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }) {
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
  return (...args: string[]): Promise<AwsCall> =>
    new Promise((resolve) => {
      execFile(
        'ip',
        ['netns', 'exec', ns, 'aws', 'ec2', ...args, '--endpoint-url', endpoint, '--output', 'json'],
        { env, encoding: 'utf8', timeout: 30_000 },
        (e, stdout, stderr) => {
          const code = e === null ? 0 : typeof e.code === 'number' ? e.code : -1;
          resolve({ code, json: stdout.trim() === '' ? null : JSON.parse(stdout), stderr });
        },
      );
    });
}

/** `API on HOST:PORT` from an `sgfw run` ready line, as an endpoint URL. */
export function apiEndpoint(stderr: string): string {
  const m = /API on (\S+?):(\d+)[;,]/.exec(stderr);
  if (m === null) throw new Error(`no 'API on HOST:PORT' in: ${stderr}`);
  return `http://${m[1]}:${m[2]}`;
}
