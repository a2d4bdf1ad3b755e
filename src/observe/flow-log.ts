// VPC Flow Logs version 2, default format:
//   version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
// One record per interface, flow (5-tuple as seen on the wire) and action, as AWS aggregates
// them within a capture window. Times are Unix seconds.

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

export class FlowLogAggregator {
  private readonly records = new Map<string, FlowRecord>();

  constructor(private readonly accountId: string) {}

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

  get size(): number {
    return this.records.size;
  }

  /** The records in first-seen order, one text line each. */
  *lines(): Generator<string> {
    for (const r of this.records.values()) {
      yield [
        2,
        this.accountId,
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
  }
}
