// The per-packet path (decode → interface lookup → conntrack → classify → verdict) allocates
// nothing: a million judged frames run without one garbage collection, while the same loop with
// one small object per frame does collect (so the check can fail).
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Dataplane, JUDGE_BATCH } from '../../src/dataplane/dataplane.js';
import { isAllowed } from '../../src/dataplane/verdict.js';
import { buildFragments, buildFrame } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { collectionsDuring, fewestCollectionsOver } from '../support/gc-count.js';
import { StaticModel } from '../support/static-model.js';

// Without inlining, every call boundary on the path is a real call: a uint32 above 2^30 or a
// double passed or returned across one is boxed in a heap number, and this test sees it whatever
// the JIT would have chosen to inline (vitest runs each test file in its own process).
setFlagsFromString('--no-turbo-inlining');

const WORLD4 = { kind: 'cidr4', cidr: '0.0.0.0/0' } as const;
const EPOCH_MS = 1_764_000_000_123.25;

describe('judging a frame allocates nothing', () => {
  const model = new StaticModel();
  model.setGroup('sg-web', [
    { protocol: 6, fromPort: 80, toPort: 80, peer: WORLD4 },
    { protocol: 6, fromPort: 22, toPort: 22, peer: { kind: 'cidr4', cidr: '203.0.113.0/24' } },
    { protocol: 1, fromPort: -1, toPort: -1, peer: WORLD4 },
    { protocol: 17, fromPort: 53, toPort: 53, peer: { kind: 'group', groupId: 'sg-web', userId: '1' } },
    // group and prefix-list peers, resolved through the shared address sets after the trie
    { protocol: 6, fromPort: 5432, toPort: 5432, peer: { kind: 'group', groupId: 'sg-db', userId: '1' } },
    { protocol: 6, fromPort: 5432, toPort: 5432, peer: { kind: 'prefix-list', prefixListId: 'pl-1' } },
    { egress: true, protocol: -1, peer: WORLD4 },
    { egress: true, protocol: -1, peer: { kind: 'cidr6', cidr: '::/0' } },
  ]);
  model.setInterface('eni-a', ['sg-web'], ['10.0.0.1'], ['2001:db8::1']);
  model.setInterface('eni-b', ['sg-web'], ['10.0.0.2']);
  model.setPrefixList('pl-1', ['192.0.2.0/24', '2001:db8:aa::/48']);
  const frames = [
    buildFrame({ src: '198.51.100.1', dst: '10.0.0.1', proto: 'tcp', sport: 1000, dport: 80, flags: 'S' }),
    buildFrame({ src: '10.0.0.1', dst: '198.51.100.1', proto: 'tcp', sport: 80, dport: 1000, flags: 'SA' }),
    buildFrame({ src: '203.0.113.9', dst: '10.0.0.1', proto: 'tcp', sport: 2000, dport: 22, flags: 'S' }),
    buildFrame({ src: '10.0.0.1', dst: '203.0.113.9', proto: 'tcp', sport: 22, dport: 2000, flags: 'SA' }),
    buildFrame({ src: '203.0.113.9', dst: '10.0.0.1', proto: 'tcp', sport: 2000, dport: 22, flags: 'A' }),
    buildFrame({ src: '198.51.100.1', dst: '10.0.0.1', proto: 'tcp', sport: 1001, dport: 23, flags: 'S' }),
    buildFrame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 3000, dport: 53 }),
    buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 53, dport: 3000 }),
    buildFrame({ src: '198.51.100.1', dst: '10.0.0.1', proto: 'icmp', icmp: { type: 8, id: 4 } }),
    buildFrame({ src: '10.0.0.1', dst: '198.51.100.1', proto: 'icmp', icmp: { type: 0, id: 4 } }),
    buildFrame({ src: '2001:db8::1', dst: '2001:db8:ff::1', proto: 'tcp', sport: 4000, dport: 443, flags: 'S' }),
    buildFrame({ src: '2001:db8:ff::1', dst: '2001:db8::1', proto: 'tcp', sport: 443, dport: 4000, flags: 'SA' }),
    buildFrame({ src: '10.0.0.1', dst: '198.51.100.50', proto: 47, payload: 'gre' }),
    buildFrame({ src: '198.51.100.3', dst: '198.51.100.4', proto: 'udp', sport: 1, dport: 2 }),
    // dropped: a member of another group, an unmanaged
    // address outside the list (IPv4 and IPv6); admitted by the list
    buildFrame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 5000, dport: 5432, flags: 'S' }),
    buildFrame({ src: '198.51.100.1', dst: '10.0.0.1', proto: 'tcp', sport: 5001, dport: 5432, flags: 'S' }),
    buildFrame({ src: '2001:db8:ff::1', dst: '2001:db8::1', proto: 'tcp', sport: 5002, dport: 5432, flags: 'S' }),
    buildFrame({ src: '192.0.2.7', dst: '10.0.0.1', proto: 'tcp', sport: 5003, dport: 5432, flags: 'S' }),
    ...buildFragments({ src: '198.51.100.1', dst: '10.0.0.1', proto: 'udp', sport: 5, dport: 53, payload: 'f'.repeat(40) }, 16),
  ];
  const dp = new Dataplane(model, { conntrackCapacity: 1 << 12 });
  let sink: unknown = null;
  const judgeAll = (n: number, allocate: boolean): number => {
    let allowed = 0;
    for (let i = 0; i < n; i++) {
      const f = frames[i % frames.length];
      // A capture's clock: epoch milliseconds with a fraction, a double no small integer stands in for.
      dp.clock[0] = EPOCH_MS + i * 0.37;
      allowed += isAllowed(dp.judgeNow(LinkType.ETHERNET, f, 0, f.length, f.length)) ? 1 : 0;
      if (allocate) sink = { i };
    }
    return allowed;
  };

  it('1,000,000 mixed frames (tracked, untracked, dropped, IPv6, fragments) without a garbage collection', async () => {
    judgeAll(50_000, false);
    const control = await collectionsDuring(() => judgeAll(1_000_000, true));
    expect(sink).not.toBeNull();
    expect(control.count).toBeGreaterThan(0);
    const judging = await fewestCollectionsOver(3, () => judgeAll(1_000_000, false));
    expect(judging.result).toBeGreaterThan(0);
    expect(judging.result).toBeLessThan(1_000_000);
    expect(judging.count).toBe(0);
  });

  // Staged batches (stage → prefetchStaged → judgeStaged), as the AF_PACKET and NFQUEUE loops judge.
  const judgeStagedAll = (n: number): number => {
    let allowed = 0;
    for (let i = 0; i < n; i += JUDGE_BATCH) {
      const group = Math.min(JUDGE_BATCH, n - i);
      for (let j = 0; j < group; j++) {
        const f = frames[(i + j) % frames.length];
        dp.stage(j, LinkType.ETHERNET, f, 0, f.length, f.length);
      }
      dp.prefetchStaged(group);
      for (let j = 0; j < group; j++) {
        dp.clock[0] = EPOCH_MS + (i + j) * 0.37;
        allowed += isAllowed(dp.judgeStaged(j)) ? 1 : 0;
      }
    }
    return allowed;
  };

  it('1,000,000 frames judged in staged batches without a garbage collection', async () => {
    judgeStagedAll(50_000);
    const judging = await fewestCollectionsOver(3, () => judgeStagedAll(1_000_000));
    expect(judging.result).toBeGreaterThan(0);
    expect(judging.result).toBeLessThan(1_000_000);
    expect(judging.count).toBe(0);
  });
});
