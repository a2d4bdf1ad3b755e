// The typed face of native-bindings/sdnotify: one datagram to systemd's NOTIFY_SOCKET. Loaded here,
// where native addons load; what is sent and when is src/observe/service-notifier.ts, which takes
// the sender from the cli. Loaded only when NOTIFY_SOCKET is set: outside systemd nothing native runs.
import { createRequire } from 'node:module';
import { BUILD_ADDONS_COMMAND } from './missing-addon.js';

export const SDNOTIFY_ADDON = new URL('../../native-bindings/sdnotify/build/Release/sdnotify.node', import.meta.url);

interface SdNotifyAddon {
  notify(socketPath: string, message: string): void;
}

/** The addon did not load: what the service loses, and the command that builds it. */
export class SdNotifyUnavailable extends Error {
  override readonly name = 'SdNotifyUnavailable';
}

/**
 * A sender for `socketPath` (NOTIFY_SOCKET: a path, or an abstract name starting with '@'), throwing
 * (with the errno) when the socket refuses a datagram; SdNotifyUnavailable when the addon is not built.
 * `addonPath` is for tests.
 */
export function sdNotifySender(socketPath: string, addonPath: string = SDNOTIFY_ADDON.pathname): (message: string) => void {
  let addon: SdNotifyAddon;
  try {
    addon = createRequire(import.meta.url)(addonPath) as SdNotifyAddon;
  } catch (e) {
    const why = String(e instanceof Error ? e.message : e).split('\n')[0];
    throw new SdNotifyUnavailable(
      `NOTIFY_SOCKET is set but the sdnotify addon does not load (${why}): systemd will time out this start ` +
        `(Type=notify); build it with 'bash scripts/build-native.sh' in a checkout, or '${BUILD_ADDONS_COMMAND}'`,
    );
  }
  return (message) => addon.notify(socketPath, message);
}
