// The model host mode enforces, replaceable whole on SIGHUP. The Dataplane (and its conntrack
// table) stays: AWS keeps tracked flows through rule changes (seed 000, "Security group connection
// tracking"), so a reload swaps the rules the Dataplane reads and rebuilds, never the flow table.
import type { GroupView, InterfaceView, ModelView, PrefixListView } from '../model/model-view.js';

export class ReplaceableModel implements ModelView {
  private base = 0;

  constructor(private current: ModelView) {}

  get model(): ModelView {
    return this.current;
  }

  /** Keeps increasing across replacements, so the Dataplane and metrics see every change. */
  get version(): number {
    return this.base + this.current.version;
  }

  /** In force for the Dataplane's next `applyModel()`. */
  replace(next: ModelView): void {
    this.base = this.version + 1 - next.version;
    this.current = next;
  }

  groups(): Iterable<GroupView> {
    return this.current.groups();
  }

  group(groupId: string): GroupView | undefined {
    return this.current.group(groupId);
  }

  interfaces(): Iterable<InterfaceView> {
    return this.current.interfaces();
  }

  prefixList(prefixListId: string): PrefixListView | undefined {
    return this.current.prefixList(prefixListId);
  }
}
