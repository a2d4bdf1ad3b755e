// What `sgfw serve` tells its operator: one JSON log line per request (action, status, EC2 error
// code, the AuthFailure kind and reason, access key id, client address, latency), a SIGHUP that
// re-reads the keys without stopping anything, and `sgfw status` through its --metrics listener.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { credentialsCommand } from '../../../src/cli/credentials.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { serveCommand } from '../../../src/cli/serve.js';
import { statusCommand } from '../../../src/cli/status.js';
import { parseExposition } from '../../observe/exposition.js';

const COMMANDS = [credentialsCommand, serveCommand, statusCommand];

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
}

type Key = { accessKeyId: string; secretAccessKey: string };

async function credentials(dir: string, ...sub: string[]): Promise<Key> {
  const { out, io } = capture();
  expect(await runCli(['credentials', ...sub, '--state-dir', dir], io, COMMANDS)).toBe(0);
  const env = Object.fromEntries(out.stdout.trimEnd().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
}

interface Serving {
  url: string;
  metrics: string;
  records(): Record<string, unknown>[];
  /** the request lines logged since `from` records */
  requests(from: number): Record<string, unknown>[];
  stop(): Promise<number>;
}

async function serve(dir: string, ...extra: string[]): Promise<Serving> {
  const { out, io } = capture();
  const exit = runCli(['serve', '--state-dir', dir, '--listen', '127.0.0.1:0', '--metrics', '127.0.0.1:0', ...extra], io, COMMANDS);
  const records = (): Record<string, unknown>[] => out.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const ready = (await vi.waitFor(() => {
    const r = records().find((l) => l.event === 'ready');
    if (r === undefined) throw new Error('not ready yet');
    return r;
  }, { timeout: 10_000, interval: 20 })) as { url: string; metrics: { host: string; port: number } };
  return {
    url: ready.url,
    metrics: `${ready.metrics.host}:${ready.metrics.port}`,
    records,
    requests: (from) => records().slice(from).filter((r) => r.event === 'request'),
    async stop() {
      process.emit('SIGTERM');
      return exit;
    },
  };
}

function ec2(url: string, key: Key, extra: { systemClockOffset?: number } = {}): EC2Client {
  return new EC2Client({ endpoint: url, region: 'us-west-2', maxAttempts: 1, credentials: key, ...extra });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  throw new Error('the call was accepted');
}

/** A POST with an Authorization header but no X-Amz-Date: a signature missing a part. */
function postWithoutDate(url: string, accessKeyId: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const body = 'Action=DescribeSecurityGroups&Version=2016-11-15';
    const req = request(
      {
        host: u.hostname, port: u.port, method: 'POST', path: '/',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('sgfw serve logs one JSON line per request', () => {
  let dir: string;
  let key: Key;
  let server: Serving;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sgfw-serve-logs-'));
    key = await credentials(dir, 'create');
    server = await serve(dir);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('a success: action, status 200, the key, the client address and the latency', async () => {
    const from = server.records().length;
    await ec2(server.url, key).send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web' }));
    const [line] = server.requests(from);
    expect(line).toMatchObject({ level: 30, action: 'CreateSecurityGroup', status: 200, accessKeyId: key.accessKeyId, remote: '127.0.0.1' });
    expect(typeof line.ms).toBe('number');
    expect(line.code).toBeUndefined();
  });

  it('an EC2 error: its code and HTTP status', async () => {
    const from = server.records().length;
    expect(await refusal(ec2(server.url, key).send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })))).toBe('InvalidGroup.NotFound');
    expect(server.requests(from)).toMatchObject([{ level: 30, action: 'DescribeSecurityGroups', status: 400, code: 'InvalidGroup.NotFound', accessKeyId: key.accessKeyId }]);
  });

  it('each AuthFailure says why, at warn level: unknown key, bad signature, stale date, missing header', async () => {
    const from = server.records().length;
    const stranger = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: key.secretAccessKey };
    expect(await refusal(ec2(server.url, stranger).send(new DescribeSecurityGroupsCommand({})))).toBe('AuthFailure');
    expect(await refusal(ec2(server.url, { ...key, secretAccessKey: 'x'.repeat(40) }).send(new DescribeSecurityGroupsCommand({})))).toBe('AuthFailure');
    expect(await refusal(ec2(server.url, key, { systemClockOffset: -20 * 60_000 }).send(new DescribeSecurityGroupsCommand({})))).toBe('AuthFailure');
    expect(await postWithoutDate(server.url, key.accessKeyId)).toBe(401);
    const lines = server.requests(from);
    expect(lines.map((l) => [l.authFailure, l.accessKeyId])).toEqual([
      ['unknown-key', stranger.accessKeyId],
      ['bad-signature', key.accessKeyId],
      ['stale-date', key.accessKeyId],
      ['missing-header', undefined],
    ]);
    for (const l of lines) expect(l).toMatchObject({ level: 40, action: 'DescribeSecurityGroups', status: 401, code: 'AuthFailure', remote: '127.0.0.1' });
    expect(lines.map((l) => l.reason)).toEqual(['unknown access key \'AKIAAAAAAAAAAAAAAAAA\'', 'signature does not match', 'stale signature', 'no X-Amz-Date header']);
  });

  it('SIGHUP re-reads the keys at once and never stops it: a new key works, a deleted one fails', async () => {
    const fresh = await credentials(dir, 'create');
    process.emit('SIGHUP');
    expect(server.records().at(-1)).toMatchObject({ event: 'sighup', reload: 'credentials', keys: 2 });
    await ec2(server.url, fresh).send(new DescribeSecurityGroupsCommand({}));

    const { io } = capture();
    expect(await runCli(['credentials', 'delete', fresh.accessKeyId, '--state-dir', dir], io, COMMANDS)).toBe(0);
    process.emit('SIGHUP');
    const from = server.records().length;
    expect(await refusal(ec2(server.url, fresh).send(new DescribeSecurityGroupsCommand({})))).toBe('AuthFailure');
    expect(server.requests(from)).toMatchObject([{ authFailure: 'unknown-key', accessKeyId: fresh.accessKeyId }]);
    // the other key still works: the server is up and serving
    await ec2(server.url, key).send(new DescribeSecurityGroupsCommand({}));
  });

  it('its /metrics counts the requests above by action and HTTP code, times them, and says which build runs', async () => {
    // an Action sgfw does not know counts as "other": a client cannot mint label values
    const u = new URL(server.url);
    await fetch(`${server.url}/?Action=${'Made' + 'Up'}${Date.now()}&Version=2016-11-15`, { headers: { host: u.host } });
    const res = await fetch(`http://${server.metrics}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parseExposition(await res.text());
    const count = (labels: Record<string, string>) =>
      m.get('sgfw_api_requests_total')!.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(count({ action: 'CreateSecurityGroup', code: '200' })).toBe(1);
    expect(count({ action: 'DescribeSecurityGroups', code: '400' })).toBe(1);
    expect(count({ action: 'DescribeSecurityGroups', code: '401' })).toBe(5);
    expect(count({ action: 'DescribeSecurityGroups', code: '200' })).toBe(2);
    expect(count({ action: 'other', code: '401' })).toBe(1);
    expect(m.get('sgfw_api_requests_total')!.samples.every((s) => !s.labels.action!.startsWith('MadeUp'))).toBe(true);
    const seconds = m.get('sgfw_api_request_seconds')!;
    expect(seconds.type).toBe('histogram');
    const total = m.get('sgfw_api_requests_total')!.samples.reduce((n, s) => n + s.value, 0);
    expect(seconds.samples.filter((s) => s.name === 'sgfw_api_request_seconds_count').reduce((n, s) => n + s.value, 0)).toBe(total);
    expect(m.get('sgfw_build_info')!.samples[0]!.labels).toMatchObject({ node: process.version });
    expect(m.has('process_resident_memory_bytes')).toBe(true);
  });

  it('sgfw status asks it through --metrics: running, mode serve', async () => {
    const { out, io } = capture();
    expect(await runCli(['status', '--metrics', server.metrics], io, COMMANDS)).toBe(0);
    expect(out.stdout).toMatch(/^running\nmode: serve\n/);
    expect(out.stdout).toContain(`source: ${dir}`);
  });
});

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('sgfw serve --log-level', () => {
  it('warn keeps the refusals and leaves out the info lines (ready, successful requests)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-serve-logs-'));
    const key = await credentials(dir, 'create');
    const port = await freePort();
    const { out, io } = capture();
    const exit = runCli(['serve', '--state-dir', dir, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], io, COMMANDS);
    const url = `http://127.0.0.1:${port}`;
    // no ready line to wait for: the first call that connects is the sign
    await expect.poll(() => ec2(url, key).send(new DescribeSecurityGroupsCommand({})).then(() => true, () => false), { timeout: 10_000, interval: 100 }).toBe(true);
    expect(await refusal(ec2(url, { ...key, secretAccessKey: 'y'.repeat(40) }).send(new DescribeSecurityGroupsCommand({})))).toBe('AuthFailure');
    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    const records = out.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toMatchObject([{ level: 40, event: 'request', authFailure: 'bad-signature' }]);
  });
});
