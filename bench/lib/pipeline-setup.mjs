// What the pipeline's partial benches (pipeline-established.mjs, pipeline-rules.mjs) share: their
// whole-number flags and the bench workload (1,000 rules, bench/lib/workload.mjs) with the service
// that holds it and a maker of Dataplanes sized as bench/pipeline.mjs sizes them.
import { hugePageMemory } from '../../dist/capture/huge-pages.js';
import { Dataplane } from '../../dist/dataplane/dataplane.js';
import { SecurityGroupService } from '../../dist/control/service.js';
import { makeFrames, makeModel, stateDocument } from './workload.mjs';

/** `--name N` from the command line: a whole number above 0, or `fallback` when absent. */
export function wholeFlag(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: a whole number above 0, got ${process.argv[i + 1]}`);
  return n;
}

/**
 * The bench workload's frames (`--flows`, `--frames`; 100k and 1M by default, as bench/pipeline.mjs),
 * `passes` (`--passes`, 7 by default), and `fresh()`: a new Dataplane on its rules, its table
 * already at the slots 1M flows need.
 */
export function pipelineSetup() {
  const concurrent = wholeFlag('--flows', 100_000);
  const frames = wholeFlag('--frames', 1_000_000);
  const passes = wholeFlag('--passes', 7);
  const model = makeModel({ rules: 1000 });
  const svc = new SecurityGroupService();
  svc.importSnapshot(stateDocument(model));
  const w = makeFrames(model, { frames, concurrent });
  const fresh = () => new Dataplane(svc, { conntrackCapacity: 1 << 20, recordMemory: hugePageMemory, conntrackInitialSlots: 1 << 21 });
  return { w, concurrent, passes, fresh };
}
