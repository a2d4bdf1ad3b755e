import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { credentialsCommand } from '../../../src/cli/credentials.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { serveCommand } from '../../../src/cli/serve.js';

const COMMANDS = [credentialsCommand, serveCommand];

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
}

describe('sgfw credentials create prints a key ready for export', () => {
  it('two lines, kept in credentials.json with mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-cred-'));
    const { out, io } = capture();
    expect(await runCli(['credentials', 'create', '--state-dir', dir], io, COMMANDS)).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^AWS_ACCESS_KEY_ID=AKIA[A-Z2-7]{16}$/);
    expect(lines[1]).toMatch(/^AWS_SECRET_ACCESS_KEY=[A-Za-z0-9+/]{40}$/);
    expect((await stat(join(dir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'credentials.json'), 'utf8')).toContain(lines[0].split('=')[1]);
  });

  it('a corrupt credentials file is one clear line naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-cred-'));
    await writeFile(join(dir, 'credentials.json'), '{"version": 1, "credentials": [');
    const { out, io } = capture();
    expect(await runCli(['credentials', 'create', '--state-dir', dir], io, COMMANDS)).toBe(2);
    expect(out.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain(join(dir, 'credentials.json'));
    expect(out.stdout).toBe('');
  });
});

describe('sgfw serve answers the AWS SDK with the state kept on disk', () => {
  it('serves, accepts a key made while it runs, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-serve-'));
    const first = capture();
    await runCli(['credentials', 'create', '--state-dir', dir], first.io, COMMANDS);
    const { out, io } = capture();
    const exit = runCli(['serve', '--state-dir', dir, '--listen', '127.0.0.1:0'], io, COMMANDS);
    await expect.poll(() => out.stderr, { timeout: 5000 }).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = /listening on (\S+)/.exec(out.stderr)?.[1] as string;

    await new Promise((r) => setTimeout(r, 1100)); // past the credentials re-read interval
    const second = capture();
    await runCli(['credentials', 'create', '--state-dir', dir], second.io, COMMANDS);
    const env = Object.fromEntries(second.out.stdout.trimEnd().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    const ec2 = new EC2Client({ endpoint: url, region: 'us-west-2', maxAttempts: 1, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } });
    const created = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'kept', Description: 'on disk' }));
    const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId as string] }));
    expect(described.SecurityGroups?.[0].GroupName).toBe('kept');

    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(out.stderr).toContain('stopped');
    // the change was journaled before it was acknowledged
    expect((await import('node:fs')).readdirSync(dir)).toContain('journal.log');
  });
});
