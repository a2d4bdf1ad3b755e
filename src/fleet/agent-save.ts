// Keeps a fleet agent's state file (agent-state-file.ts) after what it applies, so a restart while
// etcd is unreachable boots into what it last enforced: written at most once per debounce period,
// one write at a time, and a last time when the agent stops.
import { SerialQueue } from '../control/serial-queue.js';
import type { AgentLog } from './agent-options.js';
import type { AppliedState } from './agent-applied.js';
import type { EtcdContact } from './agent-contact.js';
import { AGENT_STATE_FORMAT, readAgentState, writeAgentState, type AgentStateDocument } from './agent-state-file.js';

export class StateSaver {
  private readonly writes = new SerialQueue();
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(
    /** none: nothing is saved (a restart needs etcd) */
    readonly path: string | undefined,
    private readonly debounceMs: number,
    private readonly where: { readonly prefix: string; readonly hostId: string },
    private readonly applied: AppliedState,
    private readonly contact: EtcdContact,
    private readonly log: AgentLog,
    private readonly stopSignal: AbortSignal,
  ) {}

  /** The saved state, or undefined without a file (or without a path). */
  read(): Promise<AgentStateDocument | undefined> {
    return this.path === undefined ? Promise.resolve(undefined) : readAgentState(this.path, this.where);
  }

  /** Saves within the debounce period (once, however many changes come meanwhile). */
  schedule(): void {
    if (this.path === undefined || this.saveTimer !== undefined || this.stopSignal.aborted) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveNow();
    }, this.debounceMs);
    this.saveTimer.unref();
  }

  /** Drops a scheduled save (the agent saves a last time when it stopped). */
  cancel(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
  }

  /** Writes the state file now (after pending writes); a failure is logged, never thrown. */
  saveNow(): Promise<void> {
    const path = this.path;
    if (path === undefined) return Promise.resolve();
    return this.writes.run(async () => {
      const keys = [...this.applied.view.liveKeys()].map(([k, kv]) => [k, kv.value, kv.modRevision] as const);
      try {
        await writeAgentState(path, {
          format: AGENT_STATE_FORMAT, prefix: this.where.prefix, hostId: this.where.hostId, revision: this.applied.revision,
          currentAt: this.contact.currentAt, keys,
        });
      } catch (e) {
        this.log(`fleet agent ${this.where.hostId}: cannot write ${path}: ${(e as Error).message}`, { event: 'fleet-state-write-failed', level: 'error', file: path, error: (e as Error).message });
      }
    });
  }
}
