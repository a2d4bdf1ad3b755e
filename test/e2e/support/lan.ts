// A LAN of network namespaces for end-to-end tests: every member namespace has one veth (`eth0`)
// whose other end is a port of a Linux bridge living in a namespace of its own, so no member sees
// another's traffic except through the wire, and the root namespace is never part of the network.
// Addresses only from the documentation and private ranges, routes on-link, no default route out.
import { sh, inNs } from '../host-mode/netns.js';

export interface LanMember {
  /** short name, part of the namespace name */
  name: string;
  /** addresses with their prefix length, e.g. '10.0.1.10/24', '2001:db8:1::10/64' */
  addresses: string[];
}

export interface Lan {
  /** the namespace of each member, by member name */
  readonly ns: Readonly<Record<string, string>>;
  /** the namespace holding the bridge */
  readonly bridgeNs: string;
  /** every namespace this LAN created, bridge last */
  readonly namespaces: readonly string[];
}

/** The member's interface name inside its namespace. */
export const LAN_DEV = 'eth0';

/**
 * Builds the LAN: namespaces `${prefix}-${tag}-${name}` and `${prefix}-${tag}-lan`. `onLink`: the
 * networks every member reaches directly over `eth0` (IPv4 and IPv6 CIDRs), so members in
 * different subnets talk without a router, as instances of one VPC do.
 */
export function createLan(prefix: string, tag: string, members: LanMember[], onLink: string[]): Lan {
  const ns: Record<string, string> = {};
  for (const m of members) ns[m.name] = `${prefix}-${tag}-${m.name}`;
  const lan: Lan = { ns, bridgeNs: `${prefix}-${tag}-lan`, namespaces: [...Object.values(ns), `${prefix}-${tag}-lan`] };
  destroyLan(lan);
  try {
    sh('ip', ['netns', 'add', lan.bridgeNs]);
    inNs(lan.bridgeNs, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(lan.bridgeNs, 'ip', ['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    inNs(lan.bridgeNs, 'ip', ['link', 'set', 'br0', 'up']);
    members.forEach((m, i) => {
      const host = ns[m.name]!;
      const port = `port${i}`;
      sh('ip', ['netns', 'add', host]);
      sh('ip', ['link', 'add', LAN_DEV, 'netns', host, 'type', 'veth', 'peer', 'name', port, 'netns', lan.bridgeNs]);
      inNs(lan.bridgeNs, 'ip', ['link', 'set', port, 'master', 'br0']);
      inNs(lan.bridgeNs, 'ip', ['link', 'set', port, 'up']);
      // Checksums are filled in on the wire, not left to an offload a userspace judge never sees.
      inNs(lan.bridgeNs, 'ethtool', ['-K', port, 'tx', 'off']);
      inNs(host, 'ethtool', ['-K', LAN_DEV, 'tx', 'off']);
      for (const a of m.addresses) {
        // nodad: an IPv6 address is usable at once instead of after duplicate detection.
        inNs(host, 'ip', a.includes(':') ? ['-6', 'addr', 'add', a, 'dev', LAN_DEV, 'nodad'] : ['addr', 'add', a, 'dev', LAN_DEV]);
      }
      inNs(host, 'ip', ['link', 'set', 'lo', 'up']);
      inNs(host, 'ip', ['link', 'set', LAN_DEV, 'up']);
      for (const net of onLink) {
        const family = net.includes(':') ? '-6' : '-4';
        // A member's own subnet already has its connected route.
        try {
          inNs(host, 'ip', [family, 'route', 'add', net, 'dev', LAN_DEV]);
        } catch (e) {
          if (!String((e as { stderr?: string }).stderr).includes('File exists')) throw e;
        }
      }
    });
  } catch (e) {
    destroyLan(lan);
    throw e;
  }
  return lan;
}

/** Deleting a namespace deletes its veth ends (and their peers), rules and queues with it. */
export function destroyLan(lan: Pick<Lan, 'namespaces'>): void {
  for (const name of lan.namespaces) {
    try {
      sh('ip', ['netns', 'del', name]);
    } catch {
      // not there: nothing to clean
    }
  }
}

/** The source address the member's kernel picks to reach `dst` (what the far end sees). */
export function sourceAddressFor(ns: string, dst: string): string {
  const out = inNs(ns, 'ip', ['-o', dst.includes(':') ? '-6' : '-4', 'route', 'get', dst]);
  const m = / src (\S+)/.exec(out);
  if (m === null) throw new Error(`no source address in '${out.trim()}'`);
  return m[1]!;
}
