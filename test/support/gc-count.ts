// Counts the garbage collections that start while `run` runs: a per-packet path that allocates
// nothing runs a million frames without one.
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full collection before each measured run, so that one the test's own setup left due (a
// Dataplane's conntrack table is 128 MB of external memory, which V8 is told about) does not land
// inside the run. The flag exposes `gc` to contexts created after it is set.
setFlagsFromString('--expose-gc');
const collectNow = runInNewContext('gc') as () => void;

export async function collectionsDuring<T>(run: () => T): Promise<{ count: number; result: T }> {
  collectNow();
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

/**
 * The fewest collections seen over a few runs of `run`. A collection the run did not cause (one
 * the test worker's earlier work left due) can land in any one run; an allocating path collects
 * in every run of a million frames.
 */
export async function fewestCollectionsOver<T>(attempts: number, run: () => T): Promise<{ count: number; result: T }> {
  let best = await collectionsDuring(run);
  for (let i = 1; i < attempts && best.count > 0; i++) {
    const next = await collectionsDuring(run);
    if (next.count < best.count) best = next;
  }
  return best;
}
