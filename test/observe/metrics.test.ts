import { describe, expect, it } from 'vitest';
import { renderExposition, type MetricFamily } from '../../src/observe/metrics.js';
import { parseExposition } from './exposition.js';

const families: MetricFamily[] = [
  { name: 'sgfw_up', help: 'Whether sgfw runs.', type: 'gauge', samples: [{ value: 1 }] },
  {
    name: 'sgfw_packets_total',
    help: 'Packets, by "reason"\nand a \\ backslash.',
    type: 'counter',
    samples: [
      { labels: { interface: 'eni-1', verdict: 'allow', reason: 'rule' }, value: 12 },
      { labels: { interface: 'odd "name"\\with\nnewline', verdict: 'drop', reason: 'ingress-no-rule' }, value: 3 },
    ],
  },
  { name: 'sgfw_rebuild_seconds', help: 'Last rebuild.', type: 'gauge', samples: [{ value: 0.00125 }] },
];

describe('metrics are written in the Prometheus text format', async () => {
  it('announces each family with HELP and TYPE, then its samples, that a parser reads back', async () => {
    const parsed = parseExposition(await renderExposition(families));
    expect([...parsed.keys()]).toEqual(['sgfw_up', 'sgfw_packets_total', 'sgfw_rebuild_seconds']);
    expect(parsed.get('sgfw_up')).toMatchObject({ type: 'gauge', samples: [{ value: 1, labels: {} }] });
    expect(parsed.get('sgfw_packets_total')!.type).toBe('counter');
    expect(parsed.get('sgfw_packets_total')!.samples.map((s) => [s.labels, s.value])).toEqual([
      [{ interface: 'eni-1', verdict: 'allow', reason: 'rule' }, 12],
      [{ interface: 'odd "name"\\with\nnewline', verdict: 'drop', reason: 'ingress-no-rule' }, 3],
    ]);
    expect(parsed.get('sgfw_rebuild_seconds')!.samples[0].value).toBe(0.00125);
  });

  it('escapes quotes, backslashes and newlines so one sample stays on one line', async () => {
    const text = await renderExposition(families);
    expect(text).toContain('interface="odd \\"name\\"\\\\with\\nnewline"');
    expect(text).toContain('# HELP sgfw_packets_total Packets, by "reason"\\nand a \\\\ backslash.\n');
    expect(text.split('\n').filter((l) => l.startsWith('sgfw_packets_total'))).toHaveLength(2);
  });

  it('writes infinities and NaN as Prometheus spells them', async () => {
    const text = await renderExposition([
      { name: 'x', help: 'h', type: 'gauge', samples: [{ labels: { k: 'a' }, value: Infinity }, { labels: { k: 'b' }, value: -Infinity }, { labels: { k: 'c' }, value: NaN }] },
    ]);
    // prom-client spells NaN "Nan"; Prometheus reads floats without regard to case (Go's ParseFloat).
    expect(text.split('\n').slice(2, 5)).toEqual(['x{k="a"} +Inf', 'x{k="b"} -Inf', 'x{k="c"} Nan']);
  });

  it('refuses names Prometheus would reject rather than serve a broken page', async () => {
    await expect(renderExposition([{ name: 'sgfw-up', help: 'h', type: 'gauge', samples: [] }])).rejects.toThrow(/sgfw-up/);
    await expect(renderExposition([{ name: 'ok', help: 'h', type: 'gauge', samples: [{ labels: { 'bad-label': 'v' }, value: 1 }] }])).rejects.toThrow(/bad-label/);
  });
});
