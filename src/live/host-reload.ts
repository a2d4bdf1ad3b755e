// SIGHUP: read the state files again into a fresh service; only when all of them load and validate
// does the Dataplane switch to it (one full rebuild, same conntrack table). A bad file leaves the
// rules in force untouched and says which file and where.
import { SecurityGroupService } from '../control/service.js';
import type { Dataplane } from '../dataplane/dataplane.js';
import type { Logger } from '../observe/logger.js';
import { loadStateFiles, StateError } from '../state/index.js';
import { diffModels } from '../dataplane/model-diff.js';
import type { ReplaceableModel } from './host-model.js';

export class StateReloader {
  reloads = 0;
  failures = 0;
  private pending: Promise<SecurityGroupService | null> = Promise.resolve(null);

  constructor(
    private readonly files: readonly string[],
    private readonly model: ReplaceableModel,
    private readonly dataplane: Dataplane,
    private readonly logger: Logger,
  ) {}

  /** Queued behind a reload still running; resolves to the new service, or null when it failed. */
  reload(): Promise<SecurityGroupService | null> {
    this.pending = this.pending.then(() => this.reloadNow());
    return this.pending;
  }

  private async reloadNow(): Promise<SecurityGroupService | null> {
    const started = performance.now();
    const next = new SecurityGroupService({ ruleIdsFromContent: true });
    try {
      await loadStateFiles(this.files, next);
    } catch (e) {
      this.failures++;
      const message = e instanceof Error ? e.message : String(e);
      this.logger.error(
        { event: 'reload-failed', file: e instanceof StateError ? e.file : this.files.join(','), modelVersion: this.dataplane.modelVersion },
        `state reload failed, the rules in force stay: ${message}`,
      );
      return null;
    }
    const diff = diffModels(this.model.model, next);
    this.model.replace(next);
    this.dataplane.applyModel();
    this.reloads++;
    this.logger.info(
      {
        event: 'reload',
        files: this.files,
        modelVersion: this.dataplane.modelVersion,
        rebuildMs: round(this.dataplane.lastRebuildMs),
        reloadMs: round(performance.now() - started),
        trackedFlows: this.dataplane.conntrack.size,
        ...diff,
      },
      Object.values(diff).some((ids) => ids.length > 0) ? 'state reloaded; rules changed' : 'state reloaded; nothing changed',
    );
    return next;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
