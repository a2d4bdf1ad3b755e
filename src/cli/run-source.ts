// `sgfw run --mode host|inline --source ec2[:REGION] [--source-filter …]`: the model a live mode
// enforces comes from an EC2 account, polled (src/source/ec2-source.ts), instead of --state files,
// a local API or etcd. The flags are checked here; the source starts (first poll, or the listing
// saved in --source-state when the endpoint is unreachable) before the Dataplane is built on it,
// and every change a poll finds afterwards is one applyModel. SIGHUP polls now. The source's
// Prometheus families join the mode's /metrics; GET /status and `sgfw status` say how stale it is.
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Filter } from '@aws-sdk/client-ec2';
import { hugePageMemory } from '../capture/huge-pages.js';
import { HOST_ID_PATTERN } from '../control/host-id.js';
import { Dataplane } from '../dataplane/dataplane.js';
import type { Logger } from '../observe/logger.js';
import { Ec2Reader } from '../source/ec2-reader.js';
import { Ec2Source } from '../source/ec2-source.js';
import { hostAddresses } from '../source/host-addresses.js';
import { sourceMetricFamilies } from '../source/source-metrics.js';
import { SourceStateFileError } from '../source/source-state-file.js';
import { parseDurationSec } from './flags-flow-log.js';
import type { FlagSpec } from './flags.js';
import type { LiveModel } from './live-model.js';
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

export const SOURCE_FLAGS: readonly FlagSpec[] = [
  { name: 'source', kind: 'string', value: 'ec2[:REGION]', description: 'with --mode host or inline: enforce this host\'s interfaces from an EC2 account, polled (read-only)' },
  {
    name: 'source-filter', kind: 'string', value: 'NAME=VALUE[,VALUE…]', repeatable: true,
    description: `with --source: an EC2 filter for the groups, interfaces and VPCs listed (${COMMON_FILTERS.join(', ')}, tag:KEY); repeat for more`,
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

/**
 * The SDK warns through process.emitWarning, a plain text block on stderr, that its releases after
 * January 2027 need Node 22; stderr is all JSON log records, so the same news goes there as one.
 */
function quietSdkNodeWarning(log: Logger): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22 || process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === 'true') return;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  log.warn({ event: 'sdk-node-version', node: process.versions.node }, 'the AWS SDK releases published after the first week of January 2027 need Node 22 or newer; this one works on this Node');
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
  const m = /^ec2(?::([a-z0-9-]+))?$/.exec(sourceText);
  if (m === null) throw new UsageError(`--source expects ec2 or ec2:REGION (e.g. ec2:eu-west-1), got '${sourceText}'`);
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
    region: m[1],
    filters: get.filters.map(parseSourceFilter),
    filterText: get.filters,
    intervalMs: 1000 * (parseDurationSec(get.interval ?? '') ?? DEFAULT_SOURCE_INTERVAL_SEC),
    jitterMs: 1000 * (parseDurationSec(get.jitter ?? '') ?? DEFAULT_SOURCE_JITTER_SEC),
    stateFile: get.stateFile,
    hostId,
  };
}

/**
 * Starts the source and a Dataplane on it. Ec2SourceError, SourceStateFileError, UsageError (no
 * region): start-up failures. `addresses`: this host's own (the kernel's unless a test says).
 */
export async function sourceModel(flags: SourceFlags, log: Logger, addresses: () => ReadonlySet<string> = hostAddresses): Promise<LiveModel> {
  quietSdkNodeWarning(log);
  const reader = new Ec2Reader({ region: flags.region, filters: flags.filters });
  let region: string;
  try {
    region = await reader.region();
  } catch {
    reader.close();
    throw new UsageError('--source ec2: no region; give --source ec2:REGION, or set AWS_REGION (or a region in the AWS config file)');
  }
  const endpoint = await reader.endpoint();
  const stateFile = flags.stateFile ?? join(DEFAULT_AGENT_STATE_DIR, `source-ec2-${region}.json`);
  try {
    await mkdir(dirname(stateFile), { recursive: true, mode: 0o700 });
  } catch (e) {
    reader.close();
    throw new SourceStateFileError(stateFile, `cannot create its directory: ${(e as Error).message}`);
  }
  const source = new Ec2Source({
    reader, region, endpoint, filterText: flags.filterText, hostId: flags.hostId, hostAddresses: addresses, stateFile,
    intervalMs: flags.intervalMs, jitterMs: flags.jitterMs,
    log: (level, fields, message) => log[level](fields, message),
  });
  let started: { source: 'ec2' | 'file' };
  try {
    started = await source.start();
  } catch (e) {
    reader.close();
    throw e;
  }
  // Built in the same turn as start() returned: no poll can fall between the two.
  const dataplane = new Dataplane(source, { recordMemory: hugePageMemory });
  const detach = source.attach(dataplane);
  const interfaces = [...source.interfaces()].map((i) => i.interfaceId);
  const where = `ec2:${region}${flags.filterText.length > 0 ? ` [${flags.filterText.join(' ')}]` : ''}`;
  if (started.source === 'ec2') {
    log.info(
      { event: 'source-connected', endpoint, region, filters: flags.filterText, hostId: flags.hostId, interfaces, sourceState: stateFile, calls: source.calls },
      `following ${where} at ${endpoint} as host ${flags.hostId}, every ${flags.intervalMs / 1000} s`,
    );
  }
  if (interfaces.length === 0) {
    log.warn(
      { event: 'source-no-interfaces', hostId: flags.hostId },
      `no interface of ${where} has one of this host's addresses or the tag sgfw:host-id=${flags.hostId}: nothing to enforce until one does`,
    );
  }
  const labels = { region, host_id: flags.hostId };
  return {
    dataplane,
    view: source,
    api: null,
    reloads: null,
    source: {
      kind: 'ec2', region, endpoint, hostId: flags.hostId, from: started.source,
      connected: () => source.connected, staleSeconds: () => source.staleSeconds(), currentAt: () => source.currentAt, lastError: () => source.lastError,
    },
    readyNote: `, ${where} as host ${flags.hostId}${started.source === 'file' ? ` (from ${stateFile}: EC2 unreachable)` : ''}`,
    hangupHint: ', SIGHUP to poll EC2 now',
    metricFamilies: () => sourceMetricFamilies(source, labels),
    hangup() {
      log.info({ event: 'sighup', poll: true }, 'SIGHUP: polling EC2 now');
      return source.pollNow();
    },
    async close() {
      await source.stop();
      detach();
      reader.close();
      log.info({ event: 'source-stopped', sourceState: stateFile, polls: source.stats.polls }, `EC2 source stopped; listing kept in ${stateFile}`);
    },
  };
}
