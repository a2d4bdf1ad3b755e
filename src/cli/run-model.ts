// The model `sgfw run` enforces, from one of three sources:
// - `--state FILE…`: a service loaded from the files, replaced whole on SIGHUP (StateReloader);
// - `--listen HOST:PORT [--state-dir DIR]`: the durable store's service behind the EC2 API in the
//   same process; an accepted call is in force for the next packet, and SIGHUP has no state to
//   reload (the state directory is the source of truth), only the API's certificate with --tls-cert;
// - `--store etcd://… --host-id NAME`: a fleet agent following the etcd state of the interfaces
//   registered to NAME (run-fleet.ts); SIGHUP reconciles with etcd;
// - `--source ec2[:REGION]`: an EC2 account, polled (run-source.ts); SIGHUP polls now.
// Either way one Dataplane (and its conntrack table) lives as long as the process.
import type { SecurityGroupService } from '../control/service.js';
import { hugePageMemory } from '../capture/huge-pages.js';
import { Dataplane, type ModelChange } from '../dataplane/dataplane.js';
import { ReplaceableModel } from '../live/host-model.js';
import { StateReloader } from '../live/host-reload.js';
import type { Logger } from '../observe/logger.js';
import { attachApi, reloadApiFiles } from './api-attach.js';
import { fleetModel, type FleetFlags } from './run-fleet.js';
import type { SourceFlags } from './run-source.js';
import type { ApiFlags, LiveModel } from './live-model.js';
import { apiNote } from './run-options.js';
import { serviceFromStateFiles } from './state-flag.js';

export type { ApiFlags, LiveModel } from './live-model.js';

export interface LiveModelOptions {
  stateFiles: readonly string[];
  /** null: no API; the state files are the model */
  api: ApiFlags | null;
  /** `--store … --host-id`: a fleet agent is the model (excludes stateFiles and api) */
  fleet?: FleetFlags | null;
  /** `--source ec2…`: an EC2 account is the model (excludes the others) */
  source?: SourceFlags | null;
  /**
   * with the API: whether this run enforces its state (default true: host and inline modes; the
   * state directory then keeps a record of what was enforced). Monitor mode judges only: false.
   */
  enforcing?: boolean;
  log: Logger;
}

export async function openLiveModel(options: LiveModelOptions): Promise<LiveModel> {
  const { log } = options;
  if (options.fleet) return fleetModel(options.fleet, log);
  // Loaded here only: it brings the AWS SDK, seconds of start-up that no other source should pay.
  if (options.source) return (await import('./run-source-model.js')).sourceModel(options.source, log);
  if (options.api) return apiModel(options.api, options.stateFiles, log, options.enforcing ?? true);
  return fileModel(options.stateFiles, log);
}

async function apiModel(flags: ApiFlags, stateFiles: readonly string[], log: Logger, enforcing: boolean): Promise<LiveModel> {
  let inForce = (): Promise<void> => Promise.resolve();
  const listen = { ...flags.listen, inForce: () => inForce() };
  const api = await attachApi({ stateDir: flags.stateDir, listen, stateFiles, logger: log, enforcing });
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
    setInForce(next) {
      inForce = next;
    },
    hangup() {
      // No rules to reload: with --listen the state directory is the source of truth.
      reloadApiFiles(api, log, flags.listen.tls);
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
      return reloader.reload().then((next) => {
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
