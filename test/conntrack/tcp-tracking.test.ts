import { describe, expect, it } from 'vitest';
import { ConntrackTable, CT_ESTABLISHED, CT_MISS } from '../../src/conntrack/index.js';
import { ACK, AWS_DEFAULTS, FIN, PSH, RST, S, SYN, tcp } from './packets.js';

const ME = '10.0.0.5';
const PEER = '203.0.113.1';
const ETH0 = 0;

function opened(flags: number = SYN): ConntrackTable {
  const ct = new ConntrackTable({ capacity: 64 });
  expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, flags), false, 0)).toBe(CT_MISS);
  expect(ct.track(ETH0, tcp(PEER, 40000, ME, 22, flags), false, 0, AWS_DEFAULTS)).toBe(true);
  return ct;
}

describe('a TCP connection the rules let in is tracked in both directions', () => {
  it('the SYN-ACK, the ACK and the data pass as established traffic', () => {
    const ct = opened();
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, SYN | ACK), true, 10)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 20)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, ACK | PSH), true, 30)).toBe(CT_ESTABLISHED);
    expect(ct.entriesOf(ETH0)[0].state).toBe('ESTABLISHED');
    expect(ct.size).toBe(1);
  });

  it('another port pair of the same hosts is another flow', () => {
    const ct = opened();
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40001, SYN | ACK), true, 10)).toBe(CT_MISS);
    expect(ct.lookup(ETH0, tcp(ME, 23, PEER, 40000, SYN | ACK), true, 10)).toBe(CT_MISS);
  });

  it('records who opened the connection', () => {
    const ct = opened();
    const [e] = ct.entriesOf(ETH0);
    expect(e.originatorPort).toBe(40000);
    expect(e.responderPort).toBe(22);
  });
});

describe('a half-open TCP connection times out after 120 s (SYN_SENT) or 60 s (SYN_RECV)', () => {
  it('SYN_SENT lives 120 s after the last SYN', () => {
    const ct = opened();
    expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, SYN), false, 100 * S)).toBe(CT_ESTABLISHED); // retransmitted SYN
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, SYN | ACK), true, 220 * S)).toBe(CT_ESTABLISHED);
    const late = opened();
    expect(late.lookup(ETH0, tcp(ME, 22, PEER, 40000, SYN | ACK), true, 120 * S + 1)).toBe(CT_MISS);
  });

  it('SYN_RECV lives 60 s after the SYN-ACK', () => {
    const ct = opened();
    ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, SYN | ACK), true, 0);
    expect(ct.entriesOf(ETH0)[0].state).toBe('SYN_RECV');
    expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 60 * S)).toBe(CT_ESTABLISHED);
    const late = opened();
    late.lookup(ETH0, tcp(ME, 22, PEER, 40000, SYN | ACK), true, 0);
    expect(late.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 60 * S + 1)).toBe(CT_MISS);
  });
});

describe("an established TCP connection idles up to the interface's tcpEstablished timeout", () => {
  function established(timeouts = AWS_DEFAULTS): ConntrackTable {
    const ct = new ConntrackTable({ capacity: 64 });
    ct.track(ETH0, tcp(PEER, 40000, ME, 22, SYN), false, 0, timeouts);
    ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, SYN | ACK), true, 0);
    ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 0);
    return ct;
  }

  it('AWS default: 432000 s (5 days)', () => {
    expect(established().lookup(ETH0, tcp(ME, 22, PEER, 40000, ACK), true, 432000 * S)).toBe(CT_ESTABLISHED);
    expect(established().lookup(ETH0, tcp(ME, 22, PEER, 40000, ACK), true, 432000 * S + 1)).toBe(CT_MISS);
  });

  it('a shorter TcpEstablishedTimeout of 60 s', () => {
    const t = { ...AWS_DEFAULTS, tcpEstablished: 60 };
    const ct = established(t);
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, ACK), true, 60 * S)).toBe(CT_ESTABLISHED);
    // traffic either way restarts the idle timer
    expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 119 * S)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, ACK), true, 179 * S + 1)).toBe(CT_MISS);
  });
});

describe('a TCP connection closes with FIN or RST', () => {
  function established(): ConntrackTable {
    const ct = opened();
    ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, SYN | ACK), true, 0);
    ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 0);
    return ct;
  }

  it('after a RST the flow passes for 10 s more, then is gone', () => {
    const ct = established();
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, RST), true, 1000)).toBe(CT_ESTABLISHED);
    expect(ct.entriesOf(ETH0)[0].state).toBe('CLOSED');
    expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 11 * S)).toBe(CT_ESTABLISHED);
    const ct2 = established();
    ct2.lookup(ETH0, tcp(PEER, 40000, ME, 22, RST | ACK), false, 1000);
    expect(ct2.lookup(ETH0, tcp(ME, 22, PEER, 40000, ACK), true, 11 * S + 1)).toBe(CT_MISS);
  });

  it('FIN, FIN, ACK: FIN_WAIT, CLOSING, TIME_WAIT, gone 120 s after the last ACK', () => {
    const ct = established();
    ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, FIN | ACK), false, 0);
    expect(ct.entriesOf(ETH0)[0].state).toBe('FIN_WAIT');
    // half-closed: the server may still send for up to 120 s idle
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, ACK | PSH), true, 120 * S)).toBe(CT_ESTABLISHED);
    ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, FIN | ACK), true, 121 * S);
    expect(ct.entriesOf(ETH0)[0].state).toBe('CLOSING');
    ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 122 * S);
    expect(ct.entriesOf(ETH0)[0].state).toBe('TIME_WAIT');
    expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 242 * S)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 362 * S + 1)).toBe(CT_MISS);
  });

  it('a new SYN on the same ports after the close starts a new connection opened by its sender', () => {
    const ct = established();
    ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, RST), true, 0);
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, SYN), true, 1000)).toBe(CT_ESTABLISHED);
    const [e] = ct.entriesOf(ETH0);
    expect(e.state).toBe('SYN_SENT');
    expect(e.originatorPort).toBe(22);
    expect(e.seenReply).toBe(false);
  });
});

describe('a TCP packet that is not a SYN starts tracking mid-stream (loose pickup)', () => {
  it('an ACK the rules allow creates an established entry; a RST creates none', () => {
    const ct = opened(ACK);
    expect(ct.entriesOf(ETH0)[0].state).toBe('ESTABLISHED');
    expect(ct.lookup(ETH0, tcp(ME, 22, PEER, 40000, ACK), true, 5 * S)).toBe(CT_ESTABLISHED);
    const rst = new ConntrackTable({ capacity: 4 });
    expect(rst.track(ETH0, tcp(PEER, 40000, ME, 22, RST), false, 0, AWS_DEFAULTS)).toBe(true);
    expect(rst.size).toBe(0);
  });

  it('a SYN-ACK seen first makes its receiver the originator', () => {
    const ct = new ConntrackTable({ capacity: 4 });
    ct.track(ETH0, tcp(ME, 22, PEER, 40000, SYN | ACK), true, 0, AWS_DEFAULTS);
    const [e] = ct.entriesOf(ETH0);
    expect(e.state).toBe('SYN_RECV');
    expect(e.originatorPort).toBe(40000);
    expect(ct.lookup(ETH0, tcp(PEER, 40000, ME, 22, ACK), false, 1)).toBe(CT_ESTABLISHED);
    expect(ct.entriesOf(ETH0)[0].state).toBe('ESTABLISHED');
  });
});
