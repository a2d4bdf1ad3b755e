// `sgfw run --store etcd://… --host-id NAME` (issue 9): the flags, checked together with clear
// usage errors; the start-up failures through the real executable (before any queue or capture is
// opened, so no root is needed); and the fleet model a live mode runs on (run-fleet.ts), on a
// 3-member loopback etcd: a Dataplane fed by the agent, the agent's families for /metrics, JSON log
// lines for connect, disconnect, stale and reconnect, SIGHUP's reconcile, and a stop that writes
// the state file and removes the status key; a restart with etcd unreachable boots from that file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetFlags, runCommand } from '../../src/cli/run.js';
import { defaultAgentStateFile, fleetModel } from '../../src/cli/run-fleet.js';
import type { LiveModel } from '../../src/cli/run-model.js';
import { runCli } from '../../src/cli/run-cli.js';
import { isAllowed } from '../../src/dataplane/verdict.js';
import { FleetAgent } from '../../src/fleet/agent.js';
import { EtcdClient } from '../../src/fleet/etcd-client.js';
import { openEtcdStore, type EtcdStore } from '../../src/fleet/etcd-store.js';
import { KeyLayout } from '../../src/fleet/key-layout.js';
import { parseStoreUrl } from '../../src/fleet/store-url.js';
import { renderExposition } from '../../src/observe/metrics.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { EtcdCluster, etcdEnabled } from '../fleet/etcd-cluster.js';
import { CutProxy } from '../fleet/tcp-cut-proxy.js';
import { captureIo } from './capture-io.js';
import { capturedLogger } from '../support/captured-logger.js';
import { eventually } from '../support/eventually.js';

const BIN = join(process.cwd(), 'bin', 'sgfw.js');

async function usage(...argv: string[]): Promise<{ code: number; err: string }> {
  const io = captureIo();
  const code = await runCli(['run', ...argv], io, [runCommand]);
  return { code, err: io.err() };
}

describe('sgfw run --store: flags', () => {
  const STORE = 'etcd://127.0.0.1:1,127.0.0.1:2';

  it('takes --store with --host-id and defaults --agent-state under /var/lib/sgfw', () => {
    const given = (text: string) => ({ store: parseStoreUrl(text), text });
    const f = fleetFlags(given(`${STORE}/fleet/`), 'web-1', undefined)!;
    expect(f.store).toEqual({ endpoints: ['http://127.0.0.1:1', 'http://127.0.0.1:2'], prefix: '/fleet/' });
    expect(f.hostId).toBe('web-1');
    expect(f.agentStateFile).toBe('/var/lib/sgfw/agent-web-1.json');
    expect(defaultAgentStateFile('h2')).toBe('/var/lib/sgfw/agent-h2.json');
    expect(fleetFlags(given(STORE), 'h1', '/tmp/x.json')!.agentStateFile).toBe('/tmp/x.json');
    expect(fleetFlags(undefined, undefined, undefined)).toBeNull();
    expect(f.staleAfterMs).toBeUndefined(); // the agent's default
    expect(fleetFlags(given(STORE), 'h1', undefined, '2.5')!.staleAfterMs).toBe(2500);
  });

  it.each([
    [['--store', STORE, '--host-id', 'h1', '--state', 'a.json'], /--store takes the state from etcd: drop --state/],
    [['--store', STORE, '--host-id', 'h1', '--listen', '127.0.0.1:0'], /drop --listen/],
    [['--store', STORE, '--host-id', 'h1', '--listen', '127.0.0.1:0', '--state-dir', '/tmp'], /drop --listen and --state-dir/],
    [['--store', STORE], /--store needs --host-id NAME/],
    [['--host-id', 'h1', '--state', 'a.json'], /--host-id goes with --store/],
    [['--agent-state', 'x.json', '--state', 'a.json'], /--agent-state goes with --store/],
    [['--store', 'etcd://nohost', '--host-id', 'h1'], /'nohost' in 'etcd:\/\/nohost' is not HOST:PORT/],
    [['--store', 'http://127.0.0.1:2379', '--host-id', 'h1'], /--store expects etcd:\/\/HOST:PORT/],
    [['--store', STORE, '--host-id', '-bad'], /--host-id expects 1 to 128 letters.*got '-bad'/],
    [['--store', STORE, '--host-id', 'h1', '--agent-state', ''], /--agent-state expects a file path/],
    [['--store-stale-after', '5', '--state', 'a.json'], /--store-stale-after goes with --store/],
    [['--store', STORE, '--host-id', 'h1', '--store-stale-after', '0.1'], /--store-stale-after expects seconds from 0.3 to 3600, got '0.1'/],
    [['--store', STORE, '--host-id', 'h1', '--store-stale-after', '5s'], /--store-stale-after expects seconds from 0.3 to 3600, got '5s'/],
  ])('host mode %j: usage error', async (argv, message) => {
    const r = await usage('--mode', 'host', ...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('refuses --store with --mode monitor', async () => {
    const r = await usage('--mode', 'monitor', '--interface', 'lo', '--store', STORE, '--host-id', 'h1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--store goes with --mode host or inline/);
  });

  it('names the flags in --help', async () => {
    const io = captureIo();
    expect(await runCli(['run', '--help'], io, [runCommand])).toBe(0);
    for (const flag of ['--store', '--host-id', '--agent-state', '--store-stale-after']) expect(io.out()).toContain(flag);
    expect(io.out()).toContain('/var/lib/sgfw/agent-NAME.json');
  });
});

describe('sgfw run --store: start-up failures, before any queue is opened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgfw-run-fleet-bin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const run = (...extra: string[]) =>
    spawnSync(process.execPath, [BIN, 'run', '--mode', 'host', '--store', 'etcd://127.0.0.1:1', '--host-id', 'h1', ...extra], { encoding: 'utf8', timeout: 30_000 });

  it('etcd unreachable and no agent state file: exit 1, naming both', () => {
    const r = run('--agent-state', join(dir, 'missing.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/"event":"start-failed".*"msg":"etcd is unreachable and .*missing\.json does not exist/); // a log record, as all of stderr
  });

  it('an agent state file that is not one: exit 2, naming it', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"something-else"}');
    const r = run('--agent-state', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/agent state file .*bad\.json: not an sgfw-agent-state\/1 document/);
  });
});



describe.runIf(etcdEnabled)('sgfw run --store: the fleet model on a 3-member etcd', () => {
  const PREFIX = `/sgfw-run-fleet-${process.pid}/`;
  let cluster: EtcdCluster;
  let proxy: CutProxy;
  let store: EtcdStore;
  let dir: string;
  let sport = 30000;
  const groups: Record<string, string> = {};

  const call = (action: string, params: unknown): Promise<Record<string, unknown>> => store.apply(action, params) as Promise<Record<string, unknown>>;

  function allows(live: LiveModel, src: string, dst: string, dport: number): boolean {
    const frame = buildFrame({ src, dst, proto: 'tcp', sport: sport++, dport, flags: 'S' });
    return isAllowed(live.dataplane.judge(LinkType.ETHERNET, frame, 0, frame.length, Date.now()));
  }

  const flagsFor = (hostId: string, endpoints: readonly string[]) => {
    const text = `etcd://${endpoints.map((e) => e.replace('http://', '')).join(',')}${PREFIX}`;
    return { store: parseStoreUrl(text), storeText: text, hostId, agentStateFile: join(dir, 'state', `agent-${hostId}.json`) };
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start();
    proxy = await CutProxy.start(cluster.endpoints);
    dir = mkdtempSync(join(tmpdir(), 'sgfw-run-fleet-'));
    store = await openEtcdStore({ endpoints: cluster.endpoints, prefix: PREFIX, requestTimeoutMs: 1000, onWarning: () => undefined });
    for (const name of ['db', 'app']) groups[name] = (await call('CreateSecurityGroup', { GroupName: name, Description: name })).GroupId as string;
    await call('AuthorizeSecurityGroupIngress', {
      GroupId: groups.db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: groups.app }] }],
    });
    await call('RegisterNetworkInterface', { PrivateIpAddress: '10.1.0.1', Groups: [groups.db], HostId: 'db-1' });
  }, 90_000);

  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await cluster?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it('feeds the Dataplane, exports the agent families, logs its life and removes its status key on close', async () => {
    const { log, lines } = capturedLogger();
    const flags = flagsFor('db-1', proxy.endpoints);
    const live = await fleetModel(flags, log, 200);
    const gw = new EtcdClient(cluster.endpoints);
    const statusKey = new KeyLayout(PREFIX).status('db-1');
    try {
      expect(live.api).toBeNull();
      expect(live.fleet!.hostId).toBe('db-1');
      expect(live.readyNote).toContain(`fleet host db-1 on ${flags.storeText} at revision`);
      expect([...live.view.interfaces()].map((i) => i.privateIpv4[0])).toEqual(['10.1.0.1']);
      expect(lines().find((l) => l.event === 'fleet-connected')).toMatchObject({ hostId: 'db-1', store: flags.storeText });

      // A membership change: the app member appears, the port opens for it.
      expect(allows(live, '10.1.0.2', '10.1.0.1', 5432)).toBe(false);
      await call('RegisterNetworkInterface', { PrivateIpAddress: '10.1.0.2', Groups: [groups.app], HostId: 'app-1' });
      const committed = store.revision;
      await eventually(() => live.fleet!.revision() >= committed, 10_000, 'applied');
      expect(allows(live, '10.1.0.2', '10.1.0.1', 5432)).toBe(true);
      expect(lines().some((l) => l.event === 'model-change' && (l.revision as number) >= committed)).toBe(true);
      const text = await renderExposition(live.metricFamilies());
      expect(text).toContain(`sgfw_fleet_applied_revision{host_id="db-1"} ${live.fleet!.revision()}`);
      expect(text).toContain('sgfw_fleet_stale_seconds{host_id="db-1"} 0');
      expect(text).toContain('sgfw_fleet_connected{host_id="db-1"} 1');
      await eventually(async () => (await gw.range(statusKey)).kvs.length === 1, 10_000, 'status key');

      // etcd out of reach: the last state stays in force; disconnect, then stale lines.
      await proxy.cut();
      try {
        await eventually(() => lines().some((l) => l.event === 'fleet-disconnected'), 15_000, 'disconnect logged');
        await eventually(() => lines().some((l) => l.event === 'fleet-stale'), 5_000, 'stale logged');
        expect(allows(live, '10.1.0.2', '10.1.0.1', 5432)).toBe(true);
        expect(allows(live, '10.1.0.9', '10.1.0.1', 5432)).toBe(false);
        expect(await renderExposition(live.metricFamilies())).toContain('sgfw_fleet_connected{host_id="db-1"} 0');
        await call('RevokeSecurityGroupIngress', {
          GroupId: groups.db, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: groups.app }] }],
        });
        expect(allows(live, '10.1.0.2', '10.1.0.1', 5432)).toBe(true);
      } finally {
        await proxy.restore();
      }
      const newest = store.revision;
      await eventually(() => live.fleet!.revision() >= newest, 20_000, 'caught up');
      expect(allows(live, '10.1.0.2', '10.1.0.1', 5432)).toBe(false);
      expect(lines().find((l) => l.event === 'fleet-reconnected')!.staleSeconds).toBeGreaterThan(0);

      // SIGHUP: a reconcile now, logged with what it repaired.
      live.hangup();
      await eventually(() => lines().some((l) => l.event === 'fleet-reconciled'), 10_000, 'reconcile logged');
      expect(lines().find((l) => l.event === 'fleet-reconciled')!.repaired).toBe(0);
    } finally {
      await live.close();
    }
    expect((await gw.range(statusKey)).kvs).toEqual([]);
    gw.close();
    expect(lines().some((l) => l.event === 'fleet-stopped')).toBe(true);
    const saved = JSON.parse(readFileSync(flags.agentStateFile, 'utf8')) as { hostId: string; revision: number };
    expect(saved.hostId).toBe('db-1');
    expect(saved.revision).toBe(live.fleet!.revision());
  }, 90_000);

  it('keeps a quiet watch up on the answers to its progress requests, without counting a loss', async () => {
    const logs: string[] = [];
    const agent = new FleetAgent({
      endpoints: cluster.endpoints, prefix: PREFIX, hostId: 'db-1', staleAfterMs: 300, statusTtlSeconds: 0, reconcileIntervalMs: 0,
      onLog: (m, f) => logs.push(f?.event ?? m),
    });
    await agent.start();
    try {
      await sleep(1500); // five times the stale limit with nothing to deliver
      expect(agent.connected).toBe(true);
      expect(agent.staleSeconds()).toBe(0);
      expect(agent.stats.reconnects).toBe(0);
      expect(agent.stats.rewatches).toBe(0);
      expect(logs).not.toContain('fleet-disconnected');
      expect(logs).not.toContain('fleet-stale');
      // Still following: a change after the reopenings arrives.
      await call('RegisterNetworkInterface', { PrivateIpAddress: '10.1.0.3', Groups: [groups.db], HostId: 'db-1' });
      const committed = store.revision;
      await eventually(() => agent.appliedRevision >= committed, 10_000, 'change after reopen');
      expect([...agent.model.interfaces()].map((i) => i.privateIpv4[0]).sort()).toEqual(['10.1.0.1', '10.1.0.3']);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it('boots from the agent state file when etcd is unreachable, and says so', async () => {
    const flags = flagsFor('db-1', proxy.endpoints);
    expect(existsSync(flags.agentStateFile)).toBe(true);
    const revision = (JSON.parse(readFileSync(flags.agentStateFile, 'utf8')) as { revision: number }).revision;
    const { log, lines } = capturedLogger();
    await proxy.cut();
    let live: LiveModel | undefined;
    try {
      live = await fleetModel(flags, log, 200);
      expect(live.fleet).toMatchObject({ hostId: 'db-1', source: 'file' });
      expect(live.fleet!.revision()).toBe(revision);
      expect(live.readyNote).toContain('etcd unreachable');
      expect(lines().find((l) => l.event === 'fleet-boot-from-file')).toMatchObject({ revision, file: flags.agentStateFile });
      expect([...live.view.interfaces()].map((i) => i.privateIpv4[0]).sort()).toEqual(['10.1.0.1']);
    } finally {
      await proxy.restore();
      await live?.close();
    }
  }, 60_000);
});
