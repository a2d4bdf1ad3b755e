// `sgfw serve --store etcd://…` as an operator runs it: two processes on one store, the first seeded
// with --state, credentials from each one's --state-dir.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentials, startServe, type ServeProcess } from '../support/serve-process.js';
import { EtcdCluster, etcdEnabled } from './etcd-cluster.js';

const BIN = join(process.cwd(), 'bin', 'sgfw.js');
const dir = mkdtempSync(join(tmpdir(), 'sgfw-serve-store-'));
let cluster: EtcdCluster;
const running: ServeProcess[] = [];

const STATE = {
  SecurityGroups: [{
    GroupId: 'sg-0f1e2d3c4b5a60001', GroupName: 'web', Description: 'seeded', VpcId: 'vpc-0f1e2d3c4b5a60001',
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }],
    IpPermissionsEgress: [],
  }],
};

describe.runIf(etcdEnabled)('sgfw serve --store etcd://…', () => {
  beforeAll(async () => {
    cluster = await EtcdCluster.start();
  }, 90_000);
  afterAll(async () => {
    await Promise.allSettled(running.map((p) => p.stop()));
    await cluster?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it('two servers share one state: seeded by the first, changed through either', async () => {
    const keys = createCredentials(dir);
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, JSON.stringify(STATE));
    const url = `${cluster.storeUrl}/cli-test/`;
    const first = await startServe(dir, ['--store', url, '--state', stateFile]);
    running.push(first);
    expect(first.stderr()).toContain(`(store ${url})`);
    const second = await startServe(dir, ['--store', url]);
    running.push(second);
    const client = (p: ServeProcess) => new EC2Client({ endpoint: p.url, region: 'us-east-1', maxAttempts: 1, credentials: keys });

    const seeded = await client(second).send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0f1e2d3c4b5a60001'] }));
    expect(seeded.SecurityGroups![0]!.IpPermissions![0]!.FromPort).toBe(443);
    const { GroupId } = await client(second).send(new CreateSecurityGroupCommand({ GroupName: 'db', Description: 'x', VpcId: 'vpc-0f1e2d3c4b5a60001' }));
    let names: string[] = [];
    for (const until = Date.now() + 10_000; Date.now() < until && !names.includes('db'); await new Promise((r) => setTimeout(r, 50))) {
      names = (await client(first).send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupName!);
    }
    expect(names).toContain('db');
    expect(GroupId).toMatch(/^sg-/);

    // --state only seeds an empty store.
    const third = spawnSync(process.execPath, [BIN, 'serve', '--state-dir', dir, '--listen', '127.0.0.1:0', '--store', url, '--state', stateFile], { encoding: 'utf8', timeout: 20_000 });
    expect(third.status).toBe(2);
    expect(third.stderr).toMatch(/--state: the store .*\/cli-test\/ already holds state/);
  }, 90_000);

  it('refuses a malformed --store and names an unreachable one', () => {
    const bad = spawnSync(process.execPath, [BIN, 'serve', '--state-dir', dir, '--listen', '127.0.0.1:0', '--store', 'etcd://nohost'], { encoding: 'utf8', timeout: 20_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/'nohost' in 'etcd:\/\/nohost' is not HOST:PORT/);
    // A port the cluster does not use (its peer ports are base+3..5; base+9 is free).
    const gone = spawnSync(process.execPath, [BIN, 'serve', '--state-dir', dir, '--listen', '127.0.0.1:0', '--store', `etcd://127.0.0.1:${cluster.basePort + 9}`], { encoding: 'utf8', timeout: 20_000 });
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/"event":"start-failed".*no etcd endpoint answered/); // a log record, as all of stderr
  }, 60_000);
});
