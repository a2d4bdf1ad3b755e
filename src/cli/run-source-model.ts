// `sgfw run --source ec2`: the live model, an EC2 account followed by polling
// (src/source/ec2-source.ts). Loaded by run-model.ts only when --source is given: it brings the AWS
// SDK, whose loading costs seconds of start-up no other command should pay. The source starts
// (first poll, or the listing saved in --source-state when EC2 cannot be read) before the Dataplane
// is built on it, and every change a poll finds afterwards is one applyModel. SIGHUP polls now. The
// source's Prometheus families join the mode's /metrics; GET /status and `sgfw status` say how
// stale it is.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hugePageMemory } from '../capture/huge-pages.js';
import { Dataplane } from '../dataplane/dataplane.js';
import type { Logger } from '../observe/logger.js';
import { Ec2Reader } from '../source/ec2-reader.js';
import { Ec2Source } from '../source/ec2-source.js';
import { hostAddresses } from '../source/host-addresses.js';
import { sourceMetricFamilies } from '../source/source-metrics.js';
import { SourceStateFileError } from '../source/source-state-file.js';
import type { LiveModel } from './live-model.js';
import { DEFAULT_AGENT_STATE_DIR } from './run-fleet.js';
import type { SourceFlags } from './run-source.js';
import { UsageError } from './usage-error.js';

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
