// Floods against a small table (thousands of entries stand for the millions of a real one): the
// unanswered go first, a heavy source replaces only its own, the managed side's pending queries
// outlast a forged flood, no interface keeps more than its share while another needs room, and
// each of these is counted. Time is the table's clock, advanced by hand.
import { describe, expect, it } from 'vitest';
import { ConntrackTable, CT_ESTABLISHED, CT_MISS, UNANSWERED_UNDER_PRESSURE_MS } from '../../src/conntrack/index.js';
import { ACK, AWS_DEFAULTS, S, SYN, tcp, udp } from './packets.js';

const ME = '10.0.0.5';
const RESOLVER = '10.0.0.2';
const SERVER = '93.184.216.34';
const ATTACKER = '198.51.100.66';
const CAPACITY = 4096;

/** A forged source address, one per flood packet. */
function forged(k: number): string {
  return `198.18.${(k >>> 8) & 0xff}.${k & 0xff}`;
}

/** A connection from ME to SERVER:443 through its handshake: assured. */
function connect(ct: ConntrackTable, port: number, nowMs: number): void {
  expect(ct.lookup(0, tcp(ME, port, SERVER, 443, SYN), true, nowMs)).toBe(CT_MISS);
  expect(ct.track(0, tcp(ME, port, SERVER, 443, SYN), true, nowMs, AWS_DEFAULTS)).toBe(true);
  expect(ct.lookup(0, tcp(SERVER, 443, ME, port, SYN | ACK), false, nowMs)).toBe(CT_ESTABLISHED);
  expect(ct.lookup(0, tcp(ME, port, SERVER, 443, ACK), true, nowMs)).toBe(CT_ESTABLISHED);
}

describe('a SYN flood from forged sources', () => {
  it('leaves an established connection, a connection opened during it and a pending DNS query working', () => {
    const ct = new ConntrackTable({ capacity: CAPACITY, seed: 1 });
    let now = 0;
    connect(ct, 40000, now);
    let sent = 0;
    const flood = (n: number): void => {
      for (let k = 0; k < n; k++, sent++) {
        now += 0.1;
        // a SYN to ME's open port 80, answered by ME's SYN-ACK: SYN_RECV, never assured
        ct.track(0, tcp(forged(sent), 1024 + (sent % 50000), ME, 80, SYN), false, now, AWS_DEFAULTS);
        ct.lookup(0, tcp(ME, 80, forged(sent), 1024 + (sent % 50000), SYN | ACK), true, now);
        if (sent % 100 === 0) {
          expect(ct.lookup(0, tcp(SERVER, 443, ME, 40000, ACK), false, now)).toBe(CT_ESTABLISHED);
          expect(ct.lookup(0, tcp(ME, 40000, SERVER, 443, ACK), true, now)).toBe(CT_ESTABLISHED);
        }
      }
    };
    flood(2 * CAPACITY);
    // mid-flood: ME resolves a name and opens another connection
    expect(ct.track(0, udp(ME, 5353, RESOLVER, 53), true, now, AWS_DEFAULTS)).toBe(true);
    expect(ct.track(0, tcp(ME, 40001, SERVER, 443, SYN), true, now, AWS_DEFAULTS)).toBe(true);
    flood(CAPACITY);
    expect(ct.lookup(0, udp(RESOLVER, 53, ME, 5353), false, now)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(0, tcp(SERVER, 443, ME, 40001, SYN | ACK), false, now)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(0, tcp(ME, 40001, SERVER, 443, ACK), true, now)).toBe(CT_ESTABLISHED);
    flood(CAPACITY);
    expect(ct.lookup(0, tcp(SERVER, 443, ME, 40001, ACK), false, now)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(0, tcp(SERVER, 443, ME, 40000, ACK), false, now)).toBe(CT_ESTABLISHED);

    expect(ct.insertFailures).toBe(0);
    expect(ct.evictedUnanswered).toBeGreaterThan(3 * CAPACITY);
    expect(ct.evictions).toBe(ct.evictedUnanswered);
    expect(ct.evictedOverShare).toBe(0);
    expect(ct.size).toBe(CAPACITY);
  });
});

describe('a flood of unanswered UDP from one source', () => {
  it('replaces only its own entries: a pending DNS query from the managed host still gets its reply', () => {
    const ct = new ConntrackTable({ capacity: CAPACITY, seed: 2 });
    let now = 0;
    let sent = 0;
    const flood = (n: number): void => {
      for (let k = 0; k < n; k++, sent++) {
        now += 0.1;
        ct.track(0, udp(ATTACKER, 1024 + (sent % 60000), ME, 9999 - Math.floor(sent / 60000)), false, now, AWS_DEFAULTS);
      }
    };
    flood(CAPACITY);
    // the query goes out while the table is full of the flood; the flood goes on, 3 tables' worth
    expect(ct.track(0, udp(ME, 5353, RESOLVER, 53), true, now, AWS_DEFAULTS)).toBe(true);
    flood(3 * CAPACITY);
    expect(ct.lookup(0, udp(RESOLVER, 53, ME, 5353), false, now)).toBe(CT_ESTABLISHED);
    expect(ct.evictedUnanswered).toBeGreaterThanOrEqual(3 * CAPACITY);
    expect(ct.insertFailures).toBe(0);
  });

  it('a new flow from the flooding source evicts nothing of a lighter source: it goes untracked instead', () => {
    const ct = new ConntrackTable({ capacity: 64, seed: 3 });
    // 8 pending queries of ME, then the attacker fills the rest
    for (let port = 1; port <= 8; port++) ct.track(0, udp(ME, port, RESOLVER, 53), true, 0, AWS_DEFAULTS);
    for (let port = 1; port <= 56; port++) ct.track(0, udp(ATTACKER, port, ME, 9999), false, 1, AWS_DEFAULTS);
    // answer the attacker's, so none of its own are left to replace
    for (let port = 1; port <= 56; port++) ct.lookup(0, udp(ME, 9999, ATTACKER, port), true, 2);
    // now a fresh unanswered flood: its source is light again, but its entries weigh the same as ME's
    for (let port = 100; port < 200; port++) ct.track(0, udp(ATTACKER, port, ME, 9999), false, 3, AWS_DEFAULTS);
    // opened from outside, it could not evict ME's outgoing queries
    for (let port = 1; port <= 8; port++) expect(ct.lookup(0, udp(RESOLVER, 53, ME, port), false, 4)).toBe(CT_ESTABLISHED);
    expect(ct.insertFailures).toBeGreaterThan(0);
  });
});

describe('an entry is assured once answered, and a TCP one once its handshake is done', () => {
  it('a SYN answered by a SYN-ACK only is evicted before an established connection', () => {
    const ct = new ConntrackTable({ capacity: 2 });
    connect(ct, 40000, 0);
    ct.track(0, tcp(forged(1), 5000, ME, 80, SYN), false, 0, AWS_DEFAULTS);
    ct.lookup(0, tcp(ME, 80, forged(1), 5000, SYN | ACK), true, 0);
    expect(ct.entriesOf(0).map((e) => [e.state, e.seenReply, e.assured])).toEqual(
      expect.arrayContaining([
        ['ESTABLISHED', true, true],
        ['SYN_RECV', true, false],
      ]),
    );
    expect(ct.track(0, udp(ME, 5353, RESOLVER, 53), true, 1, AWS_DEFAULTS)).toBe(true);
    expect(ct.lookup(0, tcp(ME, 80, forged(1), 5000, SYN | ACK), true, 2)).toBe(CT_MISS);
    expect(ct.lookup(0, tcp(SERVER, 443, ME, 40000, ACK), false, 2)).toBe(CT_ESTABLISHED);
    expect(ct.evictedUnanswered).toBe(1);
  });
});

describe('under pressure (90% full) unanswered entries get 10 seconds', () => {
  it('cuts the timeout of unanswered entries only, restores it once they are answered, and counts their expiry', () => {
    const ct = new ConntrackTable({ capacity: 100 });
    // 88 answered flows: below 90, a new unanswered flow keeps its 30 s
    for (let port = 1; port <= 88; port++) {
      ct.track(0, udp(ME, port, RESOLVER, 53), true, 0, AWS_DEFAULTS);
      ct.lookup(0, udp(RESOLVER, 53, ME, port), false, 0);
    }
    ct.track(0, udp(ME, 1000, SERVER, 53), true, 0, AWS_DEFAULTS); // 89: not under pressure
    ct.track(0, udp(ME, 1001, SERVER, 53), true, 0, AWS_DEFAULTS); // 90: under pressure
    ct.track(0, udp(ME, 1002, SERVER, 53), true, 0, AWS_DEFAULTS); // 91
    const early = (port: number) => ct.entriesOf(0).find((e) => e.originatorPort === port)!;
    expect(early(1000).earlyTimeout).toBe(false);
    expect(early(1001).earlyTimeout).toBe(true);
    expect(early(1001).expiresMs).toBe(UNANSWERED_UNDER_PRESSURE_MS);
    // the answer makes it assured and gives back its full timeout
    expect(ct.lookup(0, udp(SERVER, 53, ME, 1002), false, 5 * S)).toBe(CT_ESTABLISHED);
    expect(early(1002).earlyTimeout).toBe(false);
    expect(early(1002).expiresMs).toBe(5 * S + 30 * S);
    // an answered flow refreshed under pressure keeps its own timeout
    expect(ct.lookup(0, udp(ME, 1, RESOLVER, 53), true, 5 * S)).toBe(CT_ESTABLISHED);
    expect(early(1).expiresMs).toBe(5 * S + 30 * S);
    expect(ct.lookup(0, udp(SERVER, 53, ME, 1001), false, 10 * S + 1)).toBe(CT_MISS);
    expect(ct.lookup(0, udp(SERVER, 53, ME, 1000), false, 10 * S + 1)).toBe(CT_ESTABLISHED);
    expect(ct.earlyExpired).toBe(1);
    expect(ct.expired).toBe(1);
  });
});

describe('each interface has a share of a full table', () => {
  it('an interface that filled the table with answered flows gives way to another, down to its share', () => {
    const ct = new ConntrackTable({ capacity: 100 });
    for (let port = 1; port <= 100; port++) {
      ct.track(0, udp(ME, port, RESOLVER, 53), true, port, AWS_DEFAULTS);
      ct.lookup(0, udp(RESOLVER, 53, ME, port), false, port);
    }
    // interface 1 needs room: interface 0's least recently seen answered flows make it, 50 of them
    for (let port = 1; port <= 60; port++) expect(ct.track(1, udp('10.0.0.6', port, RESOLVER, 53), true, 200, AWS_DEFAULTS)).toBe(true);
    expect(ct.evictedOverShare).toBe(50);
    // past its share interface 1 replaces its own unanswered flows
    expect(ct.evictedUnanswered).toBe(10);
    expect(ct.entriesOf(0).length).toBe(50);
    expect(ct.entriesOf(1).length).toBe(50);
    // interface 0, at its share with nothing unanswered to replace, is refused and it is counted
    expect(ct.track(0, udp(ME, 500, RESOLVER, 53), true, 201, AWS_DEFAULTS)).toBe(false);
    expect(ct.shareRefusals).toBe(1);
    expect(ct.insertFailures).toBe(1);
    // the flows interface 0 kept are its most recent ones
    expect(ct.lookup(0, udp(RESOLVER, 53, ME, 100), false, 202)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(0, udp(RESOLVER, 53, ME, 1), false, 202)).toBe(CT_MISS);
  });

  it("a flooded interface over its share cannot evict another interface's pending flows, however old", () => {
    const ct = new ConntrackTable({ capacity: 256, seed: 4 });
    // interface 1's pending inbound flows, from before the flood
    for (let port = 1; port <= 20; port++) ct.track(1, udp(forged(60000 + port), 5000, '10.0.0.6', 7000), false, 0, AWS_DEFAULTS);
    // a flood from forged sources on interface 0
    for (let k = 0; k < 2000; k++) ct.track(0, udp(forged(k), 5000, ME, 7000), false, 1 + k * 0.1, AWS_DEFAULTS);
    for (let port = 1; port <= 20; port++) expect(ct.lookup(1, udp('10.0.0.6', 7000, forged(60000 + port), 5000), true, 300)).toBe(CT_ESTABLISHED);
    expect(ct.evictedOverShare).toBe(0);
    expect(ct.evictedUnanswered).toBeGreaterThan(1500);
  });
});
