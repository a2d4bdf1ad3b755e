// The host-mode verdict loop over a hand-made NFQUEUE batch: Albert's host (seed 000), SSH from
// his own machine only, all egress.
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { META_STRIDE, NfqMeta, NfqVerdict, type NfqueueBatch } from '../../src/capture/nfqueue.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { BridgeSideCounts } from '../../src/live/bridge-sides.js';
import { type DeferredError, HostEnforcer } from '../../src/live/host-enforcer.js';
import { RelatedRelay } from '../../src/live/related-relay.js';
import { Reason } from '../../src/dataplane/verdict.js';
import { LinkType } from '../../src/packet/link-types.js';
import type { VerdictSink } from '../../src/live/verdict-duties.js';
import { buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';

const ALBERT = join(import.meta.dirname, '..', '..', 'pcaps', 'albert', 'state.json');

function batchOf(specs: FrameSpec[]): NfqueueBatch {
  const frames = specs.map((s) => buildFrame({ link: 'raw', ...s }));
  const data = new Uint8Array(frames.reduce((n, f) => n + f.length, 0) + 8);
  const meta = new Uint32Array(specs.length * META_STRIDE);
  let offset = 3; // not at the start of the arena, as in a real batch
  frames.forEach((f, i) => {
    data.set(f, offset);
    meta[i * META_STRIDE + NfqMeta.ID] = 100 + i;
    meta[i * META_STRIDE + NfqMeta.OFFSET] = offset;
    meta[i * META_STRIDE + NfqMeta.LENGTH] = f.length;
    meta[i * META_STRIDE + NfqMeta.WIRE_LENGTH] = f.length;
    offset += f.length;
  });
  return { count: specs.length, meta, data, verdicts: new Uint8Array(specs.length).fill(7) };
}

async function enforcer(sink: VerdictSink | null = null): Promise<HostEnforcer> {
  const dataplane = new Dataplane(await serviceFromStateFiles([ALBERT]));
  return new HostEnforcer(dataplane, sink, () => 1000);
}

describe('host mode answers each queued packet of a batch', () => {
  it('accepts SSH from Albert\'s machine and its replies, drops SSH from elsewhere', async () => {
    const e = await enforcer();
    const batch = batchOf([
      { src: '203.0.113.5', dst: '10.0.0.10', proto: 'tcp', sport: 40000, dport: 22, flags: 'S' },
      { src: '10.0.0.10', dst: '203.0.113.5', proto: 'tcp', sport: 22, dport: 40000, flags: 'SA' },
      { src: '198.51.100.7', dst: '10.0.0.10', proto: 'tcp', sport: 40001, dport: 22, flags: 'S' },
      { src: '10.0.0.10', dst: '198.51.100.7', proto: 'tcp', sport: 50000, dport: 443, flags: 'S' },
    ]);
    e.judgeBatch(batch);
    expect([...batch.verdicts]).toEqual([NfqVerdict.ACCEPT, NfqVerdict.ACCEPT, NfqVerdict.DROP, NfqVerdict.ACCEPT]);
    expect([e.packets, e.allowed, e.dropped]).toEqual([4, 3, 1]);
  });

  it('through the kernel bridge, counts each packet by the bridge port it came in on (NFQA_IFINDEX_PHYSINDEV)', async () => {
    const e = await enforcer();
    const sides = new BridgeSideCounts();
    const INSIDE_PORT = 7;
    e.countSides(sides, INSIDE_PORT);
    const batch = batchOf([
      { src: '203.0.113.5', dst: '10.0.0.10', proto: 'tcp', sport: 40000, dport: 22, flags: 'S' },
      { src: '10.0.0.10', dst: '203.0.113.5', proto: 'tcp', sport: 22, dport: 40000, flags: 'SA' },
      { src: '198.51.100.7', dst: '10.0.0.10', proto: 'tcp', sport: 40001, dport: 22, flags: 'S' },
    ]);
    batch.meta[0 * META_STRIDE + NfqMeta.PHYS_INDEV] = 9;
    batch.meta[1 * META_STRIDE + NfqMeta.PHYS_INDEV] = INSIDE_PORT;
    batch.meta[2 * META_STRIDE + NfqMeta.PHYS_INDEV] = 9;
    batch.meta[1 * META_STRIDE + NfqMeta.SKB_INFO] = 2; // a GSO super-packet
    e.judgeBatch(batch);
    expect([...batch.verdicts]).toEqual([NfqVerdict.ACCEPT, NfqVerdict.ACCEPT, NfqVerdict.DROP]);
    expect([[...sides.received], [...sides.forwarded], [...sides.dropped], [...sides.offloaded]]).toEqual([[1, 2], [1, 1], [0, 1], [1, 0]]);
  });

  it('drops what it cannot parse (fail closed)', async () => {
    const e = await enforcer();
    const batch = batchOf([{ src: '203.0.113.5', dst: '10.0.0.10', proto: 'tcp', sport: 40000, dport: 22, flags: 'S' }]);
    batch.meta[NfqMeta.LENGTH] = 10; // a truncated IPv4 header
    e.judgeBatch(batch);
    expect(batch.verdicts[0]).toBe(NfqVerdict.DROP);
  });

  it('writes one verdict line per packet when asked', async () => {
    const lines: string[] = [];
    const e = await enforcer({ write: (l: string) => lines.push(l) });
    e.judgeBatch(batchOf([{ src: '198.51.100.7', dst: '10.0.0.10', proto: 'udp', sport: 5353, dport: 53 }]));
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([{ frame: 1, verdict: 'drop', reason: 'ingress-no-rule' }]);
  });

  it('drops the whole batch and keeps serving when judging throws', async () => {
    const e = await enforcer({
      write: () => {
        throw new Error('disk full');
      },
    });
    const batch = batchOf([{ src: '203.0.113.5', dst: '10.0.0.10', proto: 'tcp', sport: 40000, dport: 22, flags: 'S' }]);
    e.judgeBatch(batch);
    expect(batch.verdicts[0]).toBe(NfqVerdict.DROP);
    expect(e.failedBatches).toBe(1);
    expect(e.lastError?.message).toBe('disk full');
  });

  it('defers an ICMP error about a flow it does not track, and settles it by what another worker says', async () => {
    // two workers' enforcers with a relay between them, as host-worker.ts wires them
    const [a, b] = [await enforcer(), await enforcer()];
    const { port1, port2 } = new MessageChannel();
    const answers: [number, boolean][] = [];
    const relays = [a, b].map((e, i) => {
      const dp = (e as unknown as { dataplane: Dataplane }).dataplane;
      const relay = new RelatedRelay<DeferredError>([i === 0 ? port1 : port2], (f) => dp.tracksQuotedFlow(LinkType.RAW, f, 0, f.length, 1000), e.settle);
      e.askOthers(relay, (id, accept) => answers.push([id, accept]));
      return relay;
    });
    /** resolves once `n` deferred packets were answered */
    const answered = (n: number): Promise<void> =>
      new Promise((r) => {
        const check = setInterval(() => {
          if (answers.length < n) return;
          clearInterval(check);
          r();
        }, 2);
      });
    const syn: FrameSpec = { src: '10.0.0.10', dst: '198.51.100.7', proto: 'tcp', sport: 50000, dport: 443, flags: 'S' };
    b.judgeBatch(batchOf([syn])); // the flow is b's
    const error = (quote: FrameSpec): FrameSpec => ({ src: '192.0.2.1', dst: '10.0.0.10', proto: 'icmp', icmp: { type: 3, code: 4, quote } });
    const batch = batchOf([error(syn)]);
    a.judgeBatch(batch);
    expect([...batch.verdicts]).toEqual([NfqVerdict.DEFER]);
    expect(a.packets).toBe(0); // counted once settled
    await answered(1);
    expect(answers).toEqual([[100, true]]);
    expect([a.packets, a.allowed, a.dropped]).toEqual([1, 1, 0]);
    const dpA = (a as unknown as { dataplane: Dataplane }).dataplane;
    expect(dpA.reasonCounts[Reason.RELATED]).toBe(1);
    expect(dpA.reasonCounts[Reason.INGRESS_NO_RULE]).toBe(0);
    // about a flow nobody tracks: asked, then dropped with the rules' reason
    const other = batchOf([error({ ...syn, dst: '198.51.100.8' })]);
    a.judgeBatch(other);
    expect([...other.verdicts]).toEqual([NfqVerdict.DEFER]);
    await answered(2);
    expect(answers[1]).toEqual([100, false]);
    expect([a.packets, a.allowed, a.dropped]).toEqual([2, 1, 1]);
    expect(dpA.reasonCounts[Reason.INGRESS_NO_RULE]).toBe(1);
    // an error b can settle itself is not deferred
    const own = batchOf([error(syn)]);
    b.judgeBatch(own);
    expect([...own.verdicts]).toEqual([NfqVerdict.ACCEPT]);
    for (const r of relays) r.close();
  });
});
