// nmap's grepable output as the end-to-end scans read it: listed ports, ports folded into
// "Ignored State", and a host that answered nothing.
import { describe, expect, it } from 'vitest';
import { openPorts, parseGrepable } from './nmap.js';

describe('reading nmap -oG output', () => {
  it('takes each listed port\'s state, and the ignored state for the ports nmap folded away', () => {
    const text = [
      '# Nmap 7.93 scan initiated',
      'Host: 10.0.1.10 ()\tStatus: Up',
      'Host: 10.0.1.10 ()\tPorts: 80/open/tcp//http///, 443/open/tcp//https///, 8081/closed/tcp//blackice-icecap///\tIgnored State: filtered (3)',
    ].join('\n');
    const states = parseGrepable(text, [22, 80, 443, 3306, 8080, 8081]);
    expect(Object.fromEntries(states)).toEqual({ 22: 'filtered', 80: 'open', 443: 'open', 3306: 'filtered', 8080: 'filtered', 8081: 'closed' });
    expect(openPorts(states)).toEqual([80, 443]);
  });

  it('reads a scan where every port was folded away', () => {
    const states = parseGrepable('Host: 10.0.2.10 ()\tPorts: \tIgnored State: filtered (2)\n', [22, 8080]);
    expect(Object.fromEntries(states)).toEqual({ 22: 'filtered', 8080: 'filtered' });
  });

  it('refuses a scan that listed no ports at all (the host timed out)', () => {
    expect(() => parseGrepable('Host: 10.0.3.10 ()\tStatus: Up\n', [22])).toThrow(/no Ports line/);
  });
});
