// Host mode's worker threads follow the main thread's model: a change sent to them is in force on
// every worker once `inForce()` resolves (each worker's Dataplane at the model's version), a
// reload (the whole model) too; a queue that cannot be bound fails the start. Binds NFQUEUE queues
// (no iptables rules, no traffic): needs root; skipped only outside CI when not root.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../src/capture/nfqueue.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { HostWorkers } from '../../src/live/host-workers.js';
import { SecurityGroupService } from '../../src/control/service.js';

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
// queues of our own, far from the e2e tests' (they bind low numbers)
const BASE = 52000 + (process.pid % 1000) * 8;
const pools: HostWorkers[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

function service(): SecurityGroupService {
  const s = new SecurityGroupService({ idGenerator: (() => { let n = 0; return () => (++n).toString(16).padStart(17, '0'); })() });
  s.createSecurityGroup({ GroupName: 'web', Description: 'web' });
  const group = [...s.groups()][0]!.groupId;
  s.registerNetworkInterface({ NetworkInterfaceId: 'eni-0123456789abcdef0', PrivateIpAddress: '10.0.0.5', Groups: [group] });
  return s;
}

describe.runIf(enabled)('host workers follow the model', () => {
  it('a change is in force on every worker once inForce resolves; a reload too', async () => {
    expect(existsSync(NFQUEUE_ADDON)).toBe(true);
    const s = service();
    const dataplane = new Dataplane(s, { conntrackCapacity: 1024 });
    const pool = HostWorkers.spawn(s, { queueBase: BASE, workers: 3, maxLen: 0, failOpen: false });
    pools.push(pool);
    dataplane.onApplied = (change) => pool.apply(change);
    s.onChange((change) => dataplane.applyModel(change));
    const group = [...s.groups()][0]!.groupId;
    // sent before the workers are up: they take it once started
    s.authorizeSecurityGroupIngress({ GroupId: group, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] });
    await pool.ready();
    for (let i = 0; i < 5; i++) {
      s.authorizeSecurityGroupIngress({ GroupId: group, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1000 + i, ToPort: 1000 + i, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] });
      await pool.inForce();
      // read straight from the workers' shared slots, not through a message queued behind the change
      expect(pool.workerVersions()).toEqual([s.version, s.version, s.version]);
    }
    s.createSecurityGroup({ GroupName: 'db', Description: 'db' }); // a version the workers have not seen…
    dataplane.applyModel(); // …sent whole, as a reload does
    await pool.inForce();
    expect(pool.workerVersions()).toEqual([s.version, s.version, s.version]);
    const stats = await pool.stats();
    expect(stats.each.map((w) => w.modelVersion)).toEqual([s.version, s.version, s.version]);
    // each worker timed the 7 deltas (6 authorizes, the new group) and the image it applied: what held its loop besides packets
    expect(stats.each.map((w) => w.pauses.controls)).toEqual([8, 8, 8]);
    expect(stats.pauses.controls).toBe(24);
    expect(stats.pauses.controlMaxMs).toBe(Math.max(...stats.each.map((w) => w.pauses.controlMaxMs)));
    expect(stats.pauses.controlMaxMs).toBeGreaterThan(0);
    expect(stats.pauses.controlTotalMs).toBeGreaterThanOrEqual(stats.pauses.controlMaxMs);
  });

  it('a queue another reader holds fails the start, naming it', async () => {
    const s = service();
    const first = HostWorkers.spawn(s, { queueBase: BASE + 4, workers: 1, maxLen: 0, failOpen: false });
    pools.push(first);
    await first.ready();
    const second = HostWorkers.spawn(s, { queueBase: BASE + 4, workers: 2, maxLen: 0, failOpen: false });
    await expect(second.ready()).rejects.toThrow(/NFQUEUE/);
  });
});
