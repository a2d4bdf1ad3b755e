// nmap's TCP connect scan from inside a namespace, bounded in time, read back from its grepable
// output: each scanned port's state ('open', 'closed', 'filtered').
import { execFile } from 'node:child_process';

export interface ScanOptions {
  /** nmap's --host-timeout, in seconds */
  hostTimeoutS?: number;
}

/** Scans `ports` of `target` from `ns` (-sT, no ping, no DNS, one retry). */
export function nmapTcp(ns: string, target: string, ports: readonly number[], o: ScanOptions = {}): Promise<Map<number, string>> {
  const args = ['netns', 'exec', ns, 'nmap', '-Pn', '-n', '-sT', '-p', ports.join(','), '--max-retries', '1'];
  // A dropped SYN answers nothing: short round-trip timeouts keep a scan of silent ports short.
  args.push('--initial-rtt-timeout', '300ms', '--max-rtt-timeout', '600ms', '--host-timeout', `${o.hostTimeoutS ?? 30}s`);
  if (target.includes(':')) args.push('-6');
  args.push('-oG', '-', target);
  return new Promise((resolve, reject) => {
    execFile('ip', args, { encoding: 'utf8', timeout: ((o.hostTimeoutS ?? 30) + 15) * 1000 }, (e, stdout, stderr) => {
      if (e) return reject(new Error(`nmap ${target} from ${ns}: ${e.message}\n${stderr}`));
      try {
        resolve(parseGrepable(stdout, ports));
      } catch (err) {
        reject(new Error(`nmap ${target} from ${ns}: ${(err as Error).message}\n${stdout}`));
      }
    });
  });
}

/**
 * `Host: … Ports: 80/open/tcp//http///, 22/filtered/tcp//ssh///	Ignored State: filtered (3)`: ports
 * nmap folded into "Ignored State" take that state. A host that timed out lists no ports: an error.
 */
export function parseGrepable(text: string, ports: readonly number[]): Map<number, string> {
  const line = text.split('\n').find((l) => l.startsWith('Host:') && (l.includes('Ports:') || l.includes('Ignored State:')));
  if (line === undefined) throw new Error('no Ports line (host timed out?)');
  const states = new Map<number, string>();
  const listed = /Ports: ([^\t]*)/.exec(line)?.[1] ?? '';
  for (const entry of listed.split(', ').filter(Boolean)) {
    const [port, state] = entry.split('/');
    states.set(Number(port), state!);
  }
  const ignored = /Ignored State: (\w+)/.exec(line);
  for (const p of ports) {
    if (states.has(p)) continue;
    if (ignored === null) throw new Error(`port ${p} missing from the scan`);
    states.set(p, ignored[1]!);
  }
  return states;
}

/** The ports in `states` whose state is 'open', ascending. */
export function openPorts(states: Map<number, string>): number[] {
  return [...states].filter(([, s]) => s === 'open').map(([p]) => p).sort((a, b) => a - b);
}
