// The notify protocol sgfw speaks to systemd, with a recording sender and fake timers: what each
// step sends, the watchdog's period and whose it is, and that a refusing socket never stops sgfw.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceNotifier, type ServiceNotifierOptions } from '../../src/observe/service-notifier.js';
import { serviceNotify } from '../../src/cli/service-notify.js';
import { SdNotifyUnavailable } from '../../src/capture/sd-notify.js';

function notifier(extra: Partial<ServiceNotifierOptions> = {}): { n: ServiceNotifier; sent: string[]; warnings: string[] } {
  const sent: string[] = [];
  const warnings: string[] = [];
  const n = new ServiceNotifier({
    send: (m) => sent.push(m),
    pid: 4242,
    monotonicUsec: () => 123_456_789n,
    warn: (l) => warnings.push(l),
    ...extra,
  });
  return { n, sent, warnings };
}

describe('ServiceNotifier', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends READY=1 with a one-line STATUS, and STOPPING=1', () => {
    const { n, sent } = notifier();
    n.ready('host mode on NFQUEUE 0,\n 2 managed interfaces');
    n.stopping('stopping on SIGTERM');
    expect(sent).toEqual(['READY=1\nSTATUS=host mode on NFQUEUE 0, 2 managed interfaces', 'STOPPING=1\nSTATUS=stopping on SIGTERM']);
  });

  it('brackets a synchronous reload with RELOADING=1 (MONOTONIC_USEC) and READY=1 with the last status', () => {
    const { n, sent } = notifier();
    n.ready('serving');
    let ran = false;
    n.reloading(() => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(sent.slice(1)).toEqual(['RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading', 'READY=1\nSTATUS=serving']);
  });

  it('sends READY=1 after an asynchronous reload settles, once for overlapping reloads, rejected or not', async () => {
    const { n, sent } = notifier();
    let finishFirst!: () => void;
    let failSecond!: (e: Error) => void;
    n.reloading(() => new Promise<void>((resolve) => (finishFirst = resolve)));
    n.reloading(() => new Promise<void>((_, reject) => (failSecond = reject)));
    expect(sent.filter((m) => m.startsWith('READY=1'))).toHaveLength(0);
    finishFirst();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.filter((m) => m.startsWith('READY=1'))).toHaveLength(0);
    failSecond(new Error('bad state file'));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((m) => m.split('\n')[0])).toEqual(['RELOADING=1', 'RELOADING=1', 'READY=1']);
  });

  it('pings WATCHDOG=1 every half WATCHDOG_USEC, from construction until close', () => {
    const { n, sent } = notifier({ watchdogUsec: '30000000' });
    expect(n.watchdogEveryMs).toBe(15_000);
    vi.advanceTimersByTime(14_999);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['WATCHDOG=1']);
    vi.advanceTimersByTime(30_000);
    expect(sent).toEqual(['WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1']);
    n.close();
    vi.advanceTimersByTime(60_000);
    expect(sent).toHaveLength(3);
  });

  it('pings only when WATCHDOG_PID is unset or ours', () => {
    expect(notifier({ watchdogUsec: '2000', watchdogPid: '4242' }).n.watchdogEveryMs).toBe(1);
    const other = notifier({ watchdogUsec: '2000000', watchdogPid: '1' });
    expect(other.n.watchdogEveryMs).toBeNull();
    vi.advanceTimersByTime(10_000);
    expect(other.sent).toEqual([]);
    expect(notifier().n.watchdogEveryMs).toBeNull();
  });

  it('says once that a WATCHDOG_USEC is not a number, and does not ping', () => {
    const { n, warnings } = notifier({ watchdogUsec: '30s' });
    expect(n.watchdogEveryMs).toBeNull();
    expect(warnings).toEqual(["WATCHDOG_USEC='30s' is not a positive number of microseconds: no watchdog pings"]);
  });

  it('goes on when the socket refuses, saying so once', () => {
    const warnings: string[] = [];
    const n = new ServiceNotifier({
      send: () => {
        throw new Error('sendto NOTIFY_SOCKET /run/x: Connection refused');
      },
      pid: 1,
      monotonicUsec: () => 0n,
      warn: (l) => warnings.push(l),
    });
    n.ready('a');
    n.stopping('b');
    expect(n.failures).toBe(2);
    expect(warnings).toEqual(['could not notify systemd (sendto NOTIFY_SOCKET /run/x: Connection refused); sgfw goes on, unnoticed by its service manager']);
  });
});

describe('serviceNotify (the cli wiring)', () => {
  it('without NOTIFY_SOCKET loads nothing and sends nothing', () => {
    const load = vi.fn();
    const n = serviceNotify(() => {}, {}, load);
    n.ready('x');
    n.stopping('y');
    expect(load).not.toHaveBeenCalled();
  });

  it('with NOTIFY_SOCKET sends through the sender loaded for that socket', () => {
    const sent: [string, string][] = [];
    const n = serviceNotify(() => {}, { NOTIFY_SOCKET: '@sgfw-test' }, (socket) => (m) => sent.push([socket, m]));
    n.ready('up');
    n.close();
    expect(sent).toEqual([['@sgfw-test', 'READY=1\nSTATUS=up']]);
  });

  it('without the addon warns once, naming the build script, and lets the service run on', () => {
    const warnings: string[] = [];
    const n = serviceNotify((l) => warnings.push(l), { NOTIFY_SOCKET: '/run/systemd/notify' }, () => {
      throw new SdNotifyUnavailable('NOTIFY_SOCKET is set but the sdnotify addon does not load');
    });
    n.ready('up');
    expect(warnings).toEqual(['NOTIFY_SOCKET is set but the sdnotify addon does not load']);
  });
});
