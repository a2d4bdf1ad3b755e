// Monitor mode: passive capture on one interface; every frame is judged by the same Dataplane the
// enforcing modes use, and nothing is dropped — the verdicts are what sgfw *would* do, written to
// --verdicts and --flow-log, for trying rules before enforcing them (issue 5, mode 3). Two capture
// methods, as inline mode's: `afpacket` (the AF_PACKET ring, both directions, a ring block judged
// in staged groups, the kernel's drop counter reported at stop) and `pcap` (libpcap, per frame).
// This is the one-thread monitor; `--workers N` runs N of its loop (monitor-judge.ts) on worker
// threads instead (monitor-workers.ts, src/cli/run-monitor-workers.ts). Either way the run's model
// (state files reloaded on SIGHUP, or the API) and its Dataplane are the caller's (src/cli/run-monitor.ts).
import { closeSync, openSync, writeSync } from 'node:fs';
import { AfPacketSocket, type AfPacketBatch } from '../capture/afpacket.js';
import { defaultCaptureMethod, type CaptureMethod } from '../capture/capture-method.js';
import { LiveCapture } from '../capture/live-capture.js';
import type { Dataplane } from '../dataplane/dataplane.js';
import { summarizeVerdicts } from '../dataplane/verdict-summary.js';
import type { ModelView } from '../model/model-view.js';
import { interfaceOwners } from '../observe/flow-log-account.js';
import { FlowLogFile } from '../observe/flow-log-file.js';
import type { Logger } from '../observe/logger.js';
import { MonitorJudge } from './monitor-judge.js';
import { type FlowRecorder, recordLastFlow, VerdictDuties } from './verdict-duties.js';

export interface MonitorOptions {
  /** the interface to capture on */
  interface: string;
  /** how (default: afpacket when its addon is built, else pcap) */
  capture?: CaptureMethod;
  /**
   * judges every frame: the run's, which follows its model (a change or a SIGHUP reload is in force
   * for the next frame, its flows kept); the monitor neither builds nor subscribes it
   */
  dataplane: Dataplane;
  /** the model `dataplane` judges by (the interfaces the summary and the flow log name) */
  view: ModelView;
  /** one JSON object per frame: frame, verdict, reason, interfaces, rules */
  verdictsFile?: string;
  /**
   * VPC Flow Logs v2 records, appended when each capture window closes and on stop; rotated to
   * FILE.1 … FILE.N; SIGHUP reopens it (see FlowLogFile)
   */
  flowLogFile?: string;
  /** rotate before FILE passes this size; 0: never (default 64 MiB) */
  flowLogMaxBytes?: number;
  /** rotate once FILE is this old, in seconds; 0: never (default 3600) */
  flowLogMaxAgeSec?: number;
  /** rotated flow-log files kept (default 5) */
  flowLogKeep?: number;
  /** aggregation interval in seconds (default 60, the shortest AWS offers; or 600) */
  flowLogWindowSec?: number;
  /** how often buffered verdict lines are written (default 60 s) */
  flushIntervalMs?: number;
  /** the flow log's account-id for an interface whose groups the model does not know (its records name its groups' owner) */
  accountId?: string;
  /** operational lines (ready, stop, flow-log trouble): JSON on stderr, like every mode's */
  log: Logger;
}

export interface MonitorSummary {
  interface: string;
  capture: CaptureMethod;
  frames: number;
  /** what would have been allowed and dropped had sgfw enforced */
  allowed: number;
  dropped: number;
  byReason: Record<string, number>;
  interfaces: { interfaceId: string; allowed: number; dropped: number }[];
  /** frames longer than the capture buffer (judged on what was kept) */
  truncated: number;
  /** frames the kernel dropped because the capture ring was full (never judged); null with pcap, which does not say */
  captureDrops: number | null;
  conntrackEntries: number;
}

export interface Monitor {
  readonly linkType: number;
  /** judging the frames: what --metrics and /status read */
  readonly dataplane: Dataplane;
  readonly view: ModelView;
  readonly capture: CaptureMethod;
  summary(): MonitorSummary;
  /** Reopens the flow log by name (SIGHUP, after an external logrotate). */
  reopenLogs(): void;
  /** Stops capturing, writes what is buffered and the flow log; idempotent. */
  stop(): MonitorSummary;
}

/** Text lines buffered in memory, written in one call per flush (sync: stop must not lose them). */
class LineFile {
  private readonly fd: number;
  private parts: string[] = [];
  constructor(file: string, flags: 'w' | 'a') {
    this.fd = openSync(file, flags);
  }
  write(line: string): void {
    this.parts.push(line);
    if (this.parts.length >= 4096) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** The open capture, whichever the method. */
interface MonitorCapture {
  readonly linkType: number;
  /** the kernel's ring-full drops so far; null when the method does not count them */
  drops(): number | null;
  close(): void;
}

/**
 * Opens the capture and starts judging; returns once frames flow to the Dataplane. Throws
 * CaptureError, or MissingAddonError when the method's addon is not there.
 */
export function startMonitor(options: MonitorOptions): Monitor {
  const { dataplane, view: model } = options;
  const verdicts = options.verdictsFile ? new LineFile(options.verdictsFile, 'w') : null;
  // Opened once the capture is: a monitor that never captured writes no (NODATA) records.
  let flowLog: FlowLogFile | null = null;
  const flows: FlowRecorder | null = options.flowLogFile
    ? {
        record(accepted) {
          if (flowLog !== null) recordLastFlow(dataplane, flowLog, accepted);
        },
      }
    : null;
  // Of the verdict duties, the lines and flow records: nothing is dropped, and the summary reads the Dataplane's own counters.
  const duties = new VerdictDuties(dataplane, { verdicts, flows });
  const judge = new MonitorJudge(dataplane, duties);

  const method = options.capture ?? defaultCaptureMethod();
  let capture: MonitorCapture;
  try {
    capture = openCapture(method, options.interface, judge.onFrame, judge.onBatch);
  } catch (e) {
    verdicts?.close();
    throw e;
  }
  judge.linkType = capture.linkType;
  if (options.flowLogFile) {
    const monitored = model;
    // An unwritable flow log is reported (once) and judging goes on: it must not stop the monitor.
    try {
      flowLog = new FlowLogFile(options.flowLogFile, {
        accountId: options.accountId,
        accountOf: interfaceOwners(monitored),
        windowSec: options.flowLogWindowSec,
        maxBytes: options.flowLogMaxBytes,
        maxAgeSec: options.flowLogMaxAgeSec,
        keep: options.flowLogKeep,
        interfaces: () => [...monitored.interfaces()].map((i) => i.interfaceId),
        report: (message) => options.log.warn({ event: 'flow-log', file: options.flowLogFile }, message),
      });
    } catch (e) {
      // only out-of-range options get here (RangeError); file errors are reported, not thrown
      capture.close();
      verdicts?.close();
      throw e;
    }
  }

  const flushTimer = setInterval(() => verdicts?.flush(), options.flushIntervalMs ?? 60_000);
  // Expired flows are reclaimed a slice at a time between frames, not on the per-packet path;
  // a quiet capture window is closed (and written) within a second of its end.
  const sweepTimer = setInterval(() => {
    dataplane.conntrack.sweep(performance.now(), 1 << 14);
    flowLog?.flush();
  }, 1000);
  flushTimer.unref();
  sweepTimer.unref();

  // After stop the capture is closed: its last count, read at the close, stands.
  let captureDrops: number | null = null;
  let closed = false;
  const summary = (): MonitorSummary => {
    const { allowed, dropped, byReason, interfaces } = summarizeVerdicts(dataplane, model);
    if (!closed) captureDrops = capture.drops();
    return {
      interface: options.interface, capture: method, frames: judge.frames, allowed, dropped, byReason, interfaces, truncated: judge.truncated, captureDrops,
      conntrackEntries: dataplane.conntrack.size,
    };
  };

  let stopped: MonitorSummary | null = null;
  return {
    linkType: judge.linkType,
    dataplane,
    view: model,
    capture: method,
    summary,
    reopenLogs() {
      flowLog?.reopen();
    },
    stop() {
      if (stopped) return stopped;
      // The kernel's counters first, up to the close.
      captureDrops = capture.drops();
      closed = true;
      capture.close();
      clearInterval(flushTimer);
      clearInterval(sweepTimer);
      verdicts?.close();
      flowLog?.close();
      stopped = summary();
      return stopped;
    },
  };
}

/**
 * Opens `device` with `method`: afpacket in both directions (what the host sends is judged too, as
 * libpcap captures it; a monitor never sends, so nothing of its own comes back round). Throws
 * CaptureError, or MissingAddonError when the method's addon is not there.
 */
function openCapture(
  method: CaptureMethod,
  device: string,
  onFrame: (frame: Buffer, length: number, cut: boolean) => void,
  onBatch: (batch: AfPacketBatch) => void,
): MonitorCapture {
  if (method === 'pcap') {
    const c = new LiveCapture(device, onFrame);
    return { linkType: c.linkType, drops: () => null, close: () => c.close() };
  }
  const s = new AfPacketSocket(device, onBatch, { outgoing: true });
  return { linkType: s.linkType, drops: () => s.stats().drops, close: () => s.close() };
}

/**
 * The ready line, as a log record (supervisors and tests wait for its 'SIGINT/SIGTERM to stop');
 * `hangupHint`: what SIGHUP does, as the enforcing modes' ready lines say it (`, SIGHUP to reload`).
 */
export function logMonitorReady(log: Logger, device: string, linkType: number, capture: CaptureMethod, note: string, hangupHint: string, workers = 1): void {
  log.info(
    { event: 'ready', mode: 'monitor', interface: device, linkType, capture, workers },
    `monitor mode capturing on ${device} (link type ${linkType}, capture: ${capture}); nothing is dropped${note}; SIGINT/SIGTERM to stop${hangupHint}`,
  );
}

/**
 * The stop line, with the SIGHUP reload counts as the enforcing modes' stop lines (`reloads`: the
 * run's StateReloader, null when it follows the API); `perWorker`: the frames each worker judged, when there were workers.
 */
export function logMonitorStop(log: Logger, s: MonitorSummary, reloads: { readonly reloads: number; readonly failures: number } | null, perWorker?: readonly number[]): void {
  log.info(
    {
      event: 'stop', mode: 'monitor', capture: s.capture, frames: s.frames, allowed: s.allowed, dropped: s.dropped, byReason: s.byReason,
      truncated: s.truncated, captureDrops: s.captureDrops, reloads: reloads?.reloads ?? 0, reloadFailures: reloads?.failures ?? 0,
      workers: perWorker?.length ?? 1, ...(perWorker ? { perWorker } : {}),
    },
    `stopped; frames ${s.frames} would allow ${s.allowed} would drop ${s.dropped}${s.captureDrops ? ` capture drops ${s.captureDrops}` : ''}` +
      (perWorker ? ` (${perWorker.length} workers: ${perWorker.join(' / ')})` : ''),
  );
}

export function formatMonitorSummary(s: MonitorSummary): string {
  const lines = [`monitor ${s.interface}: frames ${s.frames}  would allow ${s.allowed}  would drop ${s.dropped}`];
  for (const [reason, n] of Object.entries(s.byReason)) lines.push(`  ${reason.padEnd(18)} ${n}`);
  if (s.interfaces.length) {
    lines.push('interfaces');
    for (const i of s.interfaces) lines.push(`  ${i.interfaceId.padEnd(24)} would allow ${i.allowed}  would drop ${i.dropped}`);
  }
  if (s.truncated) lines.push(`frames truncated by the capture ${s.truncated}`);
  // Counted only by afpacket: a pcap capture's losses are unknown, not zero.
  if (s.captureDrops !== null) lines.push(`frames dropped by the kernel (capture ring full, not judged) ${s.captureDrops}`);
  return `${lines.join('\n')}\n`;
}

