// The replay loop: every frame of the captures, in order, through the same Dataplane the live
// modes use, with timeline calls applied through the control plane just before their frame.
// The capture's timestamps are the clock: of connection tracking, and of the flow log's windows.
import { closeSync, openSync, writeSync } from 'node:fs';
import { CaptureError } from '../capture/capture-error.js';
import { CaptureReader } from '../capture/capture-reader.js';
import { hugePageMemory } from '../capture/huge-pages.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { Dataplane, type ModelChange } from '../dataplane/dataplane.js';
import { isAllowed, Reason, REASON_NAMES } from '../dataplane/verdict.js';
import { recordFlows, summarizeVerdicts } from '../dataplane/verdict-summary.js';
import { Ec2Error } from '../model/ec2-error.js';
import type { ModelView } from '../model/model-view.js';
import { interfaceOwners } from '../observe/flow-log-account.js';
import { FlowLogFile } from '../observe/flow-log-file.js';
import type { FlowObservation, FlowSink } from '../observe/flow-log.js';
import { reasonWords, verdictLine } from '../observe/verdict-line.js';
import { isSupportedLinkType } from '../packet/link-types.js';
import { captureFlowBound } from './capture-flow-bound.js';
import type { TimelineEntry } from './timeline.js';

/** What the replay needs of the control plane. */
export interface ReplayControlPlane extends ModelView {
  call(action: string, params: unknown): unknown;
  onChange(listener: (change: ModelChange) => void): () => void;
}

/** The dataplane's reasons as `--verdicts` lines spell them. */
export const REASON_WORDS = reasonWords(REASON_NAMES, isAllowed, [Reason.RULE, Reason.RULE_UNTRACKED]);

export interface ReplayOptions {
  captures: readonly string[];
  timeline?: readonly TimelineEntry[];
  timelineFile?: string;
  verdictsFile?: string;
  /** VPC Flow Logs v2, windows of capture time; one file, never rotated */
  flowLogFile?: string;
  /** the flow log's aggregation interval in seconds (default 60) */
  flowLogWindowSec?: number;
  writeAllowedFile?: string;
  /** the flow log's account-id for an interface whose groups the model does not know (default 123456789012) */
  accountId?: string;
  /** default: what the captures' size allows (capture-flow-bound.ts), at most the live default */
  conntrackCapacity?: number;
  /** told each judged frame: its number, the dataplane that judged it (its `view`, interfaces, rules), the reason */
  onVerdict?: (frame: number, judged: Dataplane, reason: number) => void;
  /** called now and then with the frames done so far (for a progress bar) */
  onProgress?: (frames: number) => void;
}

export interface ReplayFailure {
  frame: number;
  action: string;
  code: string;
  message: string;
  where: string;
}

export interface ReplaySummary {
  frames: number;
  allowed: number;
  dropped: number;
  byReason: Record<string, number>;
  interfaces: { interfaceId: string; allowed: number; dropped: number }[];
  timelineApplied: number;
  /** timeline calls whose frame never came */
  timelineUnreached: number;
  conntrackEntries: number;
  conntrackFull: number;
  /** frames left out of --write-allowed because their link type differs from the first capture's */
  writeAllowedSkipped: number;
  failure?: ReplayFailure;
  /**
   * with --workers N > 1, each worker thread's share (frames judged), CPU time (ms; -1: unknown):
   * in all, to start (until the model came), to build its Dataplane, and its loop over the frames;
   * and when (ms after the process started) it began judging and when it was done
   */
  workers?: { judged: number; cpuMs: number; startCpuMs: number; buildCpuMs: number; loopCpuMs: number; readyMs: number; doneMs: number }[];
}

/** Buffers text lines and writes them in large chunks. */
export class LineSink {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }
  push(line: string): void {
    this.parts.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * The flow log on the capture's clock: opened at the first frame (its NODATA records start no
 * earlier), each window written once a frame of a later one comes, the last cut at the last frame.
 * Written as a live mode writes it (header, windows, NODATA, each interface's owner as account-id),
 * but into one file started afresh and never rotated, and a failed write stops the replay.
 */
export class CaptureTimeFlowLog implements FlowSink {
  private file: FlowLogFile | null = null;
  private now = 0;

  constructor(
    private readonly path: string,
    private readonly model: ModelView,
    private readonly options: ReplayOptions,
  ) {
    // Started afresh, as --verdicts is; a path that can't be written fails here, before any judging.
    closeSync(openSync(path, 'w'));
  }

  /** The capture's time is now `seconds`: opens the log at the first frame, writes a window that ended. */
  tick(seconds: number): void {
    // A later capture may start earlier: its frames join the open window, and the log's clock stays.
    if (seconds > this.now) this.now = seconds;
    if (this.file !== null) {
      this.file.flush(this.now);
      return;
    }
    const model = this.model;
    this.file = new FlowLogFile(this.path, {
      accountId: this.options.accountId,
      accountOf: interfaceOwners(model),
      windowSec: this.options.flowLogWindowSec,
      maxBytes: 0,
      maxAgeSec: 0,
      interfaces: () => [...model.interfaces()].map((i) => i.interfaceId),
      now: () => this.now,
      report: (message) => {
        throw new Error(message);
      },
    });
  }

  add(o: FlowObservation): void {
    this.file?.add(o);
  }

  /** Writes the last window, cut at the latest frame's time. */
  close(): void {
    this.file?.close(this.now);
  }
}

export async function replay(control: ReplayControlPlane, options: ReplayOptions): Promise<ReplaySummary> {
  const conntrackCapacity = options.conntrackCapacity ?? captureFlowBound(options.captures);
  const dataplane = new Dataplane(control, { conntrackCapacity, recordMemory: hugePageMemory, conntrackResizeAtOnce: true });
  const unsubscribe = control.onChange((change) => dataplane.applyModel(change));
  const timeline = options.timeline ?? [];
  const onVerdict = options.onVerdict;
  const verdicts = options.verdictsFile ? new LineSink(options.verdictsFile) : null;
  const flows = options.flowLogFile ? new CaptureTimeFlowLog(options.flowLogFile, control, options) : null;
  let writer: PcapWriter | null = null;
  let next = 0;
  let frame = 0;
  let failure: ReplayFailure | undefined;

  try {
    outer: for (const file of options.captures) {
      const reader = new CaptureReader(file);
      try {
        let checkedLink = -1;
        while (reader.next()) {
          const upcoming = frame + 1;
          while (next < timeline.length && timeline[next].beforeFrame <= upcoming) {
            const entry = timeline[next];
            try {
              await control.call(entry.action, entry.parameters);
            } catch (e) {
              if (!(e instanceof Ec2Error)) throw e;
              failure = {
                frame: upcoming,
                action: entry.action,
                code: e.code,
                message: e.message,
                where: `${options.timelineFile ?? 'timeline'}:${entry.line}`,
              };
              break outer;
            }
            next++;
          }
          frame = upcoming;
          if (reader.linkType !== checkedLink) {
            if (!isSupportedLinkType(reader.linkType)) {
              throw new CaptureError(file, `unsupported link type ${reader.linkType} (record ${reader.recordNumber})`);
            }
            checkedLink = reader.linkType;
          }
          dataplane.clock[0] = reader.timestampMs;
          flows?.tick(reader.timestampMs / 1000);
          const reason = dataplane.judgeNow(reader.linkType, reader.data, reader.offset, reader.caplen, reader.origLen);
          const allowed = isAllowed(reason);
          if (allowed && options.writeAllowedFile) {
            writer ??= new PcapWriter(options.writeAllowedFile, reader.linkType, { nanosecond: true });
            writer.write(reader);
          }
          if (verdicts) verdicts.push(verdictLine(dataplane, frame, REASON_WORDS[reason]));
          onVerdict?.(frame, dataplane, reason);
          if (flows && (dataplane.lastSourceInterface >= 0 || dataplane.lastDestinationInterface >= 0)) {
            recordFlows(dataplane, flows, reader.timestampMs / 1000, allowed);
          }
          if ((frame & 0xffff) === 0) {
            dataplane.conntrack.sweep(reader.timestampMs, 1 << 14);
            options.onProgress?.(frame);
          }
        }
      } finally {
        reader.close();
      }
    }
  } finally {
    unsubscribe();
    verdicts?.close();
    writer?.close();
    flows?.close();
  }

  const { allowed, dropped, byReason, interfaces } = summarizeVerdicts(dataplane, control);
  return {
    frames: frame,
    allowed,
    dropped,
    byReason,
    interfaces,
    timelineApplied: next,
    timelineUnreached: failure ? 0 : timeline.length - next,
    conntrackEntries: dataplane.conntrack.size,
    conntrackFull: dataplane.conntrack.insertFailures,
    writeAllowedSkipped: writer?.skippedLinkType ?? 0,
    failure,
  };
}
