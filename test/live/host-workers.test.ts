// Host mode's worker threads follow the main thread's model: a change sent to them is in force on
// every worker once `inForce()` resolves (each worker's Dataplane at the model's version), a
// reload (the whole model) too; a queue that cannot be bound fails the start. Binds NFQUEUE queues
// (no iptables rules, no traffic): needs root; skipped only outside CI when not root.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../src/capture/nfqueue.js';
import { threadScheduling } from '../../src/capture/realtime-thread.js';
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
    // each worker timed the 6 deltas (authorizes: the group of its interface) and the image it
    // applied: what held its loop besides packets (the new group, in no interface, was not sent)
    expect(stats.each.map((w) => w.pauses.controls)).toEqual([7, 7, 7]);
    expect(stats.pauses.controls).toBe(21);
    expect(stats.pauses.controlMaxMs).toBe(Math.max(...stats.each.map((w) => w.pauses.controlMaxMs)));
    expect(stats.pauses.controlMaxMs).toBeGreaterThan(0);
    expect(stats.pauses.controlTotalMs).toBeGreaterThanOrEqual(stats.pauses.controlMaxMs);
  });

  it('a change to a group no interface is in wakes no worker, yet is in force (versions too); one to a group in use still reaches them', async () => {
    const s = service();
    const used = [...s.groups()][0]!.groupId;
    const unused = s.createSecurityGroup({ GroupName: 'spare', Description: 'spare' }).GroupId;
    const dataplane = new Dataplane(s, { conntrackCapacity: 1024 });
    const pool = HostWorkers.spawn(s, { queueBase: BASE + 6, workers: 2, maxLen: 0, failOpen: false });
    pools.push(pool);
    dataplane.onApplied = (change) => pool.apply(change);
    s.onChange((change) => dataplane.applyModel(change));
    await pool.ready();
    const permission = (port: number) => [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }];
    for (let i = 0; i < 20; i++) {
      s.authorizeSecurityGroupIngress({ GroupId: unused, IpPermissions: permission(2000 + i) });
      await pool.inForce();
      expect(pool.workerVersions()).toEqual([s.version, s.version]);
    }
    s.deleteSecurityGroup({ GroupId: unused });
    await pool.inForce();
    let stats = await pool.stats();
    expect(stats.each.map((w) => w.pauses.controls)).toEqual([0, 0]);
    expect(stats.each.map((w) => w.modelVersion)).toEqual([s.version, s.version]);
    // the group in use: sent, applied, acked
    s.authorizeSecurityGroupIngress({ GroupId: used, IpPermissions: permission(22) });
    await pool.inForce();
    expect(pool.workerVersions()).toEqual([s.version, s.version]);
    stats = await pool.stats();
    expect(stats.each.map((w) => w.pauses.controls)).toEqual([1, 1]);
    expect(stats.each.map((w) => w.modelVersion)).toEqual([s.version, s.version]);
  });

  it('--realtime-workers: each worker thread, and only it, runs in SCHED_FIFO', async () => {
    const s = service();
    const pool = HostWorkers.spawn(s, { queueBase: BASE + 2, workers: 2, maxLen: 0, failOpen: false, realtime: 10 });
    pools.push(pool);
    await pool.ready();
    expect(pool.threads.map((t) => t && { policy: t.policy, priority: t.priority })).toEqual([{ policy: 'fifo', priority: 10 }, { policy: 'fifo', priority: 10 }]);
    const tids = pool.threads.map((t) => t!.tid);
    expect(new Set([...tids, process.pid]).size).toBe(3);
    // the kernel says so too, and this (main) thread kept the normal class
    for (const tid of tids) expect(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[38]).toBe('1');
    expect(threadScheduling()?.policy).toBe('other');
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
