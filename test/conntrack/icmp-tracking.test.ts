import { describe, expect, it } from 'vitest';
import { ConntrackTable, CT_ESTABLISHED, CT_MISS, CT_RELATED } from '../../src/conntrack/index.js';
import { AWS_DEFAULTS, icmp, icmpError, S, tcp, SYN, udp } from './packets.js';

const ME = '10.0.0.5';
const HOME = '198.51.100.7';
const ROUTER = '10.0.0.1';
const ME6 = '2001:db8::5';
const HOME6 = '2001:db8:ffff::7';
const ETH0 = 0;

describe('ICMP ping is tracked by echo identifier (seed 001: the ping reply flows out as established)', () => {
  it('a ping from home: the reply with the same id passes, another id does not', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    expect(ct.lookup(ETH0, icmp(HOME, ME, 8, 77), false, 0)).toBe(CT_MISS);
    ct.track(ETH0, icmp(HOME, ME, 8, 77), false, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, icmp(ME, HOME, 0, 77), true, 1)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, icmp(ME, HOME, 0, 78), true, 1)).toBe(CT_MISS);
    // the next requests of the same ping keep passing
    expect(ct.lookup(ETH0, icmp(HOME, ME, 8, 77), false, 1000)).toBe(CT_ESTABLISHED);
  });

  it('a request the other way with the same id is a different flow', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(ETH0, icmp(HOME, ME, 8, 77), false, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, icmp(ME, HOME, 8, 77), true, 1)).toBe(CT_MISS);
    expect(ct.lookup(ETH0, icmp(HOME, ME, 0, 77), false, 1)).toBe(CT_MISS);
  });

  it('an echo entry lives 60 s after the last message', () => {
    const make = () => {
      const ct = new ConntrackTable({ capacity: 16 });
      ct.track(ETH0, icmp(ME, HOME, 8, 1), true, 0, AWS_DEFAULTS);
      return ct;
    };
    expect(make().lookup(ETH0, icmp(HOME, ME, 0, 1), false, 60 * S)).toBe(CT_ESTABLISHED);
    expect(make().lookup(ETH0, icmp(HOME, ME, 0, 1), false, 60 * S + 1)).toBe(CT_MISS);
  });

  it('ICMPv6 echo (128/129) works the same way', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(ETH0, icmp(ME6, HOME6, 128, 9), true, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, icmp(HOME6, ME6, 129, 9), false, 1)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, icmp(HOME6, ME6, 129, 10), false, 1)).toBe(CT_MISS);
  });

  it('timestamp requests (13) are answered by timestamp replies (14), not by echo replies', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(ETH0, icmp(ME, HOME, 13, 5), true, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, icmp(HOME, ME, 14, 5), false, 1)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, icmp(HOME, ME, 0, 5), false, 1)).toBe(CT_MISS);
  });

  it('an unsolicited reply, or a message with no identifier (router advertisement), opens nothing', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    expect(ct.track(ETH0, icmp(HOME, ME, 0, 3), false, 0, AWS_DEFAULTS)).toBe(true);
    expect(ct.track(ETH0, icmp(ROUTER, ME, 9), false, 0, AWS_DEFAULTS)).toBe(true);
    expect(ct.track(ETH0, icmp('fe80::1', ME6, 134), false, 0, AWS_DEFAULTS)).toBe(true);
    expect(ct.size).toBe(0);
    expect(ct.lookup(ETH0, icmp(ME, HOME, 8, 3), true, 1)).toBe(CT_MISS);
  });
});

describe('ICMP errors about a tracked flow are related traffic', () => {
  it('port unreachable quoting a tracked UDP datagram is RELATED, quoting another is not', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    const sent = udp(ME, 5000, HOME, 53);
    ct.track(ETH0, sent, true, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, icmpError(HOME, ME, 3, sent), false, 1)).toBe(CT_RELATED);
    expect(ct.lookup(ETH0, icmpError(HOME, ME, 3, udp(ME, 5001, HOME, 53)), false, 1)).toBe(CT_MISS);
  });

  it('time exceeded from a router quoting a tracked TCP SYN is RELATED; errors never create entries', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    const syn = tcp(ME, 40000, HOME, 443, SYN);
    ct.track(ETH0, syn, true, 0, AWS_DEFAULTS);
    const err = icmpError(ROUTER, ME, 11, syn);
    expect(ct.lookup(ETH0, err, false, 1)).toBe(CT_RELATED);
    expect(ct.track(ETH0, err, false, 1, AWS_DEFAULTS)).toBe(true);
    expect(ct.size).toBe(1);
  });

  it('an error quoting a tracked ping is RELATED', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    const ping = icmp(ME, HOME, 8, 42);
    ct.track(ETH0, ping, true, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, icmpError(ROUTER, ME, 3, ping), false, 1)).toBe(CT_RELATED);
    expect(ct.lookup(ETH0, icmpError(ROUTER, ME, 3, icmp(ME, HOME, 8, 43)), false, 1)).toBe(CT_MISS);
  });

  it('ICMPv6 packet too big (2) quoting a tracked flow is RELATED', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    const sent = tcp(ME6, 40000, HOME6, 443, SYN);
    ct.track(ETH0, sent, true, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, icmpError('2001:db8::1', ME6, 2, sent), false, 1)).toBe(CT_RELATED);
  });

  it('an error whose quote could not be decoded, or about an expired flow, is not RELATED', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    const sent = udp(ME, 5000, HOME, 53);
    ct.track(ETH0, sent, true, 0, AWS_DEFAULTS);
    const err = icmpError(HOME, ME, 3, sent);
    err.quoted.valid = false;
    expect(ct.lookup(ETH0, err, false, 1)).toBe(CT_MISS);
    expect(ct.lookup(ETH0, icmpError(HOME, ME, 3, sent), false, 30 * S + 1)).toBe(CT_MISS);
  });

  it('an error does not keep its flow alive', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    const sent = udp(ME, 5000, HOME, 53);
    ct.track(ETH0, sent, true, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, icmpError(HOME, ME, 3, sent), false, 29 * S)).toBe(CT_RELATED);
    expect(ct.lookup(ETH0, udp(HOME, 53, ME, 5000), false, 30 * S + 1)).toBe(CT_MISS);
  });
});
