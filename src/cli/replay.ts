// `sgfw replay`: judges every frame of pcap/pcapng captures against the groups of the state files,
// optionally changing them along the way (--timeline), and reports what was allowed and dropped.
import { statSync } from 'node:fs';
import { replay, type ReplayOptions, type ReplaySummary } from '../replay/replay-run.js';
import type { SecurityGroupService } from '../control/service.js';
import { ReplayWorkers } from '../replay/replay-workers.js';
import { readTimeline, type TimelineEntry } from '../replay/timeline.js';
import type { Command } from './command.js';
import type { OutputStream } from './cli-io.js';
import { ExitCode } from './exit-codes.js';
import { FLOW_LOG_INTERVAL_FLAG, flowLogIntervalSec } from './flags-flow-log.js';
import { availableCores, WORKERS_FLAG, workersFlag } from './flags-workers.js';
import { failureText, runReplayEach } from './replay-each.js';
import { STATE_FLAG, serviceFromStateFiles } from './state-flag.js';
import { UsageError } from './usage-error.js';
import { oneLine } from './one-line.js';

/**
 * Below this much capture in all, `replay` judges on one thread unless --workers says otherwise.
 * Each worker thread pays a fixed ~0.1 s (start, compile the rules) and V8 optimizes the judging
 * code again in it (~0.3 s of CPU on a background thread), so on two cores two workers need more
 * CPU than one thread until the capture is large: 1.0× the wall at 1M frames (109 MB), 1.67× at
 * 5M (BENCHMARKS.md, "replay on 2 workers"). With more cores that compiling runs beside the
 * judging, and workers pay off from a few tens of MB.
 */
function smallCaptureBytes(cores: number): number {
  return cores <= 2 ? 160 << 20 : 32 << 20;
}

function defaultWorkers(captures: readonly string[]): number {
  let bytes = 0;
  for (const file of captures) {
    try {
      bytes += statSync(file).size;
    } catch {
      return 1; // the replay names the file it cannot read
    }
  }
  const cores = availableCores();
  return bytes < smallCaptureBytes(cores) ? 1 : cores;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'Judge every frame of pcap/pcapng captures against the security groups',
  description: [
    'Reads classic pcap (both byte orders, micro- and nanosecond timestamps) and pcapng.',
    'Frames count from 1 across all captures, in the order given, as Wireshark counts them.',
    'The connection-tracking clock is the capture timestamps, and so is the flow log\'s: its records',
    'are aggregated in 60-second windows of capture time (--flow-log-interval 600: 10 minutes).',
    'Exit codes: 0 done; 1 a timeline call was refused (its EC2 error code is printed);',
    '2 a bad capture, state or timeline file, or bad usage.',
    '--each judges every capture on its own, in one process, as if replayed alone: fresh flow',
    'state, frames and timeline frame numbers counted within the capture, a summary each (--json:',
    'one JSON line each). Outputs are per capture: {name} in --verdicts, --flow-log and',
    '--write-allowed is the capture\'s file name without extension (out/{name}.jsonl). A bad',
    'capture gets its one-line error and the others go on; exit 2 at the end if any was bad.',
  ].join('\n'),
  flags: [
    STATE_FLAG,
    {
      name: 'timeline',
      kind: 'string',
      value: 'FILE',
      description: 'JSON Lines of control-plane calls: {"beforeFrame": N, "Action": "<EC2 action>", "Parameters": {…}}',
    },
    { name: 'verdicts', kind: 'string', value: 'FILE', description: 'write one JSON object per frame: frame, verdict, reason, interfaces, rules' },
    {
      name: 'flow-log',
      kind: 'string',
      value: 'FILE',
      description: 'write VPC Flow Logs version 2 records (default format, a header line first), each interface\'s under its owner\'s account',
    },
    FLOW_LOG_INTERVAL_FLAG,
    { name: 'write-allowed', kind: 'string', value: 'FILE', description: 'write the allowed frames to a pcap file' },
    { name: 'json', kind: 'boolean', description: 'print the summary as JSON' },
    { name: 'each', kind: 'boolean', description: 'judge each capture on its own: fresh state, a summary and outputs ({name}) each' },
    {
      ...WORKERS_FLAG,
      description: `threads that judge frames, sharded by flow (default: the cores available, but 1 for captures under ${smallCaptureBytes(availableCores()) >> 20} MB in all on this machine, where starting threads costs more than it saves); the outputs are the same for any N; --each judges each capture on one thread`,
    },
  ],
  positional: { name: 'CAPTURE', description: 'pcap or pcapng files', min: 1, max: Infinity },
  async run(args, { io }) {
    const flowLogFile = args.string('flow-log');
    const flowLogWindowSec = flowLogIntervalSec(args);
    if (flowLogWindowSec !== undefined && flowLogFile === undefined) throw new UsageError('--flow-log-interval needs --flow-log FILE');
    const workers = workersFlag(args);
    const each = args.boolean('each');
    if (each && workers !== undefined && workers > 1) throw new UsageError('--each judges each capture on one thread: give --workers 1 or leave it out');
    const threads = each ? 1 : (workers ?? defaultWorkers(args.positionals));
    // Worker threads start first: their start-up runs while this thread loads the state.
    const pool = threads > 1 ? new ReplayWorkers(args.positionals, threads) : null;
    let service: SecurityGroupService;
    let timeline: TimelineEntry[];
    const timelineFile = args.string('timeline');
    try {
      service = await serviceFromStateFiles(args.strings('state'));
      timeline = timelineFile ? readTimeline(timelineFile) : [];
    } catch (e) {
      pool?.cancel();
      throw e;
    }
    const progress = new Progress(io.stderr);
    const options: ReplayOptions = {
      captures: args.positionals,
      timeline,
      timelineFile,
      verdictsFile: args.string('verdicts'),
      flowLogFile,
      flowLogWindowSec,
      // for an interface whose groups are unknown; the others' records name their groups' owner
      accountId: service.accountId,
      writeAllowedFile: args.string('write-allowed'),
    };
    if (each) return runReplayEach(io, service, args.strings('state'), options, args.boolean('json'), formatSummary);
    const withProgress = { ...options, onProgress: (frames: number) => progress.update(frames) };
    const summary = pool ? await pool.run(service, withProgress) : await replay(service, withProgress);
    progress.done();
    if (args.boolean('json')) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else io.stdout.write(formatSummary(summary));
    if (summary.failure) {
      io.stderr.write(`sgfw replay: ${oneLine(failureText(summary.failure))}\n`);
      return ExitCode.failed;
    }
    return ExitCode.ok;
  },
};

/** A one-line progress report on a terminal, once the replay has run for more than a second. */
class Progress {
  private readonly started = Date.now();
  private shown = false;
  constructor(private readonly out: OutputStream) {}
  update(frames: number): void {
    if (!this.out.isTTY) return;
    const seconds = (Date.now() - this.started) / 1000;
    if (seconds < 1) return;
    this.shown = true;
    this.out.write(`\r  ${frames.toLocaleString('en-US')} frames, ${Math.round(frames / seconds).toLocaleString('en-US')}/s `);
  }
  done(): void {
    if (this.shown) this.out.write('\n');
  }
}

export function formatSummary(s: ReplaySummary): string {
  const lines = [`frames ${s.frames}  allowed ${s.allowed}  dropped ${s.dropped}`];
  for (const [reason, n] of Object.entries(s.byReason)) lines.push(`  ${reason.padEnd(18)} ${n}`);
  if (s.interfaces.length) {
    lines.push('interfaces');
    for (const i of s.interfaces) lines.push(`  ${i.interfaceId.padEnd(24)} allowed ${i.allowed}  dropped ${i.dropped}`);
  }
  if (s.timelineApplied || s.timelineUnreached) {
    lines.push(`timeline calls applied ${s.timelineApplied}${s.timelineUnreached ? `, never reached ${s.timelineUnreached}` : ''}`);
  }
  if (s.workers) lines.push(`workers ${s.workers.length}, frames judged ${s.workers.map((w) => w.judged).join(' / ')}`);
  if (s.conntrackFull) lines.push(`flows not tracked (table full) ${s.conntrackFull}`);
  if (s.writeAllowedSkipped) lines.push(`frames left out of --write-allowed (other link type) ${s.writeAllowedSkipped}`);
  return `${lines.join('\n')}\n`;
}

