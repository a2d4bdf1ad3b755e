// The EC2 API as `sgfw serve` and `sgfw run --listen` attach it: keys, durable store, seeding and
// server in one call, with the store's service as the live model a Dataplane follows.
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { createCredential, CredentialsError } from '../../src/api/credentials.js';
import { attachApi, parseListen } from '../../src/cli/api-attach.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { REASON_NAMES } from '../../src/dataplane/verdict.js';
import { buildFrame, linkTypeOf } from '../../src/packet/frame-builder.js';
import { StateError } from '../../src/state/state-error.js';
import { capturedLogger } from '../support/captured-logger.js';

const ALBERT = join(import.meta.dirname, '..', '..', 'pcaps', 'albert', 'state.json');
const GROUP = 'sg-0a1b2c3d4e5f60001';

function client(url: string, key: { accessKeyId: string; secretAccessKey: string }): EC2Client {
  return new EC2Client({ endpoint: url, region: 'us-east-1', maxAttempts: 1, credentials: key });
}

/** A SYN from a stranger to Albert's host (10.0.0.10 in the seed state) on `port`, as the Dataplane judges it. */
function synTo(dataplane: Dataplane, port: number): string {
  const frame = buildFrame({ src: '198.51.100.7', dst: '10.0.0.10', proto: 'tcp', sport: 40000 + port, dport: port, flags: 'S' });
  return REASON_NAMES[dataplane.judge(linkTypeOf('ethernet'), frame, 0, frame.length, 0)]!;
}

describe('--listen takes HOST:PORT like sgfw serve', () => {
  it('reads IPv4, bracketed IPv6 and a bare :PORT (loopback)', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':9000')).toEqual({ host: '127.0.0.1', port: 9000 });
  });

  it('refuses a port out of range or no port, naming the flag', () => {
    expect(() => parseListen('127.0.0.1:70000')).toThrow(UsageError);
    expect(() => parseListen('localhost')).toThrow(/--listen expects HOST:PORT, got 'localhost'/);
  });
});

describe('attachApi serves the durable state a Dataplane enforces', () => {
  it('an accepted AuthorizeSecurityGroupIngress is in force for the next frame, and on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-attach-'));
    const key = await createCredential(dir);
    const api = await attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 }, stateFiles: [ALBERT] });
    try {
      expect(api.keyCount).toBe(1);
      expect(api.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(api.server.url).toBe(`http://${api.address}`);
      const dataplane = new Dataplane(api.service);
      const unsubscribe = api.service.onChange((change) => dataplane.applyModel(change));
      expect(synTo(dataplane, 8080)).toBe('ingress-no-rule');

      await client(api.server.url, key).send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: GROUP,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '198.51.100.0/24' }] }],
        }),
      );
      expect(synTo(dataplane, 8080)).toBe('rule');
      expect(synTo(dataplane, 8081)).toBe('ingress-no-rule');
      unsubscribe();
      expect(await readFile(join(dir, 'journal.log'), 'utf8')).toContain('AuthorizeSecurityGroupIngress');
    } finally {
      await api.close();
      await api.close(); // idempotent
    }

    // The next start finds the rule in the directory, with no --state.
    const again = await attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 } });
    try {
      const out = await client(again.server.url, key).send(new DescribeSecurityGroupsCommand({ GroupIds: [GROUP] }));
      expect(out.SecurityGroups?.[0]?.IpPermissions?.some((p) => p.FromPort === 8080)).toBe(true);
      expect(synTo(new Dataplane(again.service), 8080)).toBe('rule');
    } finally {
      await again.close();
    }
  });

  it('refuses to seed a directory that already holds state, and releases it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-attach-'));
    await (await attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 }, stateFiles: [ALBERT] })).close();
    await expect(attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 }, stateFiles: [ALBERT] })).rejects.toThrow(
      /already holds state/,
    );
    // the failed attach closed its store: the directory opens again
    await (await attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 } })).close();
  });

  it('a directory in use by another process (or attach) is refused while the first holds it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-attach-'));
    const first = await attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 } });
    try {
      await expect(attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 } })).rejects.toThrow(StateError);
    } finally {
      await first.close();
    }
  });

  it('a port already taken is the listen error, and the store is released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-attach-'));
    const other = await mkdtemp(join(tmpdir(), 'sgfw-attach-'));
    const first = await attachApi({ stateDir: other, listen: { host: '127.0.0.1', port: 0 } });
    try {
      const taken = { host: '127.0.0.1', port: first.server.port };
      await expect(attachApi({ stateDir: dir, listen: taken })).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'listen' });
      await (await attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 } })).close();
    } finally {
      await first.close();
    }
  });

  it('a corrupt credentials file is a CredentialsError before anything is opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-attach-'));
    await writeFile(join(dir, 'credentials.json'), '{');
    await expect(attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 } })).rejects.toThrow(CredentialsError);
  });
});

describe("the store's own notices are records of the command's log, as every line of its stderr is", () => {
  it.each([false, true])('a torn last entry dropped at start is a store-warning record (enforcing: %s)', async (enforcing) => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-attach-'));
    await (await attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 }, stateFiles: [ALBERT], enforcing })).close();
    await appendFile(join(dir, 'journal.log'), '{"torn'); // a write cut by a crash: never acknowledged
    const { log, lines } = capturedLogger();
    await (await attachApi({ stateDir: dir, listen: { host: '127.0.0.1', port: 0 }, logger: log, enforcing })).close();
    expect(lines()).toContainEqual(
      expect.objectContaining({ level: 40, event: 'store-warning', msg: expect.stringMatching(/journal\.log: dropped a torn last entry/) }),
    );
  });
});
