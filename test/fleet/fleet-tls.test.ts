// The fleet on a production-like etcd (issue 19): TLS for clients and peers, client certificates
// required, auth on, and the README's roles (test/support/etcd-tls-cluster.ts). `sgfw serve --store
// etcds://…` as user sgfw-api and a fleet agent as user sgfw-agent-hA work end to end; a wrong CA,
// a client certificate from another CA, an expired certificate and a wrong password each stop the
// start with one line naming the cause; an agent whose role cannot write another host's status key
// is refused that write and says so; with its agent state file, an agent that cannot verify etcd
// boots from the file, one refused its login does not start. The agent runs in-process (the fleet model of run-fleet.ts,
// from flags parsed as the CLI parses them): the binary's host mode needs a namespace, which
// test/e2e/fleet/fleet.test.ts gives it on the same kind of etcd.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigPlace } from '../../src/cli/command.js';
import { commandArgs } from '../../src/cli/config-args.js';
import { storeFlags } from '../../src/cli/flags-store.js';
import { fleetModel } from '../../src/cli/run-fleet.js';
import type { LiveModel } from '../../src/cli/live-model.js';
import { fleetFlags, runCommand } from '../../src/cli/run.js';
import { serveCommand } from '../../src/cli/serve.js';
import type { Logger } from '../../src/observe/logger.js';
import { createCredentials, startServe, type ServeProcess } from '../support/serve-process.js';
import { EtcdTlsCluster, type EtcdUser } from '../support/etcd-tls-cluster.js';
import { etcdEnabled } from './etcd-cluster.js';
import { capturedLogger } from '../support/captured-logger.js';
import { eventually } from '../support/eventually.js';

const BIN = join(process.cwd(), 'bin', 'sgfw.js');



/** The lines of a start that failed, each parsed: JSON log records (pino) or the CLI's plain lines. */
function stderrLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe.runIf(etcdEnabled)('the fleet over TLS with etcd auth', () => {
  const PREFIX = `/sgfw-fleet-tls-${process.pid}/`;
  let etcd: EtcdTlsCluster;
  let api: EtcdUser;
  let agentA: EtcdUser;
  let dir: string;
  let keys: { accessKeyId: string; secretAccessKey: string };
  let serve: ServeProcess | undefined;

  /** The --store flags for `user`: its certificate, and its password file unless `certificateOnly`. */
  const storeArgs = (user: EtcdUser, overrides: Record<string, string> = {}): string[] => {
    const flags: Record<string, string> = {
      '--store': etcd.storeUrl, '--store-ca': etcd.cert('ca.pem'), '--store-cert': user.cert, '--store-key': user.key,
      '--store-user': user.name, '--store-password-file': user.passwordFile, ...overrides,
    };
    return Object.entries(flags).filter(([, v]) => v !== '').flat();
  };

  const place = (env: Record<string, string> = {}): ConfigPlace => ({ env, defaultFile: join(dir, 'absent.conf'), commands: [runCommand, serveCommand] });

  /** The fleet model `sgfw run --mode host` would run, its flags parsed as the CLI parses them. */
  async function agent(hostId: string, user: EtcdUser, log: Logger, overrides: Record<string, string> = {}): Promise<LiveModel> {
    const argv = ['--mode', 'host', '--host-id', hostId, '--agent-state', join(dir, `agent-${hostId}.json`), ...storeArgs(user, overrides)];
    const args = commandArgs(runCommand, argv, place());
    return fleetModel(fleetFlags(storeFlags(args, {}), hostId, args.string('agent-state'))!, log, 500);
  }

  /** sgfw's RegisterNetworkInterface with a HostId, signed by curl --aws-sigv4 (the SDK has no model for it). */
  function register(address: string, groupId: string, hostId: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('curl', ['-sS', '--fail-with-body', '--aws-sigv4', 'aws:amz:us-east-1:ec2', '--user', `${keys.accessKeyId}:${keys.secretAccessKey}`, `${serve!.url}/`,
        '-d', 'Action=RegisterNetworkInterface', '-d', 'Version=2016-11-15', '-d', `PrivateIpAddress=${address}`, '-d', `SecurityGroupId.1=${groupId}`, '-d', `HostId=${hostId}`],
      { encoding: 'utf8', timeout: 20_000 }, (e, stdout) => {
        const id = /<networkInterfaceId>(eni-[0-9a-f]+)<\/networkInterfaceId>/.exec(stdout)?.[1];
        if (e || id === undefined) reject(new Error(`RegisterNetworkInterface: ${e?.message ?? ''} ${stdout}`));
        else resolve(id);
      });
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sgfw-fleet-tls-'));
    writeFileSync(join(dir, 'wrong.password'), 'not-the-password\n');
    keys = createCredentials(dir);
    etcd = await EtcdTlsCluster.start(PREFIX);
    api = await etcd.addApiUser();
    agentA = await etcd.addAgentUser('hA');
    await etcd.addAgentUser('hB');
  }, 120_000);

  afterAll(async () => {
    await serve?.stop();
    await etcd?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('sgfw serve --store etcds:// as sgfw-api: an API call lands in etcd under the prefix', async () => {
    serve = await startServe(dir, ['--config', 'none', ...storeArgs(api)]);
    expect(serve.stderr()).toContain(`(store ${etcd.storeUrl})`);
    const ec2 = new EC2Client({ endpoint: serve.url, region: 'us-east-1', maxAttempts: 1, credentials: keys });
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'db', Description: 'tls' }));
    expect(GroupId).toMatch(/^sg-/);
    const inEtcd = await etcd.admin('get', `${PREFIX}sg/${GroupId}`, '--print-value-only');
    expect(inEtcd).toContain('"db"');
    await register('10.9.0.1', GroupId!, 'hA');
    expect(await etcd.admin('get', '--prefix', `${PREFIX}host/hA/`, '--keys-only')).toContain(`${PREFIX}host/hA/eni-`);
    for (const p of [api.password, agentA.password, etcd.root.password]) expect(serve.stderr()).not.toContain(p);
  }, 60_000);

  it('an agent as sgfw-agent-hA follows its interfaces and writes its own status key', async () => {
    const { log, lines } = capturedLogger();
    const live = await agent('hA', agentA, log);
    try {
      expect(live.fleet!.source).toBe('etcd');
      expect([...live.view.interfaces()].map((i) => i.privateIpv4[0])).toEqual(['10.9.0.1']);
      await eventually(async () => (await etcd.admin('get', `${PREFIX}status/hA`, '--print-value-only')).includes('"hostId":"hA"'), 15_000, 'status/hA written');
      // a change through the API reaches the agent
      const ec2 = new EC2Client({ endpoint: serve!.url, region: 'us-east-1', maxAttempts: 1, credentials: keys });
      const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'tls' }));
      await register('10.9.0.2', GroupId!, 'hA');
      await eventually(() => [...live.view.interfaces()].length === 2, 15_000, 'the second interface applied');
      expect(lines().some((l) => l.event === 'fleet-connected')).toBe(true);
      expect(JSON.stringify(lines())).not.toContain(agentA.password);
    } finally {
      await live.close();
    }
    // stopping revokes the lease: the status key goes, which needs write permission on it
    expect((await etcd.admin('get', `${PREFIX}status/hA`)).trim()).toBe('');
  }, 60_000);

  it('an agent whose role cannot write another host\'s status key is refused that write, and says so', async () => {
    const { log, lines } = capturedLogger();
    const live = await agent('hB', agentA, log); // hA's user, hB's host id
    try {
      await eventually(() => lines().some((l) => l.event === 'fleet-status-refused'), 15_000, 'the refusal logged');
      // still following etcd: the refusal costs the report, not the enforcement
      expect(live.fleet!.connected()).toBe(true);
      await new Promise((r) => setTimeout(r, 1500)); // more status ticks: still one line
      const refusals = lines().filter((l) => l.event === 'fleet-status-refused');
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatchObject({ level: 50, key: `${PREFIX}status/hB` });
      expect(refusals[0]!.msg).toMatch(/etcd refused writing its status key .*status\/hB .*permission denied/);
      expect((await etcd.admin('get', `${PREFIX}status/hB`)).trim()).toBe('');
    } finally {
      await live.close();
    }
  }, 60_000);

  it('with its agent state file, an agent that cannot verify etcd boots from the file; one whose login is refused does not start', async () => {
    // agent-hA.json was written when the agent above stopped
    const { log, lines } = capturedLogger();
    const live = await agent('hA', agentA, log, { '--store-ca': etcd.cert('other-ca.pem') });
    try {
      expect(live.fleet!.source).toBe('file');
      expect([...live.view.interfaces()]).toHaveLength(2);
      expect(lines().find((l) => l.event === 'fleet-boot-from-file')?.error).toMatch(/unable to verify the first certificate/);
    } finally {
      await live.close();
    }
    await expect(agent('hA', agentA, capturedLogger().log, { '--store-password-file': join(dir, 'wrong.password') })).rejects.toThrow(/authentication failed, invalid user ID or password/);
  }, 60_000);

  describe('each failure to get in is one line naming its cause', () => {
    const serveRun = (args: string[]) =>
      spawnSync(process.execPath, [BIN, 'serve', '--config', 'none', '--state-dir', dir, '--listen', '127.0.0.1:0', ...args], { encoding: 'utf8', timeout: 60_000 });
    // inline mode on interfaces that do not exist: the agent starts (or fails to) before any capture opens
    const agentRun = (args: string[]) =>
      spawnSync(process.execPath, [BIN, 'run', '--config', 'none', '--mode', 'inline', '--inside', 'sgfwtlsno0', '--outside', 'sgfwtlsno1', '--host-id', 'hA',
        '--agent-state', join(dir, 'missing-state.json'), ...args], { encoding: 'utf8', timeout: 60_000 });

    it.each([
      ['a CA that did not sign the members\' certificates', { '--store-ca': 'other-ca.pem' }, /unable to verify the first certificate/],
      ['a client certificate from another CA', { '--store-cert': 'other-client.pem', '--store-key': 'other-client.key' }, /alert bad certificate/],
      ['a wrong password', { '--store-password-file': 'WRONG' }, /authentication failed|invalid user ID or password/i],
    ] as [string, Record<string, string>, RegExp][])('%s: exit 1 for serve and the agent', (_what, overrides, cause) => {
      const files = Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, v === 'WRONG' ? join(dir, 'wrong.password') : etcd.cert(v)]));
      for (const r of [serveRun(storeArgs(api, files)), agentRun(storeArgs(agentA, files))]) {
        expect(r.status, r.stderr).toBe(1);
        const lines = stderrLines(r.stderr);
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toContain('"event":"start-failed"');
        expect(lines[0]).toMatch(cause);
      }
    }, 120_000);

    it('an expired client certificate: exit 2 before anything is opened, for serve and the agent', () => {
      const expired = { '--store-cert': etcd.cert('root-expired.pem'), '--store-key': etcd.cert('root-expired.key') };
      for (const [r, command] of [[serveRun(storeArgs(api, expired)), 'serve'], [agentRun(storeArgs(agentA, expired)), 'run']] as const) {
        expect(r.status).toBe(2);
        expect(stderrLines(r.stderr)).toEqual([`sgfw ${command}: --store-cert ${etcd.cert('root-expired.pem')}: the certificate expired on 2020-01-02T00:00:00.000Z`]);
      }
    });
  });
});
