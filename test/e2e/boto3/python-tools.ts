// Debian's python3 (with python3-boto3, and ansible's own modules) run with no pyenv shims, no AWS
// config files of the host and no proxy in the way: only what the child is given here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const DEBIAN_PYTHON = '/usr/bin/python3';

export const hasBoto3 =
  existsSync(DEBIAN_PYTHON) && spawnSync(DEBIAN_PYTHON, ['-c', 'import boto3'], { env: { PATH: '/usr/bin:/bin' } }).status === 0;

/** The environment of a child that talks to sgfw: credentials from `sgfw credentials create`. */
export function awsChildEnv(credentials: { accessKeyId: string; secretAccessKey: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    NO_PROXY: '127.0.0.1,localhost',
    ...extra,
  };
}
