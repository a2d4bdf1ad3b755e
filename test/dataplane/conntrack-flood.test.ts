// A flood through the whole pipeline, beside real traffic that must keep working: frames built as
// they arrive, judged by a Dataplane whose table holds 4,096 flows, the flood 5 tables' worth.
import { describe, expect, it } from 'vitest';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { REASON_NAMES } from '../../src/dataplane/verdict.js';
import { buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { StaticModel } from '../support/static-model.js';

const WORLD4 = { kind: 'cidr4', cidr: '0.0.0.0/0' } as const;
const HOST = '10.0.0.20';
const RESOLVER = '10.0.0.2';
const SERVER = '93.184.216.34';
const CAPACITY = 4096;

function judge(dp: Dataplane, spec: FrameSpec, atMs: number): string {
  const frame = buildFrame(spec);
  return REASON_NAMES[dp.judge(LinkType.ETHERNET, frame, 0, frame.length, atMs)];
}

const tcp = (src: string, dst: string, sport: number, dport: number, flags: string): FrameSpec => ({ src, dst, proto: 'tcp', sport, dport, flags });
const udp = (src: string, dst: string, sport: number, dport: number): FrameSpec => ({ src, dst, proto: 'udp', sport, dport });

describe('a SYN flood from forged sources through the dataplane', () => {
  it('leaves the host an established connection, a new one and a DNS lookup, all judged `tracked`', () => {
    // web server: port 80 open to the world; out only HTTPS and DNS to its resolver (so all is tracked)
    const model = new StaticModel();
    model.setGroup('sg-web', [
      { protocol: 6, fromPort: 80, toPort: 80, peer: WORLD4 },
      { egress: true, protocol: 6, fromPort: 443, toPort: 443, peer: WORLD4 },
      { egress: true, protocol: 17, fromPort: 53, toPort: 53, peer: { kind: 'cidr4', cidr: `${RESOLVER}/32` } },
    ]);
    model.setInterface('eni-1', ['sg-web'], [HOST]);
    const dp = new Dataplane(model, { conntrackCapacity: CAPACITY });
    let now = 0;
    expect(judge(dp, tcp(HOST, SERVER, 40000, 443, 'S'), now)).toBe('rule');
    expect(judge(dp, tcp(SERVER, HOST, 443, 40000, 'SA'), now)).toBe('tracked');
    expect(judge(dp, tcp(HOST, SERVER, 40000, 443, 'A'), now)).toBe('tracked');

    let sent = 0;
    const flood = (n: number): void => {
      for (let k = 0; k < n; k++, sent++) {
        now += 0.05;
        const forged = `198.18.${(sent >>> 8) & 0xff}.${sent & 0xff}`;
        const sport = 1024 + (sent % 50000);
        expect(judge(dp, tcp(forged, HOST, sport, 80, 'S'), now)).toBe('rule');
        // the host answers every SYN: half-open, answered but never assured
        expect(judge(dp, tcp(HOST, forged, 80, sport, 'SA'), now)).toBe('tracked');
        if (sent % 256 === 0) {
          expect(judge(dp, tcp(SERVER, HOST, 443, 40000, 'PA'), now)).toBe('tracked');
          expect(judge(dp, tcp(HOST, SERVER, 40000, 443, 'A'), now)).toBe('tracked');
        }
      }
    };
    flood(2 * CAPACITY);
    expect(judge(dp, udp(HOST, RESOLVER, 5353, 53), now)).toBe('rule');
    expect(judge(dp, tcp(HOST, SERVER, 40001, 443, 'S'), now)).toBe('rule');
    flood(CAPACITY);
    expect(judge(dp, udp(RESOLVER, HOST, 53, 5353), now)).toBe('tracked');
    expect(judge(dp, tcp(SERVER, HOST, 443, 40001, 'SA'), now)).toBe('tracked');
    expect(judge(dp, tcp(HOST, SERVER, 40001, 443, 'A'), now)).toBe('tracked');
    flood(2 * CAPACITY);
    expect(judge(dp, tcp(SERVER, HOST, 443, 40001, 'PA'), now)).toBe('tracked');
    expect(judge(dp, tcp(SERVER, HOST, 443, 40000, 'PA'), now)).toBe('tracked');

    const ct = dp.conntrack;
    expect(ct.insertFailures).toBe(0);
    expect(ct.evictedUnanswered).toBeGreaterThan(4 * CAPACITY);
    // nothing unanswered lived past 10 s (the flood took 1 s): every flood entry made room by eviction
    expect(ct.earlyExpired).toBe(0);
  });
});
