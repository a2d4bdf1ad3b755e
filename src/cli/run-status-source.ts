// What GET /status reports for a `sgfw run` mode, from its live model (see live/run-status.ts).
import type { RunStatusSource } from '../live/run-status.js';
import type { LiveModel } from './live-model.js';

export function statusSource(live: LiveModel, mode: string, startedAt: number): RunStatusSource {
  const { fleet, source } = live;
  return {
    mode,
    dataplane: live.dataplane,
    view: live.view,
    startedAt,
    api: live.api?.address,
    fleet:
      fleet === undefined
        ? undefined
        : () => ({ hostId: fleet.hostId, revision: fleet.revision(), connected: fleet.connected(), staleSeconds: Math.round(fleet.staleSeconds() * 10) / 10 }),
    ec2:
      source === undefined
        ? undefined
        : () => {
          const error = source.lastError();
          return {
            region: source.region, endpoint: source.endpoint, hostId: source.hostId, connected: source.connected(),
            staleSeconds: Math.round(source.staleSeconds() * 10) / 10, currentAt: new Date(source.currentAt()).toISOString(),
            ...(error === undefined ? {} : { error }),
          };
        },
  };
}
