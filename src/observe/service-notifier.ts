// What sgfw tells its service manager, in systemd's notify protocol (sd_notify(3)): READY=1 once a
// mode enforces (its rules installed, its first model in force) or the API listens, RELOADING=1 and
// READY=1 around a SIGHUP's reload, STOPPING=1 when a stop begins, and WATCHDOG=1 every half
// WATCHDOG_USEC, so a wedged event loop is noticed and restarted (WatchdogSec= in the units of
// packaging/systemd/). Each message may carry STATUS=, one human line `systemctl status` shows.
//
// No I/O of its own: the datagram is sent by the function it is given (src/capture/sd-notify.ts,
// wired by the cli), so the protocol is tested with a fake sender and fake timers. A failed send
// never stops sgfw: enforcing matters more than reporting it; the first failure is reported once.

/** Sends one notify datagram; throws when the socket cannot take it. */
export type NotifySend = (message: string) => void;

export interface ServiceNotifierOptions {
  send: NotifySend;
  /** WATCHDOG_USEC as systemd set it; undefined or '' when the unit has no WatchdogSec= */
  watchdogUsec?: string | undefined;
  /** WATCHDOG_PID as systemd set it: the watchdog is this pid's only (another's: no pings) */
  watchdogPid?: string | undefined;
  /** this process's pid (process.pid) */
  pid: number;
  /** CLOCK_MONOTONIC in microseconds, for RELOADING=1's MONOTONIC_USEC (systemd 253+ wants it) */
  monotonicUsec: () => bigint;
  /** one line for the log: a send failed (only the first), or WATCHDOG_USEC is not a number */
  warn: (line: string) => void;
}

/** The lines a mode sends at its steps; a NullNotifier does nothing (no NOTIFY_SOCKET). */
export interface ServiceNotify {
  /** READY=1: start done (again, after a reload) */
  ready(status: string): void;
  /** RELOADING=1, then `reload`, then READY=1 once it settles (resolved or rejected) */
  reloading(reload: () => unknown): void;
  /** STOPPING=1: the stop has begun (the clean-up follows) */
  stopping(status: string): void;
  /** stops the watchdog pings */
  close(): void;
}

export const NULL_NOTIFY: ServiceNotify = {
  ready() {},
  reloading(reload) {
    void reload();
  },
  stopping() {},
  close() {},
};

/** One STATUS= line: the protocol separates assignments with newlines, so none may be inside. */
function statusLine(status: string): string {
  return `STATUS=${status.replace(/\s*\n\s*/g, ' ')}`;
}

export class ServiceNotifier implements ServiceNotify {
  private readonly o: ServiceNotifierOptions;
  private watchdog: NodeJS.Timeout | null = null;
  private failed = false;
  /** reloads begun and not settled: READY=1 waits for the last */
  private pending = 0;
  private lastStatus = '';
  /** the watchdog ping period, ms; null without a watchdog for this pid */
  readonly watchdogEveryMs: number | null;
  /** datagrams sent, and those the socket refused */
  sent = 0;
  failures = 0;

  constructor(o: ServiceNotifierOptions) {
    this.o = o;
    this.watchdogEveryMs = this.watchdogPeriod();
    if (this.watchdogEveryMs !== null) {
      // From construction, not READY: systemd arms the watchdog when it starts the main process.
      this.watchdog = setInterval(() => this.send('WATCHDOG=1'), this.watchdogEveryMs);
      this.watchdog.unref();
    }
  }

  ready(status: string): void {
    this.lastStatus = status;
    this.send(`READY=1\n${statusLine(status)}`);
  }

  reloading(reload: () => unknown): void {
    this.pending++;
    this.send(`RELOADING=1\nMONOTONIC_USEC=${this.o.monotonicUsec()}\n${statusLine('reloading')}`);
    const settle = (): void => {
      if (--this.pending === 0) this.send(`READY=1\n${statusLine(this.lastStatus)}`);
    };
    let result: unknown;
    try {
      result = reload();
    } catch (e) {
      settle();
      throw e;
    }
    if (result instanceof Promise) result.then(settle, settle);
    else settle();
  }

  stopping(status: string): void {
    this.send(`STOPPING=1\n${statusLine(status)}`);
  }

  close(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private watchdogPeriod(): number | null {
    const { watchdogUsec, watchdogPid, pid } = this.o;
    if (watchdogUsec === undefined || watchdogUsec === '') return null;
    // systemd sets WATCHDOG_PID to the main pid; a child that inherited the variables stays quiet.
    if (watchdogPid !== undefined && watchdogPid !== '' && watchdogPid !== String(pid)) return null;
    const usec = /^\d+$/.test(watchdogUsec) ? Number(watchdogUsec) : NaN;
    if (!(usec > 0)) {
      this.o.warn(`WATCHDOG_USEC='${watchdogUsec}' is not a positive number of microseconds: no watchdog pings`);
      return null;
    }
    // Half the timeout, as sd_watchdog_enabled(3) advises; at least 1 ms.
    return Math.max(1, Math.floor(usec / 2000));
  }

  private send(message: string): void {
    try {
      this.o.send(message);
      this.sent++;
    } catch (e) {
      this.failures++;
      if (this.failed) return;
      this.failed = true;
      this.o.warn(`could not notify systemd (${(e as Error).message}); sgfw goes on, unnoticed by its service manager`);
    }
  }
}
