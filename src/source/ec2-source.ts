// `sgfw run --source ec2`: follows an EC2 account by polling it (EC2 has no change feed), and is the
// ModelView the Dataplane compiles from.
//
// A poll reads the account (ec2-reader.ts), translates it into a state document (ec2-document.ts),
// loads it into a fresh SecurityGroupService exactly as `--state` files are loaded (account-load.ts:
// a group or list sgfw cannot load is left out and reported, an interface fails the poll), narrows it to
// this host's interfaces (account-view.ts) and compares that with what is enforced: only when
// something differs does the view in force change, with the ids a Dataplane must recompile (one
// applyModel, in force for the next packet). A change is in force as soon as a poll sees it.
//
// When a poll fails (the endpoint unreachable, an error answer, an account sgfw cannot load) the
// state in force stays. The last good listing is kept on disk after every good poll
// (source-state-file.ts), and a start with the endpoint unreachable boots from it; with no file the
// start fails (fail closed: nothing is enforced from nothing). Staleness is the time since the last
// good poll while polls fail; the source logs once when it goes stale and once when it recovers.
// Throttling makes the poller wait twice as long each time (up to 8 intervals) until a poll passes.
import type { SecurityGroupService } from '../control/service.js';
import type { GroupView, InterfaceView, ModelView, PrefixListView } from '../model/model-view.js';
import type { ModelDocument } from '../model/types.js';
import { SerialQueue } from '../control/serial-queue.js';
import { AccountView, diffViews, isEmptyDiff, type HostSelection, type ViewDiff } from './account-view.js';
import { accountService, loadListing, loadProblem } from './account-load.js';
import { Ec2ReadError } from './ec2-read-error.js';
import type { Ec2Reader } from './ec2-reader.js';
import { readSourceState, SOURCE_STATE_FORMAT, writeSourceState } from './source-state-file.js';

export type SourceLogLevel = 'info' | 'warn' | 'error';
export type SourceLog = (level: SourceLogLevel, fields: Record<string, unknown>, message: string) => void;

export interface Ec2SourceOptions {
  readonly reader: Pick<Ec2Reader, 'read' | 'calls'>;
  readonly region: string;
  /** where the listing comes from, for logs and the state file */
  readonly endpoint: string;
  /** --source-filter flags as given (the state file is only booted for the same ones) */
  readonly filterText: readonly string[];
  readonly hostId: string;
  /** the host's own addresses, canonical; asked at every poll (addresses come and go) */
  readonly hostAddresses: () => ReadonlySet<string>;
  readonly stateFile: string;
  /** between polls, ms */
  readonly intervalMs: number;
  /** up to this much more, ms, drawn per poll: a fleet of hosts does not poll in step */
  readonly jitterMs: number;
  readonly log: SourceLog;
  readonly now?: () => number;
  readonly random?: () => number;
}

export class Ec2SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Ec2SourceError';
  }
}

export interface SourceStats {
  polls: number;
  failures: number;
  throttled: number;
  /** polls that changed what is enforced */
  changes: number;
}

type AppliedListener = (diff: ViewDiff | undefined) => void;

export class Ec2Source implements ModelView {
  readonly stats: SourceStats = { polls: 0, failures: 0, throttled: 0, changes: 0 };
  private view: AccountView;
  private document: ModelDocument = {};
  private good = false;
  /** ms since the epoch: the last time the listing in force was known current */
  private currentAtMs = 0;
  private lastErrorText: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly polls = new SerialQueue();
  private readonly listeners = new Set<AppliedListener>();
  private stopped = false;
  private backoff = 1;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: Ec2SourceOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.view = new AccountView(accountService({}, options.region), this.selection(), 0);
  }

  // ---- ModelView: the view in force --------------------------------------------------------------

  get version(): number {
    return this.view.version;
  }
  groups(): Iterable<GroupView> {
    return this.view.groups();
  }
  group(groupId: string): GroupView | undefined {
    return this.view.group(groupId);
  }
  interfaces(): Iterable<InterfaceView> {
    return this.view.interfaces();
  }
  prefixList(prefixListId: string): PrefixListView | undefined {
    return this.view.prefixList(prefixListId);
  }

  // ---- state -------------------------------------------------------------------------------------

  /** whether the last poll succeeded (the state in force is current) */
  get connected(): boolean {
    return this.good;
  }

  /** ms since the epoch of the last good poll (or of the saved listing booted from) */
  get currentAt(): number {
    return this.currentAtMs;
  }

  /** the last poll's failure, while polls fail */
  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  /** 0 while polls succeed; else seconds since the state in force was last known current */
  staleSeconds(now = this.now()): number {
    return this.good ? 0 : Math.max(0, (now - this.currentAtMs) / 1000);
  }

  /** API calls made so far */
  get calls(): number {
    return this.options.reader.calls;
  }

  /** Called after every change of the view in force (undefined: recompile everything). */
  onApplied(listener: AppliedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps a Dataplane built on this source in step: one applyModel per change. */
  attach(target: { applyModel(change?: ViewDiff): void }): () => void {
    return this.onApplied((diff) => target.applyModel(diff));
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  /**
   * The first poll, or the saved listing when it fails; then polls every interval. Ec2SourceError
   * when the first poll fails and nothing is saved; SourceStateFileError when the file is bad.
   */
  async start(): Promise<{ source: 'ec2' | 'file' }> {
    let source: 'ec2' | 'file' = 'ec2';
    const first = await this.pollOnce(true);
    if (first !== undefined) {
      const saved = await readSourceState(this.options.stateFile, { region: this.options.region, filters: this.options.filterText });
      if (saved === undefined) {
        throw new Ec2SourceError(`the EC2 endpoint ${this.options.endpoint} cannot be read and ${this.options.stateFile} does not exist, so there is nothing to enforce: ${first}`);
      }
      let account: SecurityGroupService;
      try {
        account = accountService(saved.document, this.options.region);
      } catch (e) {
        throw new Ec2SourceError(`${this.options.stateFile}: ${loadProblem(e)}`);
      }
      this.document = saved.document;
      this.currentAtMs = saved.currentAt;
      this.install(new AccountView(account, this.selection(), this.view.version + 1), undefined);
      source = 'file';
      this.options.log('warn', {
        event: 'source-boot-from-file', file: this.options.stateFile, currentAt: new Date(saved.currentAt).toISOString(), error: first,
      }, `cannot read EC2 at ${this.options.endpoint} (${first}); enforcing the listing saved in ${this.options.stateFile}, current as of ${new Date(saved.currentAt).toISOString()}`);
    }
    this.schedule();
    return { source };
  }

  /** Stops polling (after a poll in flight) and saves the listing in force a last time. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.polls.idle();
    await this.save();
  }

  /** Polls now (after a poll in flight); resolves with the failure, or undefined when it succeeded. */
  pollNow(): Promise<string | undefined> {
    return this.pollOnce(false);
  }

  /** How long until the next poll, ms: the interval (doubled per throttled poll, up to 8 of them) plus jitter. */
  nextDelayMs(): number {
    return this.options.intervalMs * this.backoff + Math.floor(this.random() * this.options.jitterMs);
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.nextDelayMs();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollOnce(false).finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private pollOnce(first: boolean): Promise<string | undefined> {
    return this.polls.run(async () => {
      if (this.stopped && !first) return undefined;
      this.stats.polls++;
      const startedAt = this.now();
      let next: AccountView;
      let document: ModelDocument;
      try {
        const loaded = loadListing(await this.options.reader.read(), this.options.region);
        for (const w of loaded.warnings) this.options.log('warn', { event: 'source-warning' }, w);
        document = loaded.document;
        next = new AccountView(loaded.account, this.selection(), this.view.version + 1);
      } catch (e) {
        return this.failed(e, first);
      }
      const wasGood = this.good;
      const staleFor = this.staleSeconds(startedAt);
      this.good = true;
      this.lastErrorText = undefined;
      this.backoff = 1;
      this.currentAtMs = startedAt;
      this.document = document;
      if (!first && !wasGood) {
        this.options.log('info', { event: 'source-recovered', endpoint: this.options.endpoint, staleSeconds: round(staleFor) }, `EC2 endpoint ${this.options.endpoint} answers again after ${staleFor.toFixed(0)} s; following it`);
      }
      const diff = first ? undefined : diffViews(this.view, next);
      if (first || !isEmptyDiff(diff!)) {
        this.install(next, diff);
        if (!first) {
          this.stats.changes++;
          this.options.log('info', { event: 'model-change', modelVersion: next.version, ...nonEmpty(diff!.summary) }, `rules changed in EC2: ${describe(diff!)}`);
        }
      }
      await this.save();
      return undefined;
    });
  }

  private failed(e: unknown, first: boolean): string {
    this.stats.failures++;
    const throttled = e instanceof Ec2ReadError && e.throttled;
    if (throttled) {
      this.stats.throttled++;
      this.backoff = Math.min(this.backoff * 2, 8);
    }
    const text = e instanceof Ec2ReadError ? e.message : `the listing does not load: ${loadProblem(e)}`;
    const wasGood = this.good;
    this.good = false;
    this.lastErrorText = text;
    if (!first && wasGood) {
      this.options.log('warn', {
        event: 'source-stale', endpoint: this.options.endpoint, error: text, throttled, currentAt: new Date(this.currentAtMs).toISOString(),
      }, `EC2 poll failed, the rules in force stay (current as of ${new Date(this.currentAtMs).toISOString()}): ${text}`);
    } else if (throttled && !first) {
      this.options.log('warn', { event: 'source-throttled', backoff: this.backoff }, `EC2 throttles the polls: waiting ${this.backoff} intervals`);
    }
    return text;
  }

  private install(next: AccountView, diff: ViewDiff | undefined): void {
    this.view = next;
    for (const l of this.listeners) l(diff);
  }

  private selection(): HostSelection {
    return { hostId: this.options.hostId, addresses: this.options.hostAddresses() };
  }

  private async save(): Promise<void> {
    if (this.currentAtMs === 0) return;
    try {
      await writeSourceState(this.options.stateFile, {
        format: SOURCE_STATE_FORMAT, region: this.options.region, endpoint: this.options.endpoint, filters: this.options.filterText,
        currentAt: this.currentAtMs, document: this.document,
      });
    } catch (e) {
      this.options.log('error', { event: 'source-state-write-failed', file: this.options.stateFile, error: (e as Error).message }, `cannot write ${this.options.stateFile}: ${(e as Error).message}`);
    }
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function nonEmpty(fields: object): Record<string, string[]> {
  return Object.fromEntries(Object.entries(fields as Record<string, string[]>).filter(([, v]) => v.length > 0));
}

function describe(d: ViewDiff): string {
  const s = d.summary;
  const parts: string[] = [];
  const add = (n: number, what: string): void => {
    if (n > 0) parts.push(`${n} ${what}`);
  };
  add(s.groupsAdded.length, 'group(s) added');
  add(s.groupsRemoved.length, 'group(s) removed');
  add(s.groupsChanged.length, 'group(s) changed');
  add(s.interfacesAdded.length, 'interface(s) now enforced');
  add(s.interfacesRemoved.length, 'interface(s) no longer enforced');
  add(s.interfacesChanged.length, 'interface(s) changed');
  add(s.prefixListsChanged.length, 'prefix or member list(s) changed');
  return parts.join(', ');
}
