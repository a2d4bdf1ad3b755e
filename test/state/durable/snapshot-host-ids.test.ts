// Issue 15: interfaces on two hosts may share an address across VPCs; the state directory's
// snapshot must keep their HostIds, or the snapshot would no longer load (every interface without
// a HostId meets every other one) and the store would refuse to start.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostIdOf } from '../../../src/control/service.js';
import { openDurableStore } from '../../../src/state/durable-store.js';

describe('a snapshot of the state directory keeps each interface\'s HostId', () => {
  it('one address on two hosts loads again after a snapshot', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sgfw-hosts-')), 'state');
    const a = await openDurableStore(dir, { snapshotEvery: 1000 });
    await a.apply('RegisterNetworkInterface', { VpcId: 'vpc-0000000000000000a', PrivateIpAddress: '10.0.0.5', HostId: 'h1' });
    await a.apply('RegisterNetworkInterface', { VpcId: 'vpc-0000000000000000b', PrivateIpAddress: '10.0.0.5', HostId: 'h2' });
    await a.snapshot();
    await a.close();

    const b = await openDurableStore(dir);
    expect(b.recovery.replayed).toBe(0);
    expect([...b.service.interfaces()].map((i) => [i.vpcId, hostIdOf(i)])).toEqual([
      ['vpc-0000000000000000a', 'h1'],
      ['vpc-0000000000000000b', 'h2'],
    ]);
    await b.close();
  });
});
