// The flow-log flags of `sgfw run` (any mode): the file, its rotation and the aggregation
// interval, parsed into the options every live mode takes (startMonitor, RunFlowLog). `sgfw replay`
// takes the interval flag alone: it writes one file, never rotated.
import { integerIn, oneOf } from './flags-value-checks.js';
import type { FlagSpec, ParsedArgs } from './flags.js';
import { UsageError } from './usage-error.js';

/** --flow-log-interval: 60 or 600 seconds, as AWS offers */
export const FLOW_LOG_INTERVAL_FLAG: FlagSpec = {
  name: 'flow-log-interval',
  kind: 'string',
  value: 'SECONDS',
  description: 'aggregation interval: 60 or 600, as AWS offers (default 60)',
  check: oneOf(['60', '600']),
};

export const FLOW_LOG_FLAGS: readonly FlagSpec[] = [
  { name: 'flow-log', kind: 'string', value: 'FILE', description: 'append VPC Flow Logs v2 records (default format, a header line first in each file)' },
  { name: 'flow-log-max-size', kind: 'string', value: 'SIZE', description: 'rotate FILE before it passes SIZE bytes (K, M, G: ×1024; 0: never; default 64M)', check: byteSize },
  { name: 'flow-log-max-age', kind: 'string', value: 'AGE', description: 'rotate FILE once it is this old: seconds or 30m, 1h, 1d (0: never; default 1h)', check: durationSec },
  { name: 'flow-log-keep', kind: 'string', value: 'N', description: 'rotated files kept, FILE.1 the newest … FILE.N (default 5; 0: none)', check: integerIn(0, 1000, 'a number of files 0–1000') },
  FLOW_LOG_INTERVAL_FLAG,
];

export interface FlowLogFlagValues {
  flowLogFile?: string;
  flowLogMaxBytes?: number;
  flowLogMaxAgeSec?: number;
  flowLogKeep?: number;
  flowLogWindowSec?: number;
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
const AGE_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** '64M' → 67108864; '1024', '512K', '1G', '1.5M' (whole bytes); null when not a size. */
export function parseByteSize(text: string): number | null {
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMG]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]) * SIZE_UNITS[m[2].toUpperCase()];
  return Number.isSafeInteger(Math.floor(n)) ? Math.floor(n) : null;
}

/** '3600', '90s', '30m', '1h', '1d' → seconds; null when not a duration. */
export function parseDurationSec(text: string): number | null {
  const m = /^([0-9]+)([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]) * AGE_UNITS[m[2]];
  return Number.isSafeInteger(n) ? n : null;
}

/** --flow-log-interval in seconds, undefined when not given (the parser has checked the value). */
export function flowLogIntervalSec(args: ParsedArgs): number | undefined {
  const interval = args.string('flow-log-interval');
  return interval === undefined ? undefined : Number(interval);
}

function byteSize(value: string, flag: string): void {
  if (parseByteSize(value) === null) throw new UsageError(`${flag} expects bytes or a size like 64M, got '${value}'`);
}

function durationSec(value: string, flag: string): void {
  if (parseDurationSec(value) === null) throw new UsageError(`${flag} expects seconds or a duration like 1h, got '${value}'`);
}

/** The flow-log flags' values (each already checked by the parser); a tuning flag without --flow-log is a usage error. */
export function flowLogFlagValues(args: ParsedArgs): FlowLogFlagValues {
  const out: FlowLogFlagValues = { flowLogFile: args.string('flow-log') };
  const size = args.string('flow-log-max-size');
  if (size !== undefined) out.flowLogMaxBytes = parseByteSize(size) ?? undefined;
  const age = args.string('flow-log-max-age');
  if (age !== undefined) out.flowLogMaxAgeSec = parseDurationSec(age) ?? undefined;
  const keep = args.string('flow-log-keep');
  if (keep !== undefined) out.flowLogKeep = Number(keep);
  const interval = args.string('flow-log-interval');
  const windowSec = flowLogIntervalSec(args);
  if (windowSec !== undefined) out.flowLogWindowSec = windowSec;
  const tuned = size ?? age ?? keep ?? interval;
  if (tuned !== undefined && out.flowLogFile === undefined) {
    throw new UsageError('--flow-log-max-size, --flow-log-max-age, --flow-log-keep and --flow-log-interval need --flow-log FILE');
  }
  return out;
}
