// `sgfw serve --tls-cert --tls-key`: HTTPS (TLS 1.2+) itself, so a signed request cannot be read
// off the wire and replayed. Called by the JS SDK and the aws CLI trusting a self-signed
// certificate made here with openssl; a bad file stops the start in one line naming it.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { credentialsCommand } from '../../../src/cli/credentials.js';
import { runCommand } from '../../../src/cli/run.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { serveCommand } from '../../../src/cli/serve.js';
import { awsEc2, hasAwsCli } from '../../support/aws-cli.js';

const COMMANDS = [credentialsCommand, serveCommand, runCommand];

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
}

/** A self-signed P-256 certificate for localhost and 127.0.0.1, valid one day. */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

/** The certificate a fresh TLS connection is served, or the connection's error. */
function handshake(port: number, o: { ca: Buffer; minVersion?: 'TLSv1.1' | 'TLSv1.2'; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }): Promise<{ protocol: string | null; fingerprint: string } | Error> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...o }, () => {
      resolve({ protocol: socket.getProtocol(), fingerprint: socket.getPeerCertificate().fingerprint256 });
      socket.end();
    });
    socket.once('error', (e) => resolve(e));
  });
}

let dir: string;
let files: { cert: string; key: string };
let key: { accessKeyId: string; secretAccessKey: string };
let out: { stdout: string; stderr: string };
let exit: Promise<number>;
let url: string;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sgfw-tls-'));
  files = selfSigned(dir, 'cert');
  const made = capture();
  await runCli(['credentials', 'create', '--state-dir', dir], made.io, COMMANDS);
  const env = Object.fromEntries(made.out.stdout.trimEnd().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  key = { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string };
  const served = capture();
  out = served.out;
  exit = runCli(['serve', '--state-dir', dir, '--listen', '127.0.0.1:0', '--tls-cert', files.cert, '--tls-key', files.key], served.io, COMMANDS);
  await vi.waitFor(() => expect(out.stderr).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+/), { timeout: 10_000, interval: 20 });
  url = /listening on (\S+)/.exec(out.stderr)?.[1] as string;
  port = Number(new URL(url).port);
});

afterAll(async () => {
  process.emit('SIGTERM');
  expect(await exit).toBe(0);
});

describe('sgfw serve --tls-cert --tls-key serves HTTPS', () => {
  it('the JS SDK, trusting the certificate, creates and describes a group', async () => {
    const ca = await readFile(files.cert);
    const ec2 = new EC2Client({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: key, requestHandler: { httpsAgent: new Agent({ ca }) } });
    const created = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'over-tls', Description: 'signed and sealed' }));
    const described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId as string] }));
    expect(described.SecurityGroups?.[0].GroupName).toBe('over-tls');
  });

  it.runIf(hasAwsCli)('the aws CLI with --ca-bundle describes it; without, it refuses the certificate', async () => {
    const aws = awsEc2(url, key);
    const ok = await aws('describe-security-groups', '--group-names', 'over-tls', '--ca-bundle', files.cert);
    expect(ok.stderr).toBe('');
    expect(ok.json.SecurityGroups.map((g: { GroupName: string }) => g.GroupName)).toEqual(['over-tls']);
    const untrusted = await aws('describe-security-groups', '--ca-bundle', '/dev/null');
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/SSL|certificate/i);
  }, 60_000);

  it('TLS 1.2 and 1.3 handshake; a TLS 1.1 client is refused', async () => {
    const ca = await readFile(files.cert);
    expect(await handshake(port, { ca, maxVersion: 'TLSv1.2' })).toMatchObject({ protocol: 'TLSv1.2' });
    expect(await handshake(port, { ca })).toMatchObject({ protocol: 'TLSv1.3' });
    // SECLEVEL=0 lets this client offer TLS 1.1 at all: what refuses it is the server.
    const old = await handshake(port, { ca, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    expect(old).toBeInstanceOf(Error);
    expect((old as Error).message).toMatch(/protocol version|alert/i);
  });

  it('plain HTTP to the HTTPS port gets no answer', async () => {
    const result = await new Promise<string>((resolve) => {
      const req = httpGet({ host: '127.0.0.1', port, path: '/?Action=DescribeSecurityGroups&Version=2016-11-15' }, (res) => resolve(`HTTP ${res.statusCode}`));
      req.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(result).toMatch(/^(ECONNRESET|EPIPE|HPE_)/);
  });

  it('SIGHUP serves a renewed certificate to new connections', async () => {
    const renewed = selfSigned(dir, 'renewed');
    const before = await handshake(port, { ca: await readFile(files.cert) });
    await copyFile(renewed.cert, files.cert);
    await copyFile(renewed.key, files.key);
    process.emit('SIGHUP');
    expect(out.stderr).toContain(`SIGHUP: reloaded ${files.cert} and ${files.key}`);
    const after = await handshake(port, { ca: await readFile(files.cert) });
    expect(after).toMatchObject({ fingerprint: new X509Certificate(await readFile(renewed.cert)).fingerprint256 });
    expect(after).not.toMatchObject({ fingerprint: (before as { fingerprint: string }).fingerprint });
    // a broken file on the next SIGHUP keeps the pair in force
    await writeFile(files.key, 'not a key\n');
    process.emit('SIGHUP');
    expect(out.stderr).toContain(`SIGHUP: ${files.key}: not an unencrypted PEM private key (--tls-key); still serving the previous certificate`);
    expect(await handshake(port, { ca: await readFile(files.cert) })).toMatchObject({ protocol: 'TLSv1.3' });
    await copyFile(renewed.key, files.key);
  });
});

describe('a certificate or key that cannot serve stops the start in one line naming the file', () => {
  async function start(command: string[], flags: string[]): Promise<{ code: number; stderr: string; stateDir: string }> {
    const stateDir = await mkdtemp(join(tmpdir(), 'sgfw-tls-bad-'));
    const { out: o, io } = capture();
    const code = await runCli([...command, '--state-dir', stateDir, '--listen', '127.0.0.1:0', ...flags], io, COMMANDS);
    return { code, stderr: o.stderr, stateDir };
  }

  it('missing, not PEM, or a key of another certificate: exit 2, and no store opened', async () => {
    const other = selfSigned(dir, 'other');
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'hello\n');
    const cases: [string[], string, RegExp][] = [
      [['--tls-cert', join(dir, 'missing.pem'), '--tls-key', other.key], join(dir, 'missing.pem'), /cannot read the TLS certificate \(ENOENT\)/],
      [['--tls-cert', garbage, '--tls-key', other.key], garbage, /not a PEM certificate/],
      [['--tls-cert', other.cert, '--tls-key', garbage], garbage, /not an unencrypted PEM private key/],
      [['--tls-cert', other.cert, '--tls-key', files.key], files.key, /does not match the certificate in/],
    ];
    for (const [flags, file, reason] of cases) {
      for (const command of [['serve'], ['run', '--mode', 'monitor', '--interface', 'lo']]) {
        const r = await start(command, flags);
        expect(r.code, `${command[0]} ${flags.join(' ')}`).toBe(2);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(`sgfw ${command[0]}: ${file}: `);
        expect(r.stderr).toMatch(reason);
        expect(await readdir(r.stateDir)).toEqual([]);
      }
    }
  });

  it('one TLS flag without the other, a malformed --api-host, or these without --listen on sgfw run: a usage error', async () => {
    const half = await start(['serve'], ['--tls-cert', files.cert]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--tls-cert and --tls-key go together');
    const host = await start(['serve'], ['--api-host', 'user@host']);
    expect(host.code).toBe(2);
    expect(host.stderr).toContain("--api-host expects NAME[:PORT], got 'user@host'");
    const { out: o, io } = capture();
    expect(await runCli(['run', '--mode', 'monitor', '--interface', 'lo', '--state', join(dir, 'x.json'), '--tls-cert', files.cert, '--tls-key', files.key], io, COMMANDS)).toBe(2);
    expect(o.stderr).toContain('--tls-cert and --tls-key go with --listen');
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });
});
