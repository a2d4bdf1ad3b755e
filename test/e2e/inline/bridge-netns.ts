// Three namespaces for inline mode: outside host ⇄ veth ⇄ [middle: sgfw, two interfaces, no IP
// addresses] ⇄ veth ⇄ inside host. Both hosts share one subnet, so everything between them (ARP
// included) has to cross the bridge. Documentation and private addresses only, no default route.
import { inNs, sh } from '../host-mode/netns.js';

export interface BridgeNet {
  outside: string;
  middle: string;
  inside: string;
  /** the middle namespace's interfaces, as --outside and --inside */
  middleOutside: string;
  middleInside: string;
  /** the hosts' interfaces, in `outside` and `inside` */
  hostOutside: string;
  hostInside: string;
  /** the middle namespace is another net's (createBridgeNet's `middle`): destroyBridgeNet leaves it */
  sharedMiddle?: boolean;
}

/**
 * The hosts' offloads: `off` (the default) full checksums and wire-sized frames on every veth;
 * `defaults` as veth comes (TSO, GSO and checksum offload on the hosts: they send 64 KB TCP
 * super-frames with checksums left to complete); `gro` the hosts segment and checksum nothing
 * themselves beyond checksum offload, and the bridge's veths merge what they receive (GRO), as a NIC
 * with its defaults would.
 */
export type HostOffloads = 'off' | 'defaults' | 'gro';

/**
 * `prefix` (default `sgin`) + tag; the outside host gets every `outsideAddrs`, the inside host
 * `insideAddr`, all /24. `middle`: another net's middle namespace, which gets this net's two
 * interfaces too (several inline instances on one box).
 */
export function createBridgeNet(tag: string, insideAddr: string, outsideAddrs: readonly string[], prefix = 'sgin', offloads: HostOffloads = 'off', middle?: string): BridgeNet {
  const net: BridgeNet = {
    outside: `${prefix}-o-${tag}`,
    middle: middle ?? `${prefix}-m-${tag}`,
    ...(middle ? { sharedMiddle: true } : {}),
    inside: `${prefix}-i-${tag}`,
    middleOutside: `${prefix}mo${tag}`.slice(0, 15),
    middleInside: `${prefix}mi${tag}`.slice(0, 15),
    hostOutside: `${prefix}ho${tag}`.slice(0, 15),
    hostInside: `${prefix}hi${tag}`.slice(0, 15),
  };
  const { hostOutside, hostInside } = net;
  destroyBridgeNet(net);
  for (const ns of middle ? [net.outside, net.inside] : [net.outside, net.middle, net.inside]) sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', hostOutside, 'netns', net.outside, 'type', 'veth', 'peer', 'name', net.middleOutside, 'netns', net.middle]);
  sh('ip', ['link', 'add', hostInside, 'netns', net.inside, 'type', 'veth', 'peer', 'name', net.middleInside, 'netns', net.middle]);
  for (const a of outsideAddrs) inNs(net.outside, 'ip', ['addr', 'add', `${a}/24`, 'dev', hostOutside]);
  inNs(net.inside, 'ip', ['addr', 'add', `${insideAddr}/24`, 'dev', hostInside]);
  for (const [ns, dev] of [[net.outside, hostOutside], [net.inside, hostInside]] as const) {
    // Offloads off: checksums complete on the wire, frames wire-sized, for what cannot forward offloaded frames (--capture pcap).
    if (offloads === 'off') inNs(ns, 'ethtool', ['-K', dev, 'tx', 'off']);
    if (offloads === 'gro') inNs(ns, 'ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off']);
    inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(ns, 'ip', ['link', 'set', dev, 'up']);
  }
  for (const dev of [net.middleOutside, net.middleInside]) {
    // The middle stays silent: no addresses, no IPv6 of its own (link-local, DAD, router solicitations).
    inNs(net.middle, 'sysctl', ['-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
    inNs(net.middle, 'ip', ['link', 'set', dev, 'promisc', 'on']);
    if (offloads === 'gro') inNs(net.middle, 'ethtool', ['-K', dev, 'gro', 'on']);
    inNs(net.middle, 'ip', ['link', 'set', dev, 'up']);
  }
  inNs(net.middle, 'ip', ['link', 'set', 'lo', 'up']);
  return net;
}

/** Deleting a namespace deletes its veth ends with it. */
export function destroyBridgeNet(net: BridgeNet): void {
  for (const ns of net.sharedMiddle ? [net.outside, net.inside] : [net.outside, net.middle, net.inside]) {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      // not there: nothing to clean
    }
  }
}
