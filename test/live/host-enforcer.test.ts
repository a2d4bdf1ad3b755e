// The host-mode verdict loop over a hand-made NFQUEUE batch: Albert's host (seed 000), SSH from
// his own machine only, all egress.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { META_STRIDE, NfqMeta, NfqVerdict, type NfqueueBatch } from '../../src/capture/nfqueue.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { HostEnforcer } from '../../src/live/host-enforcer.js';
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
});
