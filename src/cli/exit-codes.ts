// sysexits-style codes, so scripts can tell a refused operation from a mistyped command line.
export const ExitCode = {
  ok: 0,
  /** the operation ran and failed, e.g. a replay timeline call EC2 refused */
  failed: 1,
  /** bad usage or bad input: unknown command or flag, unreadable or invalid state/capture file */
  usage: 2,
  /** `sgfw status`: nothing is running there (firewall-cmd --state says the same with 252) */
  notRunning: 252,
  /** a bug in sgfw (EX_SOFTWARE) */
  internal: 70,
} as const;
