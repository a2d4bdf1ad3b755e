// What every `sgfw run` mode takes from the command line, parsed once by run.ts.
import type { Logger } from '../observe/logger.js';
import type { ListenAddress } from '../observe/metrics-server.js';
import type { CliIo } from './cli-io.js';
import type { FlowLogFlagValues } from './flags-flow-log.js';
import type { FleetFlags } from './run-fleet.js';
import type { SourceFlags } from './run-source.js';
import type { ApiFlags } from './live-model.js';

export interface RunOptions {
  readonly stateFiles: readonly string[];
  /** `--listen` (and `--state-dir`): the EC2 API in this process; null without --listen */
  readonly api: ApiFlags | null;
  /** `--store` and `--host-id`: a fleet agent feeds the Dataplane; null without --store */
  readonly fleet: FleetFlags | null;
  /** `--source ec2…`: an EC2 account, polled, feeds the Dataplane; null without --source */
  readonly source: SourceFlags | null;
  readonly log: Logger;
  /** dropped packets logged per second at most */
  readonly dropRate: number;
  readonly metricsAt: ListenAddress | null;
  readonly verdictsFile: string | undefined;
  /** --flow-log FILE and its rotation flags */
  readonly flowLog: FlowLogFlagValues;
  readonly io: CliIo;
  /** `--realtime-workers`: the packet workers run in SCHED_FIFO */
  readonly realtimeWorkers: boolean;
}

/** `, API on HOST:PORT` for a ready line, or nothing. */
export function apiNote(address: string | undefined): string {
  return address === undefined ? '' : `, API on ${address}`;
}
