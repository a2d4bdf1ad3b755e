// How every live `sgfw run` mode starts, on one thread or on workers alike (run-host.ts,
// run-inline.ts, run-monitor.ts and their -workers twins): the service notifier first (systemd's
// watchdog runs from the start of the process), then the model the mode judges by (run-model.ts);
// a model that cannot be opened is a start-up failure, reported as every other one is. And what
// the start record and the ready line say alike in every mode: the interfaces managed, where the
// model comes from, where --metrics listens.
import type { MetricsServer } from '../observe/metrics-server.js';
import type { ServiceNotify } from '../observe/service-notifier.js';
import { startFailed } from './run-lifecycle.js';
import { openLiveModel, type LiveModel } from './run-model.js';
import type { RunOptions } from './run-options.js';
import { serviceNotify } from './service-notify.js';

export interface RunStart {
  /** READY/RELOADING/STOPPING for systemd, or nothing without NOTIFY_SOCKET */
  readonly systemd: ServiceNotify;
  readonly live: LiveModel;
}

/**
 * The notifier, then the model. 'judging': monitor mode, which enforces nothing (with --listen the
 * state directory then keeps no record of what was enforced). Resolves with the exit code, the
 * failure logged (startFailed), when the model cannot be opened.
 */
export async function startRun(o: RunOptions, kind: 'enforcing' | 'judging'): Promise<RunStart | number> {
  const { log } = o;
  const systemd = serviceNotify((line) => log.warn({ event: 'systemd-notify' }, line));
  try {
    const live = await openLiveModel({ stateFiles: o.stateFiles, api: o.api, fleet: o.fleet, source: o.source, log, enforcing: kind === 'enforcing' });
    return { systemd, live };
  } catch (e) {
    return startFailed(e, o);
  }
}

/** The ids of the interfaces the model manages, for the start record and the ready line. */
export function managedInterfaces(live: LiveModel): string[] {
  return [...live.view.interfaces()].map((i) => i.interfaceId);
}

/** What the start record says of where the model comes from: the API's address, the fleet host and revision in force, or the EC2 source followed. */
export function modelSourceFields(live: LiveModel): Record<string, unknown> {
  return {
    api: live.api?.address ?? null,
    ...(live.fleet ? { hostId: live.fleet.hostId, revision: live.fleet.revision(), source: live.fleet.source } : {}),
    ...(live.source ? { hostId: live.source.hostId, source: `${live.source.kind}:${live.source.region}`, stale: !live.source.connected() } : {}),
  };
}

/** `, metrics on HOST:PORT` for a ready line, or nothing. */
export function metricsNote(metrics: MetricsServer | null): string {
  return metrics ? `, metrics on ${metrics.address.host}:${metrics.address.port}` : '';
}
