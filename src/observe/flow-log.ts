// VPC Flow Logs version 2, default format:
//   version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
// One record per interface, flow (5-tuple as seen on the wire) and action, as AWS aggregates
// them within a capture window. Times are Unix seconds. The account-id is per interface: AWS
// writes the account that owns the network interface (see flow-log-account.ts).

/** The first line of every flow-log file, as in AWS's delivery to S3 (Athena skips one header line). */
export const FLOW_LOG_HEADER =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

export interface FlowObservation {
  interfaceId: string;
  srcaddr: string;
  dstaddr: string;
  srcport: number;
  dstport: number;
  protocol: number;
  bytes: number;
  /** Unix seconds (fractional allowed) */
  time: number;
  accepted: boolean;
}

/** The account-id field of an interface's records. */
export type FlowLogAccount = (interfaceId: string) => string;

/** Whatever takes observations: an aggregator, or a FlowLogFile that windows them. */
export interface FlowSink {
  add(o: FlowObservation): void;
}

interface FlowRecord {
  interfaceId: string;
  srcaddr: string;
  dstaddr: string;
  srcport: number;
  dstport: number;
  protocol: number;
  packets: number;
  bytes: number;
  start: number;
  end: number;
  action: 'ACCEPT' | 'REJECT';
}

/** A NODATA or SKIPDATA record: only the interface and the times are known (AWS writes '-' for the rest). */
export function statusRecord(accountId: string, interfaceId: string, start: number, end: number, status: 'NODATA' | 'SKIPDATA'): string {
  return `2 ${accountId} ${interfaceId} - - - - - - - ${start} ${end} - ${status}`;
}

export class FlowLogAggregator implements FlowSink {
  private readonly records = new Map<string, FlowRecord>();
  /** interfaces whose flows did not fit under maxRecords: one SKIPDATA record each, over their times */
  private readonly skipped = new Map<string, { start: number; end: number }>();
  private readonly seen = new Set<string>();

  /** @param maxRecords bounds the memory one window takes (a scan makes a record per port) */
  constructor(
    private readonly accountOf: FlowLogAccount,
    private readonly maxRecords = Infinity,
  ) {}

  add(o: FlowObservation): void {
    const action = o.accepted ? 'ACCEPT' : 'REJECT';
    const key = `${o.interfaceId} ${o.srcaddr} ${o.dstaddr} ${o.srcport} ${o.dstport} ${o.protocol} ${action}`;
    const r = this.records.get(key);
    const t = Math.floor(o.time);
    if (r) {
      r.packets++;
      r.bytes += o.bytes;
      if (t < r.start) r.start = t;
      if (t > r.end) r.end = t;
      return;
    }
    this.seen.add(o.interfaceId);
    if (this.records.size >= this.maxRecords) {
      const s = this.skipped.get(o.interfaceId);
      if (!s) this.skipped.set(o.interfaceId, { start: t, end: t });
      else {
        if (t < s.start) s.start = t;
        if (t > s.end) s.end = t;
      }
      return;
    }
    this.records.set(key, {
      interfaceId: o.interfaceId,
      srcaddr: o.srcaddr,
      dstaddr: o.dstaddr,
      srcport: o.srcport,
      dstport: o.dstport,
      protocol: o.protocol,
      packets: 1,
      bytes: o.bytes,
      start: t,
      end: t,
      action,
    });
  }

  /** records held, not counting SKIPDATA */
  get size(): number {
    return this.records.size;
  }

  /** whether any traffic of the interface was seen (recorded or skipped) */
  sawInterface(interfaceId: string): boolean {
    return this.seen.has(interfaceId);
  }

  /** The records in first-seen order, one text line each, then one SKIPDATA line per interface that overflowed. */
  *lines(): Generator<string> {
    for (const r of this.records.values()) {
      yield [
        2,
        this.accountOf(r.interfaceId),
        r.interfaceId,
        r.srcaddr,
        r.dstaddr,
        r.srcport,
        r.dstport,
        r.protocol,
        r.packets,
        r.bytes,
        r.start,
        r.end,
        r.action,
        'OK',
      ].join(' ');
    }
    for (const [interfaceId, s] of this.skipped) yield statusRecord(this.accountOf(interfaceId), interfaceId, s.start, s.end, 'SKIPDATA');
  }
}
