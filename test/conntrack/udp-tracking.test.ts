import { describe, expect, it } from 'vitest';
import { ConntrackTable, CT_ESTABLISHED, CT_MISS } from '../../src/conntrack/index.js';
import { AWS_DEFAULTS, S, udp } from './packets.js';

const ME = '10.0.0.5';
const DNS = '198.51.100.53';
const ETH0 = 0;

const query = () => udp(ME, 5353, DNS, 53);
const answer = () => udp(DNS, 53, ME, 5353);

function asked(timeouts = AWS_DEFAULTS): ConntrackTable {
  const ct = new ConntrackTable({ capacity: 16 });
  expect(ct.track(ETH0, query(), true, 0, timeouts)).toBe(true);
  return ct;
}

describe('a UDP flow seen one way, or in a single request-response, lives 30 s idle', () => {
  it('the answer within 30 s passes, one a millisecond later does not', () => {
    expect(asked().lookup(ETH0, answer(), false, 30 * S)).toBe(CT_ESTABLISHED);
    expect(asked().lookup(ETH0, answer(), false, 30 * S + 1)).toBe(CT_MISS);
  });

  it('more datagrams the same way keep it alive but stay on the 30 s timeout', () => {
    const ct = asked();
    expect(ct.lookup(ETH0, query(), true, 20 * S)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, query(), true, 40 * S)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, answer(), false, 70 * S + 1)).toBe(CT_MISS);
  });

  it('a single request-response is still on the 30 s timeout', () => {
    const ct = asked();
    ct.lookup(ETH0, answer(), false, 1 * S);
    expect(ct.entriesOf(ETH0)[0].state).toBe('UDP');
    expect(ct.lookup(ETH0, query(), true, 31 * S + 1)).toBe(CT_MISS);
  });

  it('UdpTimeout of 60 s is honoured', () => {
    expect(asked({ ...AWS_DEFAULTS, udp: 60 }).lookup(ETH0, answer(), false, 60 * S)).toBe(CT_ESTABLISHED);
  });
});

describe('a UDP flow with more than one request-response becomes a stream that lives 180 s idle', () => {
  function stream(timeouts = AWS_DEFAULTS): ConntrackTable {
    const ct = asked(timeouts);
    ct.lookup(ETH0, answer(), false, 1 * S);
    ct.lookup(ETH0, query(), true, 2 * S);
    expect(ct.entriesOf(ETH0)[0].state).toBe('UDP'); // the second request has no answer yet
    ct.lookup(ETH0, answer(), false, 3 * S);
    expect(ct.entriesOf(ETH0)[0].state).toBe('UDP_STREAM');
    return ct;
  }

  it('180 s after the second answer it still passes, a millisecond later it does not', () => {
    expect(stream().lookup(ETH0, query(), true, 183 * S)).toBe(CT_ESTABLISHED);
    expect(stream().lookup(ETH0, query(), true, 183 * S + 1)).toBe(CT_MISS);
  });

  it('UdpStreamTimeout of 60 s is honoured', () => {
    const t = { ...AWS_DEFAULTS, udpStream: 60 };
    expect(stream(t).lookup(ETH0, answer(), false, 63 * S)).toBe(CT_ESTABLISHED);
    expect(stream(t).lookup(ETH0, answer(), false, 63 * S + 1)).toBe(CT_MISS);
  });
});

describe('a UDP flow opened from outside is tracked the same way', () => {
  it('the instance answers a client that reached it', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(ETH0, udp(DNS, 40000, ME, 123), false, 0, AWS_DEFAULTS);
    expect(ct.lookup(ETH0, udp(ME, 123, DNS, 40000), true, 1)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, udp(ME, 123, DNS, 40001), true, 1)).toBe(CT_MISS);
    expect(ct.entriesOf(ETH0)[0].originatorPort).toBe(40000);
  });
});
