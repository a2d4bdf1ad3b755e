// `sgfw run --mode monitor`: without --listen exactly runMonitor (src/live/monitor.ts); with it, the
// same monitor judging against the durable store's service, the EC2 API beside it in this process.
import { CaptureError } from '../capture/capture-error.js';
import { formatMonitorSummary, runMonitor, startMonitor, type Monitor } from '../live/monitor.js';
import type { AttachedApi } from '../api/serve-store.js';
import { attachApi, reloadApiTls } from './api-attach.js';
import { ExitCode } from './exit-codes.js';
import { startFailed } from './run-lifecycle.js';
import { apiNote, type RunOptions } from './run-options.js';
import { serviceNotify } from './service-notify.js';

export interface MonitorFlags {
  device: string;
}

export async function runMonitorMode(o: RunOptions, m: MonitorFlags): Promise<number> {
  const { io } = o;
  if (!o.api) {
    return runMonitor({ interface: m.device, stateFiles: o.stateFiles, verdictsFile: o.verdictsFile, ...o.flowLog, io });
  }
  const systemd = serviceNotify((line) => o.log.warn({ event: 'systemd-notify' }, line));
  let api: AttachedApi;
  try {
    api = await attachApi({ stateDir: o.api.stateDir, listen: o.api.listen, stateFiles: o.stateFiles, logger: o.log });
  } catch (e) {
    return startFailed(e, o);
  }
  let monitor: Monitor;
  try {
    monitor = await startMonitor({
      interface: m.device,
      model: api.service,
      accountId: api.service.accountId,
      verdictsFile: o.verdictsFile,
      ...o.flowLog,
      io,
    });
  } catch (e) {
    await api.close();
    if (!(e instanceof CaptureError)) throw e;
    io.stderr.write(`sgfw monitor: ${e.message}\n`);
    return ExitCode.usage;
  }
  // Handlers go in before the ready line: a signal sent on seeing it must find them.
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const done = (): void => {
    systemd.stopping('stopping');
    finish();
  };
  const hup = (): void => {
    monitor.reopenLogs();
    reloadApiTls(api, o.log);
    io.stderr.write('sgfw monitor: SIGHUP: flow log reopened; no state to reload: with --listen the state directory is the source of truth\n');
  };
  process.on('SIGINT', done);
  process.on('SIGTERM', done);
  process.on('SIGHUP', hup);
  systemd.ready(`monitoring ${m.device}${apiNote(api.address)}`);
  io.stderr.write(
    `sgfw monitor: capturing on ${m.device} (link type ${monitor.linkType}); nothing is dropped${apiNote(api.address)}; SIGINT/SIGTERM to stop\n`,
  );
  await finished;
  io.stdout.write(formatMonitorSummary(monitor.stop()));
  await api.close();
  process.off('SIGINT', done);
  process.off('SIGTERM', done);
  process.off('SIGHUP', hup);
  systemd.close();
  return ExitCode.ok;
}
