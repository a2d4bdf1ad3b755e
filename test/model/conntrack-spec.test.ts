// EC2's ConnectionTrackingSpecification defaults: the one table of them (model/conntrack-spec.ts),
// which every interface's timeouts start from and the conntrack table applies.
import { describe, expect, it } from 'vitest';
import { CONNTRACK_DEFAULTS, parseConntrackSpec } from '../../src/model/conntrack-spec.js';

describe('conntrack defaults', () => {
  it('are AWS\'s: TCP established 5 days, UDP stream 180 s, UDP 30 s', () => {
    expect(CONNTRACK_DEFAULTS).toEqual({ tcpEstablished: 432000, udpStream: 180, udp: 30 });
  });

  it('an interface without a specification gets them; a partial one keeps the rest', () => {
    expect(parseConntrackSpec(undefined)).toEqual(CONNTRACK_DEFAULTS);
    expect(parseConntrackSpec({ UdpTimeout: 60 })).toEqual({ ...CONNTRACK_DEFAULTS, udp: 60 });
  });
});
