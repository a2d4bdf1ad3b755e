// `sgfw run --mode host|inline --store etcd://… --host-id NAME [--agent-state FILE]`: the model a
// live mode enforces comes from a FleetAgent (src/fleet/agent.ts) following the etcd state for the
// interfaces registered to NAME, instead of --state files or a local API.
//
// The agent starts (lists what concerns this host, or boots from --agent-state when etcd is
// unreachable) before the Dataplane is built on its view, and every change it applies afterwards is
// one applyModel: whole transactions, in revision order, through the same atomic classifier swap
// as a local change. The agent's events become JSON log lines (connected, lost, reconnected, a
// re-list after compaction, repairs); while etcd stays away a line every STALE_LOG_EVERY_MS says
// how stale the state in force is. Its Prometheus families join the mode's /metrics. SIGHUP runs a
// reconcile now. Stopping stops the agent: a last write of the state file, and the status key's
// lease revoked (the key goes), etcd given a second for it: a frozen or unreachable etcd does not hold
// the stop (the key then expires with its lease).
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hugePageMemory } from '../capture/huge-pages.js';
import { Dataplane } from '../dataplane/dataplane.js';
import type { AgentLogFields } from '../fleet/agent-options.js';
import { FleetAgent } from '../fleet/agent.js';
import { fleetMetricFamilies } from '../fleet/agent-metrics.js';
import { AgentStateFileError } from '../fleet/agent-state-file.js';
import type { StoreUrl } from '../fleet/store-url.js';
import type { Logger } from '../observe/logger.js';
import type { LiveModel } from './live-model.js';

/** Where the agent keeps its last applied state unless --agent-state says otherwise. */
export const DEFAULT_AGENT_STATE_DIR = '/var/lib/sgfw';

export function defaultAgentStateFile(hostId: string): string {
  return join(DEFAULT_AGENT_STATE_DIR, `agent-${hostId}.json`);
}

export interface FleetFlags {
  /** `--store`, parsed */
  readonly store: StoreUrl;
  /** the text given to --store, for messages */
  readonly storeText: string;
  readonly hostId: string;
  /** --agent-state, or defaultAgentStateFile(hostId) */
  readonly agentStateFile: string;
  /** --store-stale-after in ms (absent: the agent's default) */
  readonly staleAfterMs?: number;
}

/** While etcd is away, how often a log line says how stale the state in force is. */
export const STALE_LOG_EVERY_MS = 10_000;

/** Starts the agent and a Dataplane on its view. FleetAgentError, AgentStateFileError: start-up failures. */
export async function fleetModel(flags: FleetFlags, log: Logger, staleLogEveryMs = STALE_LOG_EVERY_MS): Promise<LiveModel> {
  const { hostId, agentStateFile } = flags;
  try {
    await mkdir(dirname(agentStateFile), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AgentStateFileError(agentStateFile, `cannot create its directory: ${(e as Error).message}`);
  }
  const agent = new FleetAgent({
    endpoints: flags.store.endpoints,
    prefix: flags.store.prefix,
    tls: flags.store.tls,
    auth: flags.store.auth,
    staleAfterMs: flags.staleAfterMs,
    hostId,
    stateFile: agentStateFile,
    onLog: (message, fields) => agentLog(log, message, fields),
  });
  const started = await agent.start();
  // Built in the same turn as start() returned: no applied change can fall between the two.
  const dataplane = new Dataplane(agent.model, { recordMemory: hugePageMemory });
  const detach = agent.attach(dataplane);
  const unlisten = agent.onApplied((revision, change) => {
    if (change !== undefined && change.groupIds.length + change.interfaceIds.length + change.prefixListIds.length === 0) return;
    log.info(
      {
        event: 'model-change', revision, full: change === undefined,
        ...(change === undefined ? {} : nonEmpty({ groupIds: change.groupIds, interfaceIds: change.interfaceIds, prefixListIds: change.prefixListIds })),
        modelVersion: dataplane.modelVersion, rebuildMs: dataplane.lastRebuildMs,
      },
      `rules changed in etcd (revision ${revision})`,
    );
  });
  const interfaces = [...agent.model.interfaces()].map((i) => i.interfaceId);
  if (started.source === 'etcd') {
    log.info(
      { event: 'fleet-connected', store: flags.storeText, hostId, revision: started.revision, interfaces, agentState: agentStateFile },
      `following ${flags.storeText} as host ${hostId} from revision ${started.revision}`,
    );
  }
  if (interfaces.length === 0) {
    log.warn({ event: 'fleet-no-interfaces', hostId }, `no interface is registered with HostId ${hostId} yet: nothing to enforce until one is`);
  }
  const staleTicker = setInterval(() => {
    if (agent.connected) return;
    const staleSeconds = agent.staleSeconds();
    log.warn(
      { event: 'fleet-stale', hostId, revision: agent.appliedRevision, staleSeconds: Math.round(staleSeconds * 10) / 10, reconnects: agent.stats.reconnects },
      `etcd unreachable: enforcing revision ${agent.appliedRevision}, last known current ${staleSeconds.toFixed(0)} s ago`,
    );
  }, staleLogEveryMs);
  staleTicker.unref();

  return {
    dataplane,
    view: agent.model,
    api: null,
    reloads: null,
    fleet: { hostId, revision: () => agent.appliedRevision, source: started.source, connected: () => agent.connected, staleSeconds: () => agent.staleSeconds() },
    readyNote: `, fleet host ${hostId} on ${flags.storeText} at revision ${started.revision}${started.source === 'file' ? ` (from ${agentStateFile}: etcd unreachable)` : ''}`,
    hangupHint: ', SIGHUP to reconcile with etcd',
    metricFamilies: () => fleetMetricFamilies(agent),
    hangup() {
      log.info({ event: 'sighup', reconcile: true, hostId }, 'SIGHUP: reconciling with etcd');
      return agent.reconcile().then(
        (repaired) => log.info({ event: 'fleet-reconciled', repaired, revision: agent.appliedRevision, connected: agent.connected }, `reconcile done: ${repaired} key(s) repaired`),
        (e: unknown) => log.warn({ event: 'fleet-reconcile-failed', error: (e as Error).message }, `reconcile failed: ${(e as Error).message}`),
      );
    },
    async close() {
      clearInterval(staleTicker);
      const statusRevoked = await agent.stop();
      unlisten();
      detach();
      log.info(
        { event: 'fleet-stopped', hostId, revision: agent.appliedRevision, agentState: agentStateFile, statusRevoked },
        `fleet agent stopped; ${statusRevoked ? 'status key revoked' : 'etcd did not answer: the status key expires with its lease'}`,
      );
    },
  };
}

function agentLog(log: Logger, message: string, fields: AgentLogFields | undefined): void {
  if (fields === undefined) {
    log.info({ event: 'fleet' }, message);
    return;
  }
  const { level, ...rest } = fields;
  log[level](rest, message);
}

function nonEmpty(fields: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v.length > 0));
}
