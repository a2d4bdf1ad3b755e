// Metric families of several worker threads as one process's: the samples of a family that carry
// the same labels are combined (counters summed; a gauge as its meaning says: flows held summed,
// the model version in force the lowest), so a scrape of N workers reads as a scrape of one
// Dataplane that judged everything. Runs at scrape time only.
import type { MetricFamily, MetricSample } from './metrics.js';

/** How a gauge's samples combine across workers (counters always sum). */
export type GaugeCombine = 'sum' | 'min' | 'max';

function labelKey(labels: Readonly<Record<string, string>> | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
}

/**
 * One family per name over every worker's families, in the order they first appear; a family's
 * samples in the order their labels first appear. `gauges` names how a gauge combines (default sum).
 */
export function mergeFamilies(perWorker: readonly (readonly MetricFamily[])[], gauges: Readonly<Record<string, GaugeCombine>> = {}): MetricFamily[] {
  const families = new Map<string, { family: MetricFamily; samples: Map<string, { labels?: Readonly<Record<string, string>>; value: number }> }>();
  for (const set of perWorker) {
    for (const family of set) {
      let merged = families.get(family.name);
      if (!merged) {
        merged = { family, samples: new Map() };
        families.set(family.name, merged);
      }
      const combine: GaugeCombine = family.type === 'counter' ? 'sum' : (gauges[family.name] ?? 'sum');
      for (const s of family.samples) {
        const key = labelKey(s.labels);
        const seen = merged.samples.get(key);
        if (!seen) merged.samples.set(key, { ...(s.labels ? { labels: s.labels } : {}), value: s.value });
        else if (combine === 'sum') seen.value += s.value;
        else if (combine === 'min') seen.value = Math.min(seen.value, s.value);
        else seen.value = Math.max(seen.value, s.value);
      }
    }
  }
  return [...families.values()].map(({ family, samples }) => ({ name: family.name, help: family.help, type: family.type, samples: [...samples.values()] as MetricSample[] }));
}
