// Fills PacketView objects by hand, as the decoder would, for the conntrack tests.
import ipaddr from 'ipaddr.js';
import { PacketView, TcpFlag } from '../../src/packet/packet-view.js';
import type { ConntrackTimeouts } from '../../src/model/model-view.js';

export const AWS_DEFAULTS: ConntrackTimeouts = { tcpEstablished: 432000, udpStream: 180, udp: 30 };
export const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
export const S = 1000;

function words(address: string): { version: 4 | 6; words: number[] } {
  const a = ipaddr.parse(address);
  const bytes = a.toByteArray();
  if (a.kind() === 'ipv4') return { version: 4, words: [((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0] };
  const w: number[] = [];
  for (let i = 0; i < 16; i += 4) w.push(((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0);
  return { version: 6, words: w };
}

function put(target: Uint32Array, address: string): 4 | 6 {
  const { version, words: w } = words(address);
  target.fill(0);
  target.set(w);
  return version;
}

export interface PacketSpec {
  src: string;
  dst: string;
  protocol: number;
  sport?: number;
  dport?: number;
  flags?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
}

export function packet(spec: PacketSpec, into = new PacketView()): PacketView {
  into.ipVersion = put(into.src, spec.src);
  put(into.dst, spec.dst);
  into.protocol = spec.protocol;
  into.srcPort = spec.sport ?? 0;
  into.dstPort = spec.dport ?? 0;
  into.tcpFlags = spec.flags ?? 0;
  into.icmpType = spec.icmpType ?? 0;
  into.icmpCode = spec.icmpCode ?? 0;
  into.icmpId = spec.icmpId ?? 0;
  into.quoted.valid = false;
  return into;
}

export const tcp = (src: string, sport: number, dst: string, dport: number, flags: number): PacketView =>
  packet({ src, dst, protocol: 6, sport, dport, flags });

export const udp = (src: string, sport: number, dst: string, dport: number): PacketView =>
  packet({ src, dst, protocol: 17, sport, dport });

/** ICMP (v4) or ICMPv6 message, chosen by the address family. */
export function icmp(src: string, dst: string, icmpType: number, icmpId = 0, icmpCode = 0): PacketView {
  const v6 = src.includes(':');
  return packet({ src, dst, protocol: v6 ? 58 : 1, icmpType, icmpId, icmpCode });
}

/** An ICMP error from `src` to `dst` quoting `original` (the packet that caused it). */
export function icmpError(src: string, dst: string, type: number, original: PacketView): PacketView {
  const p = icmp(src, dst, type);
  const q = p.quoted;
  q.valid = true;
  q.ipVersion = original.ipVersion;
  q.src.set(original.src);
  q.dst.set(original.dst);
  q.protocol = original.protocol;
  q.srcPort = original.srcPort;
  q.dstPort = original.dstPort;
  q.icmpType = original.icmpType;
  q.icmpId = original.icmpId;
  return p;
}
