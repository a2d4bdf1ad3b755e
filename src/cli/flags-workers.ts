// `--workers N`: how many threads judge frames (replay and the live modes). One is the one-thread
// dataplane of old, on the main thread; more start N worker threads, each with its own Dataplane.
// A capture by libpcap (`--capture pcap`, inline and monitor modes) is one thread's: libpcap has no
// PACKET_FANOUT (the kernel's way to share an interface's frames among sockets, a flow to one), and
// the `cap` binding gives no socket to set it on.
import { availableParallelism } from 'node:os';
import type { CaptureMethod } from '../capture/capture-method.js';
import type { FlagSpec, ParsedArgs } from './flags.js';
import { integerIn } from './flags-value-checks.js';
import { UsageError } from './usage-error.js';

/** The most workers a flag may ask for: more threads than this only contend. */
const MAX_WORKERS = 256;

export const WORKERS_FLAG: FlagSpec = {
  name: 'workers',
  kind: 'string',
  value: 'N',
  description: 'threads that judge frames (default: the cores available; 1 judges on the main thread)',
  // one message for 0, -1, 1.5, 'two' and 257 alike, from the command line, the config file and SGFW_WORKERS
  check: integerIn(1, MAX_WORKERS, `a whole number from 1 to ${MAX_WORKERS}`),
};

/** The --workers value, or undefined when absent (its check has refused anything out of 1..256). */
export function workersFlag(args: ParsedArgs): number | undefined {
  return args.integer('workers');
}

/** The cores this process may run on. */
export function availableCores(): number {
  return availableParallelism();
}

export interface CaptureWorkers {
  workers: number;
  /** set when the default (the cores available) fell to 1 because of the capture method: why, for a log line */
  oneThreadBecause: string | null;
}

/**
 * Inline and monitor modes' worker count: --workers as given, else the cores available. With
 * `method` pcap (`given`: by --capture, else because the afpacket addon is not built) --workers
 * N > 1 is a usage error saying why and what to use, and the default is 1.
 */
export function captureWorkers(args: ParsedArgs, method: CaptureMethod, given: boolean, cores: number = availableCores()): CaptureWorkers {
  const n = workersFlag(args);
  if (method !== 'pcap') return { workers: n ?? cores, oneThreadBecause: null };
  if (n !== undefined && n > 1) {
    throw new UsageError(
      given
        ? `--workers ${n} cannot go with --capture pcap: libpcap cannot share an interface among threads (no PACKET_FANOUT); use --capture afpacket, or --workers 1`
        : `--workers ${n} needs --capture afpacket, and its addon is not built (bash scripts/build-native.sh): libpcap, the fallback, cannot share an interface among threads; or use --workers 1`,
    );
  }
  const because = given ? '--capture pcap' : '--capture pcap (the afpacket addon is not built)';
  return { workers: 1, oneThreadBecause: n === undefined && cores > 1 ? `${because} judges on one thread: libpcap cannot share an interface among threads; --capture afpacket uses every core` : null };
}
