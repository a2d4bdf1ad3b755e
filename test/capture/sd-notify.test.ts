// The sdnotify addon's loader: a missing addon is one error naming what systemd will do and how to
// build it (the datagrams themselves: test/e2e/systemd/notify.test.ts, against a real socket).
import { describe, expect, it } from 'vitest';
import { sdNotifySender, SdNotifyUnavailable } from '../../src/capture/sd-notify.js';

describe('sdNotifySender', () => {
  it('without the addon: SdNotifyUnavailable saying the start will time out and naming the build script', () => {
    let error: unknown;
    try {
      sdNotifySender('/run/systemd/notify', '/nonexistent/sdnotify.node');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SdNotifyUnavailable);
    expect((error as Error).message).toMatch(/^NOTIFY_SOCKET is set but the sdnotify addon does not load \(Cannot find module '\/nonexistent\/sdnotify.node'.*\): systemd will time out this start \(Type=notify\); build it with 'bash scripts\/build-native.sh'/);
  });
});
