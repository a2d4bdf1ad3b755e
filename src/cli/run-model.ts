// The model `sgfw run` enforces, from one of three sources:
// - `--state FILE…`: a service loaded from the files, replaced whole on SIGHUP (StateReloader);
// - `--listen HOST:PORT [--state-dir DIR]`: the durable store's service behind the EC2 API in the
//   same process; an accepted call is in force for the next packet, and SIGHUP has nothing to
//   reload (the state directory is the source of truth);
// - `--store etcd://… --host-id NAME`: a fleet agent following the etcd state of the interfaces
//   registered to NAME (run-fleet.ts); SIGHUP reconciles with etcd.
// Either way one Dataplane (and its conntrack table) lives as long as the process.
import type { SecurityGroupService } from '../control/service.js';
import { hugePageMemory } from '../capture/huge-pages.js';
import { Dataplane, type ModelChange } from '../dataplane/dataplane.js';
import { ReplaceableModel } from '../live/host-model.js';
import { StateReloader } from '../live/host-reload.js';
import type { ModelView } from '../model/model-view.js';
import type { Logger } from '../observe/logger.js';
import type { MetricFamily } from '../observe/metrics.js';
import { attachApi, type AttachedApi, type ListenAt } from './api-attach.js';
import { fleetModel, type FleetFlags } from './run-fleet.js';
import { apiNote } from './run-options.js';
import { serviceFromStateFiles } from './state-flag.js';

export interface ApiFlags {
  listen: ListenAt;
  stateDir: string;
}

export interface LiveModelOptions {
  stateFiles: readonly string[];
  /** null: no API; the state files are the model */
  api: ApiFlags | null;
  /** `--store … --host-id`: a fleet agent is the model (excludes stateFiles and api) */
  fleet?: FleetFlags | null;
  log: Logger;
}

export interface LiveModel {
  readonly dataplane: Dataplane;
  /** the model in force (for the interfaces it manages) */
  readonly view: ModelView;
  readonly api: AttachedApi | null;
  /** SIGHUP reload counters; null with --listen */
  readonly reloads: { readonly reloads: number; readonly failures: number } | null;
  /** with --store: the host and the revision in force */
  readonly fleet?: { readonly hostId: string; revision(): number; readonly source: 'etcd' | 'file' };
  /** appended to the mode's ready line: `, API on …`, `, fleet host … at revision …`, or '' */
  readonly readyNote: string;
  /** what SIGHUP does, for the ready line: `, SIGHUP to reload` or '' */
  readonly hangupHint: string;
  /** families the source adds to the mode's /metrics (the fleet agent's) */
  metricFamilies(): MetricFamily[];
  /** what SIGHUP does: reload the state files, or log that there is nothing to reload */
  hangup(): void;
  /** unsubscribes the Dataplane; with the API, stops the server and closes the store */
  close(): Promise<void>;
}

export async function openLiveModel(options: LiveModelOptions): Promise<LiveModel> {
  const { log } = options;
  if (options.fleet) return fleetModel(options.fleet, log);
  if (options.api) return apiModel(options.api, options.stateFiles, log);
  return fileModel(options.stateFiles, log);
}

async function apiModel(flags: ApiFlags, stateFiles: readonly string[], log: Logger): Promise<LiveModel> {
  const api = await attachApi({ stateDir: flags.stateDir, listen: flags.listen, stateFiles, logger: log });
  if (api.keyCount === 0) {
    log.warn({ event: 'no-credentials', stateDir: flags.stateDir }, `no credentials in ${flags.stateDir} yet; run 'sgfw credentials create --state-dir ${flags.stateDir}'`);
  }
  const dataplane = new Dataplane(api.service, { recordMemory: hugePageMemory });
  const unsubscribe = api.service.onChange((change) => {
    dataplane.applyModel(change);
    log.info({ event: 'model-change', ...changeFields(change), modelVersion: dataplane.modelVersion, rebuildMs: dataplane.lastRebuildMs }, 'rules changed through the API');
  });
  return {
    dataplane,
    view: api.service,
    api,
    reloads: null,
    readyNote: apiNote(api.address),
    hangupHint: '',
    metricFamilies: () => [],
    hangup() {
      log.warn(
        { event: 'sighup', reload: 'not-applicable', stateDir: flags.stateDir },
        'SIGHUP: nothing to reload; with --listen the state directory is the source of truth: change rules through the API',
      );
    },
    async close() {
      unsubscribe();
      await api.close();
    },
  };
}

async function fileModel(stateFiles: readonly string[], log: Logger): Promise<LiveModel> {
  let service: SecurityGroupService = await serviceFromStateFiles(stateFiles);
  const model = new ReplaceableModel(service);
  const dataplane = new Dataplane(model, { recordMemory: hugePageMemory });
  let unsubscribe = service.onChange((change) => dataplane.applyModel(change));
  const reloader = new StateReloader(stateFiles, model, dataplane, log);
  return {
    dataplane,
    view: model,
    api: null,
    reloads: reloader,
    readyNote: '',
    hangupHint: ', SIGHUP to reload',
    metricFamilies: () => [],
    hangup() {
      log.info({ event: 'sighup', files: stateFiles }, 'SIGHUP: reloading state');
      void reloader.reload().then((next) => {
        if (!next) return;
        // Later changes to the new service reach the Dataplane too.
        unsubscribe();
        service = next;
        unsubscribe = service.onChange((change) => dataplane.applyModel(change));
      });
    },
    async close() {
      unsubscribe();
    },
  };
}

function changeFields(change: ModelChange): Record<string, readonly string[]> {
  const fields: Record<string, readonly string[]> = {};
  if (change.groupIds?.length) fields.groupIds = change.groupIds;
  if (change.interfaceIds?.length) fields.interfaceIds = change.interfaceIds;
  if (change.prefixListIds?.length) fields.prefixListIds = change.prefixListIds;
  return fields;
}
