// The start and stop of every `sgfw run` mode: what a start-up failure prints and returns, the
// capability drop once the sockets are open, the drop-log budget, and waiting for a signal.
import { CredentialsError } from '../api/credentials.js';
import { CaptureError } from '../capture/capture-error.js';
import { MissingAddonError } from '../capture/missing-addon.js';
import { NfqueueError } from '../capture/nfqueue.js';
import { RealtimeError } from '../capture/realtime-thread.js';
import { AgentStateFileError } from '../fleet/agent-state-file.js';
import { FleetAgentError } from '../fleet/agent.js';
import { Ec2SourceError } from '../source/ec2-source.js';
import { SourceStateFileError } from '../source/source-state-file.js';
import { EtcdRequestError } from '../fleet/etcd-types.js';
import { CapabilityError, dropCapabilities, HOST_MODE_CAPABILITIES, REALTIME_CAPABILITIES } from '../live/capabilities.js';
import { KernelBridgeError } from '../live/kernel-bridge.js';
import { QueueRuleError } from '../live/queue-rules.js';
import type { DropSampler } from '../observe/drop-sampler.js';
import { MetricsServerError } from '../observe/metrics-server.js';
import { NULL_NOTIFY, type ServiceNotify } from '../observe/service-notifier.js';
import { ExitCode } from './exit-codes.js';
import type { RunOptions } from './run-options.js';

/**
 * A start-up failure the operator fixes outside sgfw, as its exit code: 2 for a bad credentials
 * file, capture device or agent state file (usage), 1 for a queue, rule, port or socket that could
 * not be set up, an addon or optional package this machine lacks, or an etcd store or EC2 endpoint that is unreachable with no
 * agent or source state file to boot from.
 * undefined: not one of those (a bug: let it through).
 */
export function startFailureCode(e: unknown): number | undefined {
  if (e instanceof CredentialsError || e instanceof CaptureError || e instanceof AgentStateFileError) return ExitCode.usage;
  if (e instanceof SourceStateFileError) return ExitCode.usage;
  if (e instanceof NfqueueError || e instanceof QueueRuleError || e instanceof KernelBridgeError || e instanceof MetricsServerError) return ExitCode.failed;
  if (e instanceof MissingAddonError || e instanceof RealtimeError) return ExitCode.failed;
  if (e instanceof FleetAgentError || e instanceof EtcdRequestError) return ExitCode.failed;
  if (e instanceof Ec2SourceError) return ExitCode.failed;
  // The API's listen socket: address in use, not local, not permitted.
  if (e instanceof Error && (e as NodeJS.ErrnoException).syscall === 'listen') return ExitCode.failed;
  return undefined;
}

/** A start-up failure as one log record (stderr is all log records) and its exit code; anything else rethrown. */
export function startFailed(e: unknown, o: Pick<RunOptions, 'log'>): number {
  const code = startFailureCode(e);
  if (code === undefined) throw e;
  o.log.fatal({ event: 'start-failed' }, (e as Error).message);
  return code;
}

/** After the sockets are open: keep only CAP_NET_ADMIN and CAP_NET_RAW (and CAP_SYS_NICE with --realtime-workers: the real-time guard's). */
export function dropPrivileges(o: Pick<RunOptions, 'log'> & Partial<Pick<RunOptions, 'realtimeWorkers'>>): void {
  try {
    const caps = dropCapabilities(o.realtimeWorkers ? REALTIME_CAPABILITIES : HOST_MODE_CAPABILITIES);
    const kept = o.realtimeWorkers ? 'kept only CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_NICE (--realtime-workers)' : 'kept only CAP_NET_ADMIN and CAP_NET_RAW';
    o.log.info({ event: 'capabilities-dropped', ...caps }, caps.dropped ? kept : 'not root: no capabilities to drop');
  } catch (e) {
    if (!(e instanceof CapabilityError)) throw e;
    // Enforcement goes on: the drop hardens the process, the rules (or captures) are what protect.
    o.log.error({ event: 'capabilities-drop-failed' }, e.message);
  }
}

/** Once a second: a new drop-log budget, and one line for what the last second did not log. */
export function dropLogTicker(sampler: DropSampler, o: Pick<RunOptions, 'log'>): NodeJS.Timeout {
  const ticker = setInterval(() => {
    const suppressed = sampler.tick();
    if (suppressed > 0) o.log.info({ event: 'drops-suppressed', count: suppressed }, `${suppressed} more dropped packets not logged`);
  }, 1000);
  ticker.unref();
  return ticker;
}

export interface StopSignals {
  /** resolves with the name of the first SIGINT or SIGTERM */
  readonly stopped: Promise<string>;
  /** removes the handlers; call once the clean-up is done */
  release(): void;
}

/**
 * SIGINT/SIGTERM request a stop, SIGHUP runs `hangup`. Install before the ready line (a signal sent
 * on seeing it must find them) and release after the clean-up, so a second signal cannot cut it short.
 * `notify` hears STOPPING=1 at the stop, and RELOADING=1 … READY=1 around `hangup` (its promise).
 */
export function stopSignals(hangup: () => unknown, notify: ServiceNotify = NULL_NOTIFY): StopSignals {
  let requestStop: (name: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (requestStop = resolve));
  const stop = (name: string): void => {
    notify.stopping(`stopping on ${name}`);
    requestStop(name);
  };
  const reload = (): void => notify.reloading(hangup);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', reload);
  return {
    stopped,
    release() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', reload);
      notify.close();
    },
  };
}

/** With --capture pcap and no --workers: why the run judges on one thread (captureWorkers), logged before the ready line. */
export function logOneThread(o: Pick<RunOptions, 'log'>, because: string | null | undefined): void {
  if (because) o.log.info({ event: 'workers', workers: 1, capture: 'pcap' }, because);
}
