// What the worker parity tests (host, inline, monitor: `--workers 2` reports as `--workers 1`) share:
// the traffic (16 peers, half of them allowed), a state with one UDP port open to a /28, a
// deterministic UDP sender and a listener (run with `node -e SCRIPT …` inside a namespace), IPv6
// off in the namespaces, and readers for a scrape and a flow log.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inNs, spawnInNs, waitFor } from '../e2e/host-mode/netns.js';
import { seedStateAt } from './seed-state.js';


export interface UdpParityTraffic {
  /** 16 addresses, .40–.55: enough for the kernel's hash to spread them over 2 workers */
  readonly peers: readonly string[];
  /** .32/28: the first 8 peers */
  readonly allowed: string;
  /** the port the rule opens to `allowed` */
  readonly open: number;
  /** a port no rule opens */
  readonly closed: number;
  /** datagrams from each peer to each port */
  readonly perPeer: number;
}

/** The parity tests' traffic on the /24 `net` (e.g. '203.0.113'), as UDP_SEND sends it. */
export function udpParityTraffic(net: string): UdpParityTraffic {
  return { peers: Array.from({ length: 16 }, (_, i) => `${net}.${40 + i}`), allowed: `${net}.32/28`, open: 5000, closed: 5001, perPeer: 3 };
}

/** Albert's state with its interface at `host` and one ingress rule: UDP `port` from `allowed`. Written to DIR/state.json. */
export function udpParityState(dir: string, host: string, port: number, allowed: string): string {
  const state = seedStateAt('albert', host);
  state.SecurityGroups[0].IpPermissions = [{ IpProtocol: 'udp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: allowed }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }];
  const file = join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

/** argv: HOST OPEN CLOSED N PEER…: from each peer address (source port 40000 + its index), N datagrams to each port. */
export const UDP_SEND = `
const dgram = require('dgram');
const [host, open, closed, n, ...peers] = process.argv.slice(1);
(async () => {
  for (const [i, from] of peers.entries()) {
    const s = dgram.createSocket('udp4');
    await new Promise((r) => s.bind(40000 + i, from, r));
    for (let k = 0; k < Number(n); k++) {
      for (const port of [open, closed]) await new Promise((r) => s.send(Buffer.alloc(20 + i), Number(port), host, r));
    }
    s.close();
  }
})();
`;

/** argv: ADDR PORT: a UDP socket that takes what comes (so no port-unreachable); prints 'listening'. */
const UDP_LISTEN = `require('dgram').createSocket('udp4').bind(Number(process.argv[2]), process.argv[1], () => console.log('listening')).on('message', () => {});`;

/** UDP_LISTEN at `addr`:`port` inside `ns`, added to `children` (for the test's afterAll to stop); resolves once it listens. */
export async function udpListener(ns: string, addr: string, port: number, children: ChildProcess[]): Promise<void> {
  const listener = spawnInNs(ns, process.execPath, ['-e', UDP_LISTEN, addr, String(port)]);
  children.push(listener);
  await waitFor(listener, 'stdout', 'listening', 5000);
}

/** IPv6 off in each namespace: no router solicitations or neighbour discovery among the frames counted. */
export function ipv6Off(...namespaces: string[]): void {
  for (const n of namespaces) inNs(n, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
}

/** The samples of the families named, as 'name{labels} value' lines, sorted; `keep` filters lines. */
export function metricSamples(text: string, names: readonly string[], keep: (line: string) => boolean = () => true): string[] {
  return text
    .split('\n')
    .filter((l) => names.some((n) => l.startsWith(`${n}{`) || l.startsWith(`${n} `)) && keep(l))
    .sort();
}

/** An unlabelled sample's value (NaN when absent). */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

/**
 * A flow log's records without their start and end times (version account interface src dst sport
 * dport proto packets bytes action status), sorted; a flow's records in several capture windows
 * added up and NODATA records left out, so that a run which crosses a window boundary (the windows
 * are aligned to the minute) reads as one that does not.
 */
export function flowRecords(file: string): string[] {
  const totals = new Map<string, [number, number]>();
  for (const line of readFileSync(file, 'utf8').split('\n').slice(1).filter(Boolean)) {
    const f = line.split(' ');
    if (f[13] === 'NODATA' || f[13] === 'SKIPDATA') continue;
    const key = [...f.slice(0, 8), ...f.slice(12)].join(' ');
    const sum = totals.get(key) ?? [0, 0];
    sum[0] += Number(f[8]);
    sum[1] += Number(f[9]);
    totals.set(key, sum);
  }
  return [...totals].map(([key, [packets, bytes]]) => {
    const f = key.split(' ');
    return [...f.slice(0, 8), packets, bytes, ...f.slice(8)].join(' ');
  }).sort();
}

/** GET http://AT/PATH from inside namespace `ns` (where the run's --metrics listens on its loopback): the body. */
export function scrapeIn(ns: string, at: string, path = '/metrics'): string {
  return inNs(ns, process.execPath, ['-e', `fetch('http://${at}${path}').then((r) => r.text()).then((t) => process.stdout.write(t))`]);
}

/** A scrape line that is not about ARP and other non-IP frames (how many a run sees depends on the neighbour caches). */
export const notArp = (line: string): boolean => !line.includes('reason="not-ip"');

/** IP packets judged, from a scrape (`sgfw_packets_total` summed, not-ip left out). */
export function judgedIp(text: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith('sgfw_packets_total{') && notArp(l))
    .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
}

/** Scrapes /metrics at `at` inside `ns` every 100 ms, 50 times at most, until `done` holds of it: the last scrape. */
export async function scrapeUntil(ns: string, at: string, done: (text: string) => boolean): Promise<string> {
  let text = '';
  for (let i = 0; i < 50; i++) {
    text = scrapeIn(ns, at);
    if (done(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return text;
}

/** The sgfw families a scrape declares, sorted, but for those only a run on workers has (`sgfw_workers`, `sgfw_worker_…`). */
export function familyNames(text: string): string[] {
  return [...new Set(text.split('\n').filter((l) => l.startsWith('# TYPE sgfw_') && !/ sgfw_worker(s|_)/.test(l)).map((l) => l.split(' ')[2]!))].sort();
}

/** Each worker's packets judged (`sgfw_worker_packets_total`), in the scrape's order. */
export function perWorkerPackets(text: string): number[] {
  return text.split('\n').filter((l) => l.startsWith('sgfw_worker_packets_total{')).map((l) => Number(l.split(' ')[1]));
}
