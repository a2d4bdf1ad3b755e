// The TLS, client-certificate and auth etcd of test/support/etcd-tls-cluster.ts (issue 19), checked
// with etcdctl: what it refuses is what the fleet's TLS tests count on being refused, and the roles
// it grants are the README's.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdTlsCluster, type EtcdUser } from '../support/etcd-tls-cluster.js';
import { etcdEnabled } from './etcd-cluster.js';

describe.runIf(etcdEnabled)('a 3-member etcd with TLS, client certificates and auth', () => {
  const PREFIX = `/sgfw-tls-${process.pid}/`;
  let etcd: EtcdTlsCluster;
  let api: EtcdUser;
  let agent: EtcdUser;

  beforeAll(async () => {
    etcd = await EtcdTlsCluster.start(PREFIX);
    api = await etcd.addApiUser();
    agent = await etcd.addAgentUser('hA');
  }, 120_000);
  afterAll(async () => {
    await etcd?.destroy();
  }, 60_000);

  it('speaks https to clients and peers on three loopback members', async () => {
    expect(etcd.endpoints).toHaveLength(3);
    for (const e of etcd.endpoints) expect(e).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(etcd.storeUrl).toBe(`etcds://${etcd.endpoints.map((e) => e.slice('https://'.length)).join(',')}${PREFIX}`);
    const members = JSON.parse(await etcd.admin('member', 'list', '-w', 'json')) as { members: { peerURLs: string[]; clientURLs: string[] }[] };
    expect(members.members).toHaveLength(3);
    for (const m of members.members) {
      expect(m.peerURLs[0]).toMatch(/^https:/);
      expect(m.clientURLs[0]).toMatch(/^https:/);
    }
  });

  it('refuses a client without a certificate, with one from another CA, or with an expired one', async () => {
    const put = ['put', `${PREFIX}x`, '1'];
    expect((await etcd.etcdctl(put, { noClientCertificate: true })).code).not.toBe(0);
    expect((await etcd.etcdctl(put, { cert: etcd.cert('other-client.pem'), key: etcd.cert('other-client.key') })).code).not.toBe(0);
    expect((await etcd.etcdctl(put, { cert: etcd.cert('root-expired.pem'), key: etcd.cert('root-expired.key') })).code).not.toBe(0);
    // the same request with root's valid certificate goes through
    expect((await etcd.etcdctl(put, { cert: etcd.root.cert, key: etcd.root.key })).code).toBe(0);
  });

  it('is verified only with its own CA', async () => {
    const r = await etcd.etcdctl(['get', `${PREFIX}x`], { cert: etcd.root.cert, key: etcd.root.key, cacert: etcd.cert('other-ca.pem') });
    expect(r.code).not.toBe(0);
  });

  it('has auth on: a wrong password is refused, and a certificate alone is its CN user', async () => {
    const wrong = await etcd.etcdctl(['get', `${PREFIX}x`], { user: agent.name, password: `${agent.password}x` });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/authentication failed, invalid user ID or password/);
    // CN=sgfw-api, no password: the API user, who may write the prefix but nothing outside it
    expect((await etcd.etcdctl(['put', `${PREFIX}sg/sg-1`, '{}'], { cert: api.cert, key: api.key })).code).toBe(0);
    const outside = await etcd.etcdctl(['put', '/elsewhere', '1'], { cert: api.cert, key: api.key });
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toMatch(/permission denied/);
  });

  it('lets an agent read the prefix and write its own status key, and nothing else', async () => {
    const as = { user: agent.name, password: agent.password };
    const read = await etcd.etcdctl(['get', '--prefix', PREFIX, '--keys-only'], as);
    expect(read.code).toBe(0);
    expect(read.stdout).toContain(`${PREFIX}sg/sg-1`);
    expect((await etcd.etcdctl(['put', `${PREFIX}status/hA`, '{"revision":1}'], as)).code).toBe(0);
    for (const key of [`${PREFIX}status/hB`, `${PREFIX}status/hA2`, `${PREFIX}sg/sg-1`, `${PREFIX}head`]) {
      const r = await etcd.etcdctl(['put', key, '1'], as);
      expect(r.code, key).not.toBe(0);
      expect(r.stderr, key).toMatch(/permission denied/);
    }
    // a lease-bound status key, as the agent writes it, and the lease revoked by the agent itself
    const lease = /lease ([0-9a-f]+) granted/.exec((await etcd.etcdctl(['lease', 'grant', '30'], as)).stdout)?.[1];
    expect(lease).toBeDefined();
    expect((await etcd.etcdctl(['put', `${PREFIX}status/hA`, '{"revision":2}', `--lease=${lease}`], as)).code).toBe(0);
    expect((await etcd.etcdctl(['lease', 'revoke', lease!], as)).code).toBe(0);
    expect((await etcd.admin('get', `${PREFIX}status/hA`)).trim()).toBe('');
  });

  it('password files hold the password, one line, readable by the owner only', () => {
    expect(readFileSync(agent.passwordFile, 'utf8')).toBe(`${agent.password}\n`);
    expect(statSync(agent.passwordFile).mode & 0o077).toBe(0);
  });

  it('restarts a member with the same TLS', async () => {
    await etcd.stopMember(1);
    expect((await etcd.etcdctl(['get', `${PREFIX}x`], undefined, etcd.endpoints[1])).code).not.toBe(0);
    await etcd.startMember(1);
    expect((await etcd.etcdctl(['get', `${PREFIX}x`], undefined, etcd.endpoints[1])).code).toBe(0);
  }, 60_000);
});

describe.runIf(etcdEnabled)('EtcdTlsCluster.destroy', () => {
  it('stops every member and removes its directory', async () => {
    const etcd = await EtcdTlsCluster.start();
    const pids = [0, 1, 2].map((i) => Number(readFileSync(`${etcd.dir}/etcd/m${i}.pid`, 'utf8')));
    await etcd.destroy();
    expect(existsSync(etcd.dir)).toBe(false);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
