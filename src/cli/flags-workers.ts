// `--workers N`: how many threads judge frames (replay and the live modes). One is the one-thread
// dataplane of old, on the main thread; more start N worker threads, each with its own Dataplane.
import { availableParallelism } from 'node:os';
import type { FlagSpec, ParsedArgs } from './flags.js';
import { UsageError } from './usage-error.js';

export const WORKERS_FLAG: FlagSpec = {
  name: 'workers',
  kind: 'string',
  value: 'N',
  description: 'threads that judge frames (default: the cores available; 1 judges on the main thread)',
};

/** The most workers a flag may ask for: more threads than this only contend. */
const MAX_WORKERS = 256;

/** The --workers value, or undefined when absent; out of 1..256 is a usage error. */
export function workersFlag(args: ParsedArgs): number | undefined {
  const n = args.integer('workers');
  if (n === undefined) return undefined;
  if (n < 1 || n > MAX_WORKERS) throw new UsageError(`--workers expects 1-${MAX_WORKERS}, got ${n}`);
  return n;
}

/** The cores this process may run on. */
export function availableCores(): number {
  return availableParallelism();
}

/**
 * A live mode's worker count: --workers as given, else the cores available (`defaultWorkers`).
 * `oneThreadOnly` names the flags in use that are not yet with more than one worker: with them,
 * --workers N > 1 is a usage error naming them, and the default is 1.
 */
export function liveWorkers(args: ParsedArgs, oneThreadOnly: readonly string[], defaultWorkers: number = availableCores()): number {
  const n = workersFlag(args);
  if (n === undefined) return oneThreadOnly.length > 0 ? 1 : defaultWorkers;
  if (n > 1 && oneThreadOnly.length > 0) throw new UsageError(`${oneThreadOnly.join(', ')} not yet with --workers > 1 (use --workers 1)`);
  return n;
}
