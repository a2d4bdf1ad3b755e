// Counts the garbage collections that start while `run` runs: a per-packet path that allocates
// nothing runs a million frames without one.
import { PerformanceObserver } from 'node:perf_hooks';

export async function collectionsDuring<T>(run: () => T): Promise<{ count: number; result: T }> {
  const seen: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) seen.push(e.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  const from = performance.now();
  const result = run();
  const to = performance.now();
  // gc entries are delivered asynchronously
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  return { count: seen.filter((t) => t >= from && t <= to).length, result };
}
