// Flow logs as a firewall operator keeps them: VPC Flow Logs v2 records of each capture window
// appended to FILE when the window closes, FILE rotated logrotate-style by size and age, and
// errors (disk full, permissions) reported once without ever reaching the caller: a flow log that
// cannot be written must not stop enforcement.
//
// Windows are aligned on the Unix clock ([k·window, (k+1)·window)), so with the 60 s default a
// window is a wall-clock minute. A window closes when an observation of a later window arrives or
// when flush(now) sees its end has passed; its records are written in one synchronous write, so
// rotation (checked only then) never splits a window and close() leaves nothing in memory. The
// clock is the caller's (`now`): the wall clock for the live modes, capture time for replay.
import { FLOW_LOG_HEADER, FlowLogAggregator, statusRecord, type FlowLogAccount, type FlowObservation, type FlowSink } from './flow-log.js';
import { RotatingFile } from './rotating-file.js';

export interface FlowLogFileOptions {
  /** the account-id of an interface `accountOf` does not know (default 123456789012, the service's default account) */
  accountId?: string;
  /** the account-id of each interface's records: its owner (see interfaceOwners); default: always `accountId` */
  accountOf?: (interfaceId: string) => string | undefined;
  /** aggregation interval in seconds (default 60; AWS offers 60 and 600) */
  windowSec?: number;
  /** rotate before a write that would take FILE past this size; 0: never (default 64 MiB) */
  maxBytes?: number;
  /** rotate before a write once FILE has been open this long; 0: never (default 3600) */
  maxAgeSec?: number;
  /** rotated files kept: FILE.1 (newest) … FILE.keep (default 5) */
  keep?: number;
  /** distinct records one window holds at most; the flows beyond become SKIPDATA (default 100 000) */
  maxRecords?: number;
  /** the interfaces logged: each one without traffic in a window gets a NODATA record (default: none) */
  interfaces?: () => Iterable<string>;
  /** each file starts with the field names, as AWS's files in S3 do (default true) */
  header?: boolean;
  /** Unix seconds (default: Date.now() / 1000) */
  now?: () => number;
  /** where errors and recoveries are reported, one line each (default: stderr) */
  report?: (message: string) => void;
}

export interface FlowLogFileStats {
  /** records (including NODATA/SKIPDATA) written to the file */
  written: number;
  /** records lost because the file could not be written */
  lost: number;
}

export const DEFAULT_ACCOUNT_ID = '123456789012';
export const DEFAULT_WINDOW_SEC = 60;
export const DEFAULT_MAX_RECORDS = 100_000;

export class FlowLogFile implements FlowSink {
  private readonly file: RotatingFile;
  private readonly accountOf: FlowLogAccount;
  private readonly windowSec: number;
  private readonly maxRecords: number;
  private readonly now: () => number;
  private readonly report: (message: string) => void;
  private current: FlowLogAggregator;
  /** start of the open window, Unix seconds */
  private windowStart: number;
  /** an error was reported and no write has succeeded since */
  private failing = false;
  private lostSinceReport = 0;
  private closed = false;
  /** when logging began: the first window's NODATA records start no earlier */
  private readonly since: number;
  private readonly counts: FlowLogFileStats = { written: 0, lost: 0 };

  constructor(
    readonly path: string,
    private readonly options: FlowLogFileOptions = {},
  ) {
    const fallback = options.accountId ?? DEFAULT_ACCOUNT_ID;
    const owner = options.accountOf;
    this.accountOf = owner ? (id) => owner(id) ?? fallback : () => fallback;
    this.windowSec = options.windowSec ?? DEFAULT_WINDOW_SEC;
    if (!Number.isInteger(this.windowSec) || this.windowSec <= 0) throw new RangeError(`windowSec: expected a whole number of seconds > 0, got ${this.windowSec}`);
    this.maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.now = options.now ?? (() => Date.now() / 1000);
    this.report = options.report ?? ((m) => process.stderr.write(`${m}\n`));
    this.file = new RotatingFile(path, {
      maxBytes: options.maxBytes,
      maxAgeSec: options.maxAgeSec,
      keep: options.keep,
      header: options.header === false ? undefined : FLOW_LOG_HEADER,
    });
    const now = this.now();
    this.current = new FlowLogAggregator(this.accountOf, this.maxRecords);
    this.windowStart = this.alignedStart(now);
    this.since = Math.floor(now);
    // Opened now so a bad path is reported at start, not a minute later; a failure is retried at each write.
    this.attempt(0, () => this.file.open(now));
  }

  get stats(): FlowLogFileStats {
    return { ...this.counts };
  }

  /** Adds one observation to the window of its time, writing out the windows before it. */
  add(o: FlowObservation): void {
    this.window(o.time).add(o);
  }

  /**
   * The aggregator of the window holding `timeSec`, after writing out the windows that ended
   * before it. Observations a little in the past (a clock step back) join the open window.
   */
  window(timeSec: number): FlowLogAggregator {
    const start = this.alignedStart(timeSec);
    if (start > this.windowStart && !this.closed) {
      // After a gap (a capture's pause, a suspended process) the window still ends where it ends.
      this.writeWindow(Math.min(start, this.windowStart + this.windowSec));
      this.windowStart = start;
    }
    return this.current;
  }

  /** Writes the open window out if it has ended by `nowSec`; call it every second or so. */
  flush(nowSec: number = this.now()): void {
    this.window(nowSec);
  }

  /** SIGHUP: reopen FILE by name (after an external logrotate moved it). */
  reopen(): void {
    this.attempt(0, () => this.file.reopen());
  }

  /** Writes the open window (cut at `nowSec`) and closes FILE; later calls do nothing. */
  close(nowSec: number = this.now()): void {
    if (this.closed) return;
    this.window(nowSec);
    this.writeWindow(Math.max(this.windowStart, Math.floor(nowSec)));
    this.closed = true;
    // Observations after close are dropped: an aggregator that holds no record keeps memory bounded.
    this.current = new FlowLogAggregator(this.accountOf, 0);
    this.attempt(0, () => this.file.close());
  }

  private alignedStart(timeSec: number): number {
    return Math.floor(timeSec / this.windowSec) * this.windowSec;
  }

  /** Writes the open window's records, with NODATA for quiet interfaces, and starts a new window. */
  private writeWindow(end: number): void {
    const lines = [...this.current.lines()];
    const start = Math.max(this.windowStart, this.since);
    // A window cut at its very start (close right after a boundary) had no time to be quiet in.
    if (this.options.interfaces && end > start) {
      for (const id of this.options.interfaces()) {
        if (!this.current.sawInterface(id)) lines.push(statusRecord(this.accountOf(id), id, start, end, 'NODATA'));
      }
    }
    this.current = new FlowLogAggregator(this.accountOf, this.maxRecords);
    if (lines.length === 0 || this.closed) return;
    const text = `${lines.join('\n')}\n`;
    const now = this.now();
    if (this.attempt(lines.length, () => this.file.write(text, now))) this.counts.written += lines.length;
  }

  /** Runs a file operation; the first failure is reported, the next ones counted until one succeeds. */
  private attempt(records: number, op: () => void): boolean {
    try {
      op();
    } catch (e) {
      this.counts.lost += records;
      this.lostSinceReport += records;
      if (!this.failing) {
        this.failing = true;
        this.report(`flow log ${this.path}: ${describe(e)}; records are dropped until it can be written`);
      }
      return false;
    }
    if (this.failing && records > 0) {
      this.report(`flow log ${this.path}: writing again; ${this.lostSinceReport} records were lost`);
      this.failing = false;
      this.lostSinceReport = 0;
    }
    return true;
  }
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err.code === 'string' && typeof err.syscall === 'string') {
    const what: Record<string, string> = {
      EACCES: 'permission denied',
      EPERM: 'operation not permitted',
      ENOENT: 'no such directory',
      ENOSPC: 'no space left on the device',
      EDQUOT: 'disk quota exceeded',
      EROFS: 'read-only file system',
      EISDIR: 'is a directory',
      ENOTDIR: 'a part of the path is not a directory',
    };
    return `cannot ${err.syscall} (${err.code}${what[err.code] ? `: ${what[err.code]}` : ''})`;
  }
  return err instanceof Error ? err.message : String(e);
}
