// EC2's ConnectionTrackingSpecification for an interface: seconds, with EC2's ranges and defaults
// (TcpEstablishedTimeout 60-432000, default 432000 = 5 days; UdpStreamTimeout 60-180, default 180;
// UdpTimeout 30-60, default 30).
import type { ConntrackTimeouts } from './model-view.js';
import { Ec2Errors } from './errors.js';
import { shown } from './shown.js';

/**
 * AWS's defaults for an interface's ConnectionTrackingSpecification, in seconds: the one table of
 * them. Every interface's timeouts start here (the control plane parses over it) and reach the
 * conntrack table as the interface's timeouts, so conntrack/ keeps no copy.
 */
export const CONNTRACK_DEFAULTS: ConntrackTimeouts = { tcpEstablished: 432000, udpStream: 180, udp: 30 };

const RANGES = {
  TcpEstablishedTimeout: [60, 432000],
  UdpStreamTimeout: [60, 180],
  UdpTimeout: [30, 60],
} as const;

function read(spec: Record<string, unknown>, key: keyof typeof RANGES, fallback: number): number {
  const v = spec[key];
  if (v === undefined) return fallback;
  const [min, max] = RANGES[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${shown(v)}' for ${key}. Must be between ${min} and ${max} seconds.`);
  }
  return v;
}

/** Applies a (partial) specification over `base`; omitted fields keep their value. */
export function parseConntrackSpec(spec: unknown, base: ConntrackTimeouts = CONNTRACK_DEFAULTS): ConntrackTimeouts {
  if (spec === undefined || spec === null) return base;
  if (typeof spec !== 'object') throw Ec2Errors.invalidParameterValue('ConnectionTrackingSpecification must be an object');
  const s = spec as Record<string, unknown>;
  return {
    tcpEstablished: read(s, 'TcpEstablishedTimeout', base.tcpEstablished),
    udpStream: read(s, 'UdpStreamTimeout', base.udpStream),
    udp: read(s, 'UdpTimeout', base.udp),
  };
}
