// The service notifier a long-running command (`sgfw run`, `sgfw serve`) reports its steps to: the
// notify protocol (src/observe/service-notifier.ts) over the sdnotify addon (src/capture/sd-notify.ts)
// when systemd set NOTIFY_SOCKET, else nothing at all (no addon loaded, no timer). Called first thing
// in the command, since systemd's watchdog runs from the start of the process.
import { sdNotifySender, SdNotifyUnavailable } from '../capture/sd-notify.js';
import { NULL_NOTIFY, ServiceNotifier, type NotifySend, type ServiceNotify } from '../observe/service-notifier.js';

/** `env` and `load` are for tests. */
export function serviceNotify(
  warn: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  load: (socketPath: string) => NotifySend = sdNotifySender,
): ServiceNotify {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return NULL_NOTIFY;
  let send: NotifySend;
  try {
    send = load(socket);
  } catch (e) {
    if (!(e instanceof SdNotifyUnavailable)) throw e;
    // The service runs on: enforcing matters more than the unit's state.
    warn(e.message);
    return NULL_NOTIFY;
  }
  return new ServiceNotifier({
    send,
    watchdogUsec: env.WATCHDOG_USEC,
    watchdogPid: env.WATCHDOG_PID,
    pid: process.pid,
    monotonicUsec: () => process.hrtime.bigint() / 1000n,
    warn,
  });
}
