// `sgfw run --mode host|inline --source ec2[:REGION] [--source-filter …]`: the model a live mode
// enforces comes from an EC2 account, polled (src/source/ec2-source.ts), instead of --state files,
// a local API or etcd. Its flags, checked here; the model itself is run-source-model.ts, loaded
// only when --source is given (it brings the AWS SDK).
import { hostname } from 'node:os';
import type { Filter } from '@aws-sdk/client-ec2';
import { HOST_ID_PATTERN } from '../control/host-id.js';
import { parseDurationSec } from './flags-flow-log.js';
import type { FlagSpec } from './flags.js';
import { DEFAULT_AGENT_STATE_DIR } from './run-fleet.js';
import { UsageError } from './usage-error.js';

/** The filter names DescribeSecurityGroups, DescribeNetworkInterfaces and DescribeVpcs all take. */
const COMMON_FILTERS = ['vpc-id', 'owner-id', 'tag-key'];

export const DEFAULT_SOURCE_INTERVAL_SEC = 30;
export const DEFAULT_SOURCE_JITTER_SEC = 5;

function duration(value: string, flag: string): void {
  const s = parseDurationSec(value);
  if (s === null || s < 1) throw new UsageError(`${flag} expects seconds (at least 1) or a duration like 2m, got '${value}'`);
}

function jitter(value: string, flag: string): void {
  if (parseDurationSec(value) === null) throw new UsageError(`${flag} expects seconds or a duration like 10s, got '${value}'`);
}

const SOURCE_PATTERN = /^ec2(?::([a-z0-9-]+))?$/;

/** `--source`'s region (undefined for `ec2`: the SDK's own), or a UsageError. */
function sourceRegion(value: string): string | undefined {
  const m = SOURCE_PATTERN.exec(value);
  if (m === null) throw new UsageError(`--source expects ec2 or ec2:REGION (e.g. ec2:eu-west-1), got '${value}'`);
  return m[1];
}

// Checked as each value is read (command line, SGFW_*, the config file, `sgfw config check`), not
// only when the source starts: a file that `config check` passes must start.
export const SOURCE_FLAGS: readonly FlagSpec[] = [
  { name: 'source', kind: 'string', value: 'ec2[:REGION]', description: 'with --mode host or inline: enforce this host\'s interfaces from an EC2 account, polled (read-only)', check: (value) => void sourceRegion(value) },
  {
    name: 'source-filter', kind: 'string', value: 'NAME=VALUE[,VALUE…]', repeatable: true, check: (value) => void parseSourceFilter(value),
    description: `with --source: an EC2 filter for the groups, interfaces and VPCs listed (${COMMON_FILTERS.join(', ')}, tag:KEY)`,
  },
  { name: 'source-interval', kind: 'string', value: 'SECONDS', description: `with --source: time between polls (default ${DEFAULT_SOURCE_INTERVAL_SEC}s)`, check: duration },
  { name: 'source-jitter', kind: 'string', value: 'SECONDS', description: `with --source: up to this much more per poll, at random (default ${DEFAULT_SOURCE_JITTER_SEC}s)`, check: jitter },
  { name: 'source-state', kind: 'string', value: 'FILE', description: `with --source: the last good listing, started from when EC2 is unreachable (default ${DEFAULT_AGENT_STATE_DIR}/source-ec2-REGION.json)` },
];

export interface SourceFlags {
  /** the region of `ec2:REGION`; undefined: the default chain's */
  readonly region: string | undefined;
  readonly filters: readonly Filter[];
  /** --source-filter as given */
  readonly filterText: readonly string[];
  readonly intervalMs: number;
  readonly jitterMs: number;
  /** --source-state; undefined: the default for the region */
  readonly stateFile: string | undefined;
  readonly hostId: string;
}

/** One --source-filter: `vpc-id=vpc-1`, `tag:env=prod,staging`. */
export function parseSourceFilter(text: string): Filter {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq);
  const values = eq < 0 ? [] : text.slice(eq + 1).split(',');
  if (name === '' || values.some((v) => v === '')) {
    throw new UsageError(`--source-filter expects NAME=VALUE[,VALUE…] (e.g. vpc-id=vpc-0abc, tag:env=prod), got '${text}'`);
  }
  if (!COMMON_FILTERS.includes(name) && !(name.startsWith('tag:') && name.length > 4)) {
    throw new UsageError(
      `--source-filter '${name}': the filter goes to DescribeSecurityGroups, DescribeNetworkInterfaces and DescribeVpcs, which share ${COMMON_FILTERS.join(', ')} and tag:KEY only`,
    );
  }
  return { Name: name, Values: values };
}

/** The --source flags checked together; null without --source. */
export function sourceFlags(
  sourceText: string | undefined,
  get: { filters: string[]; interval?: string; jitter?: string; stateFile?: string; hostId?: string },
): SourceFlags | null {
  if (sourceText === undefined) {
    const stray = [get.filters.length > 0 && '--source-filter', get.interval !== undefined && '--source-interval', get.jitter !== undefined && '--source-jitter', get.stateFile !== undefined && '--source-state'].filter(Boolean);
    if (stray.length > 0) throw new UsageError(`${stray.join(' and ')} ${stray.length > 1 ? 'go' : 'goes'} with --source ec2[:REGION]`);
    return null;
  }
  const region = sourceRegion(sourceText);
  if (get.stateFile === '') throw new UsageError('--source-state expects a file path, got an empty one');
  const hostId = get.hostId ?? hostname();
  if (!HOST_ID_PATTERN.test(hostId)) {
    throw new UsageError(
      get.hostId === undefined
        ? `this host's name '${hostId}' is not a host id (1 to 128 letters, digits, '.', '_', ':' or '-'): give --host-id NAME`
        : `--host-id expects 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit, got '${hostId}'`,
    );
  }
  return {
    region,
    filters: get.filters.map(parseSourceFilter),
    filterText: get.filters,
    intervalMs: 1000 * (parseDurationSec(get.interval ?? '') ?? DEFAULT_SOURCE_INTERVAL_SEC),
    jitterMs: 1000 * (parseDurationSec(get.jitter ?? '') ?? DEFAULT_SOURCE_JITTER_SEC),
    stateFile: get.stateFile,
    hostId,
  };
}
