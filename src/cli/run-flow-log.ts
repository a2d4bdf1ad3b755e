// Flow logs of a live mode on RunFlowLog (host, inline; monitor on workers): a FlowLogFile fed with every judged packet that
// touched a managed interface, flushed once a second (a window is written when it ends), reopened
// on SIGHUP for logrotate, and closed with the partial window on stop.
import type { Dataplane } from '../dataplane/dataplane.js';
import { recordLastFlow } from '../live/verdict-duties.js';
import type { ModelView } from '../model/model-view.js';
import { interfaceOwners } from '../observe/flow-log-account.js';
import { FlowLogFile } from '../observe/flow-log-file.js';
import type { FlowObservation, FlowSink } from '../observe/flow-log.js';
import type { Logger } from '../observe/logger.js';
import type { FlowLogFlagValues } from './flags-flow-log.js';

export class RunFlowLog implements FlowSink {
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly file: FlowLogFile,
    private readonly dataplane: Dataplane,
  ) {
    this.timer = setInterval(() => this.file.flush(), 1000);
    this.timer.unref();
  }

  /** null without --flow-log; `accountId`: of an interface whose groups the model does not know (default: FlowLogFile's) */
  static open(flags: FlowLogFlagValues, dataplane: Dataplane, view: ModelView, log: Logger, accountId?: string): RunFlowLog | null {
    if (flags.flowLogFile === undefined) return null;
    const file = new FlowLogFile(flags.flowLogFile, {
      accountId,
      // each interface's records name its owner, as on AWS (the model in force, followed through reloads)
      accountOf: interfaceOwners(view),
      windowSec: flags.flowLogWindowSec,
      maxBytes: flags.flowLogMaxBytes,
      maxAgeSec: flags.flowLogMaxAgeSec,
      keep: flags.flowLogKeep,
      interfaces: () => [...view.interfaces()].map((i) => i.interfaceId),
      report: (message) => log.warn({ event: 'flow-log', file: flags.flowLogFile }, message),
    });
    return new RunFlowLog(file, dataplane);
  }

  /** The last judged packet, if it touched a managed interface. Allocates: flow logs are opt-in. */
  record(accepted: boolean): void {
    recordLastFlow(this.dataplane, this.file, accepted);
  }

  /** An observation a worker thread made (host mode's workers): windowed by its time. */
  add(o: FlowObservation): void {
    this.file.add(o);
  }

  reopen(): void {
    this.file.reopen();
  }

  close(): void {
    clearInterval(this.timer);
    this.file.close();
  }
}
