// Several workers' metric families read as one process's: counters summed by label set, gauges as
// their meaning says (a sum by default, the lowest where asked), families and samples in first-seen order.
import { describe, expect, it } from 'vitest';
import { mergeFamilies } from '../../src/observe/metric-merge.js';
import type { MetricFamily } from '../../src/observe/metrics.js';

const packets = (a: number, b: number): MetricFamily => ({
  name: 'sgfw_packets_total', help: 'p', type: 'counter',
  samples: [{ labels: { interface: 'eni-1', verdict: 'allow' }, value: a }, { labels: { verdict: 'drop', interface: 'eni-1' }, value: b }],
});
const gauge = (name: string, value: number): MetricFamily => ({ name, help: 'g', type: 'gauge', samples: [{ value }] });

describe('merging the families of several workers', () => {
  it('sums counters sample by sample, whatever order the labels were written in', () => {
    const merged = mergeFamilies([[packets(1, 2)], [packets(10, 20)]]);
    expect(merged).toEqual([packets(11, 22)]);
  });

  it('a label set one worker lacks is kept from the others', () => {
    const only: MetricFamily = { name: 'sgfw_packets_total', help: 'p', type: 'counter', samples: [{ labels: { interface: 'eni-2', verdict: 'allow' }, value: 5 }] };
    const merged = mergeFamilies([[packets(1, 2)], [only]]);
    expect(merged[0]!.samples.map((s) => s.value)).toEqual([1, 2, 5]);
  });

  it('gauges sum by default and take the lowest (or highest) where asked; a counter always sums', () => {
    const merged = mergeFamilies(
      [[gauge('entries', 3), gauge('version', 7), gauge('peak', 1)], [gauge('entries', 4), gauge('version', 5), gauge('peak', 9)]],
      { version: 'min', peak: 'max', sgfw_packets_total: 'min' },
    );
    expect(merged.map((f) => [f.name, f.samples[0]!.value])).toEqual([['entries', 7], ['version', 5], ['peak', 9]]);
    expect(mergeFamilies([[packets(1, 1)], [packets(2, 2)]], { sgfw_packets_total: 'min' })[0]!.samples[0]!.value).toBe(3);
  });

  it('leaves its inputs as they were', () => {
    const a = [packets(1, 2)];
    mergeFamilies([a, [packets(3, 4)]]);
    expect(a).toEqual([packets(1, 2)]);
  });
});
