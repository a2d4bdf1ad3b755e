// The connection-tracking seed rules that live in conntrack/ as named functions and constants:
// the ICMP kinds and the 600-second rule (seed 001), which the table, the dataplane and explain read.
import { describe, expect, it } from 'vitest';
import { echoRequestType, icmpKind, IcmpKind, isIcmpProtocol, isNeighbourDiscoveryType } from '../../src/conntrack/icmp-kinds.js';
import { ICMP_QUERY_MS, OTHER_PROTOCOL_MS, portlessTimeoutMs } from '../../src/conntrack/timeouts.js';

describe('ICMP kinds', () => {
  it('IPv4 (RFC 792): echo and the other queries pair a request with a reply; errors quote a packet', () => {
    const kinds = Object.fromEntries([0, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18].map((t) => [t, icmpKind(4, t)]));
    expect(kinds).toEqual({
      0: IcmpKind.REPLY,
      3: IcmpKind.ERROR,
      4: IcmpKind.ERROR,
      5: IcmpKind.ERROR,
      8: IcmpKind.REQUEST,
      9: IcmpKind.UNPAIRED, // router advertisement
      10: IcmpKind.UNPAIRED, // router solicitation
      11: IcmpKind.ERROR,
      12: IcmpKind.ERROR,
      13: IcmpKind.REQUEST,
      14: IcmpKind.REPLY,
      15: IcmpKind.REQUEST,
      16: IcmpKind.REPLY,
      17: IcmpKind.REQUEST,
      18: IcmpKind.REPLY,
    });
  });

  it('IPv6 (RFC 4443): types 1-4 are errors, 128/129 echo, neighbour discovery pairs nothing', () => {
    expect([1, 2, 3, 4].map((t) => icmpKind(6, t))).toEqual([IcmpKind.ERROR, IcmpKind.ERROR, IcmpKind.ERROR, IcmpKind.ERROR]);
    expect([128, 129, 133, 135, 136].map((t) => icmpKind(6, t))).toEqual([
      IcmpKind.REQUEST,
      IcmpKind.REPLY,
      IcmpKind.UNPAIRED,
      IcmpKind.UNPAIRED,
      IcmpKind.UNPAIRED,
    ]);
  });

  it('router and neighbour discovery are ICMPv6 133-137 (RFC 4861)', () => {
    expect([132, 133, 135, 137, 138].map(isNeighbourDiscoveryType)).toEqual([false, true, true, true, false]);
  });

  it('the echo request and the ICMP protocol of each family', () => {
    expect([echoRequestType(4), echoRequestType(6)]).toEqual([8, 128]);
    expect([isIcmpProtocol(4, 1), isIcmpProtocol(6, 58), isIcmpProtocol(6, 1), isIcmpProtocol(4, 58)]).toEqual([true, true, false, false]);
  });
});

describe('timeouts of flows without ports', () => {
  it('"within 600 seconds of the original request or response": protocols other than TCP, UDP and ICMP', () => {
    expect(OTHER_PROTOCOL_MS).toBe(600_000);
    expect([portlessTimeoutMs(4, 47), portlessTimeoutMs(6, 50), portlessTimeoutMs(6, 1)]).toEqual([600_000, 600_000, 600_000]);
  });

  it('ICMP queries of the family keep their own timeout', () => {
    expect([portlessTimeoutMs(4, 1), portlessTimeoutMs(6, 58)]).toEqual([ICMP_QUERY_MS, ICMP_QUERY_MS]);
  });
});
