import { describe, expect, it } from 'vitest';
import { ConntrackTable, CT_ESTABLISHED, CT_MISS } from '../../src/conntrack/index.js';
import { AWS_DEFAULTS, packet, S } from './packets.js';

const ME = '10.0.0.5';
const HOST_B = '192.0.2.20';
const GRE = 47;
const ESP = 50;
const ETH0 = 0;

const gre = (src: string, dst: string) => packet({ src, dst, protocol: GRE });

function sent(): ConntrackTable {
  const ct = new ConntrackTable({ capacity: 16 });
  ct.track(ETH0, gre(ME, HOST_B), true, 0, AWS_DEFAULTS);
  return ct;
}

describe('the 600-second rule: other protocols are tracked by address pair and protocol number', () => {
  it('host B may start the same kind of traffic within 600 s of the original request', () => {
    expect(sent().lookup(ETH0, gre(HOST_B, ME), false, 600 * S)).toBe(CT_ESTABLISHED);
    expect(sent().lookup(ETH0, gre(HOST_B, ME), false, 600 * S + 1)).toBe(CT_MISS);
  });

  it('traffic either way restarts the 600 s', () => {
    const ct = sent();
    expect(ct.lookup(ETH0, gre(ME, HOST_B), true, 500 * S)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, gre(HOST_B, ME), false, 1000 * S)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, gre(HOST_B, ME), false, 1600 * S)).toBe(CT_ESTABLISHED);
    expect(ct.lookup(ETH0, gre(ME, HOST_B), true, 2200 * S + 1)).toBe(CT_MISS);
  });

  it('another protocol, or another host, is not covered', () => {
    const ct = sent();
    expect(ct.lookup(ETH0, packet({ src: HOST_B, dst: ME, protocol: ESP }), false, 1)).toBe(CT_MISS);
    expect(ct.lookup(ETH0, gre('192.0.2.21', ME), false, 1)).toBe(CT_MISS);
  });

  it('ports the decoder may report are ignored: only addresses and protocol count', () => {
    const ct = sent();
    expect(ct.lookup(ETH0, packet({ src: HOST_B, dst: ME, protocol: GRE, sport: 9, dport: 7 }), false, 1)).toBe(CT_ESTABLISHED);
  });

  it('protocol 1 over IPv6 is an "other" protocol, not ICMP', () => {
    const ct = new ConntrackTable({ capacity: 16 });
    ct.track(ETH0, packet({ src: '2001:db8::5', dst: '2001:db8::9', protocol: 1, icmpType: 3 }), true, 0, AWS_DEFAULTS);
    expect(ct.size).toBe(1);
    expect(ct.entriesOf(ETH0)[0].state).toBe('OTHER');
    expect(ct.lookup(ETH0, packet({ src: '2001:db8::9', dst: '2001:db8::5', protocol: 1 }), false, 599 * S)).toBe(CT_ESTABLISHED);
  });
});
