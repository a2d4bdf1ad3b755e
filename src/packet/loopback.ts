// BSD loopback headers (LINKTYPE_NULL 0, LINKTYPE_LOOP 108): a 4-byte address family. NULL writes
// it in the capturing host's byte order, LOOP always big-endian; IPv6's AF_INET6 differs between
// BSDs (https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html).
import { u32be, u32le } from './byte-order.js';

export const LOOPBACK_HEADER_LENGTH = 4;

export const AddressFamily = {
  INET: 2,
  /** NetBSD, OpenBSD, BSD/OS */
  INET6_BSD: 24,
  /** FreeBSD, DragonFly */
  INET6_FREEBSD: 28,
  /** macOS, iOS */
  INET6_DARWIN: 30,
} as const;

/** 4, 6, or 0 for another family */
export function familyVersion(af: number): number {
  if (af === AddressFamily.INET) return 4;
  if (af === AddressFamily.INET6_BSD || af === AddressFamily.INET6_FREEBSD || af === AddressFamily.INET6_DARWIN) return 6;
  return 0;
}

/** IP version named by a NULL header, whichever byte order wrote it (family values are < 256) */
export function nullHeaderVersion(b: Uint8Array, o: number): number {
  const le = u32le(b, o);
  return familyVersion(le < 256 ? le : u32be(b, o));
}

export function loopHeaderVersion(b: Uint8Array, o: number): number {
  return familyVersion(u32be(b, o));
}
