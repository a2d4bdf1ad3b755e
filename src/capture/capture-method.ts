// How the live modes that capture (inline and monitor) read an interface: `afpacket` (the
// native-bindings/afpacket TPACKET_V3 ring, a block of frames per call, the kernel's drop counters)
// or `pcap` (libpcap through the optional package `cap`, one callback per frame, no drop counters).
// One choice for both modes, so `--capture` means the same thing wherever it is given; inline mode
// has a third (INLINE_CAPTURE_METHODS).
import { afpacketAvailable } from './afpacket.js';

export const CAPTURE_METHODS = ['afpacket', 'pcap'] as const;
export type CaptureMethod = (typeof CAPTURE_METHODS)[number];

/**
 * Inline mode's methods: those two, or `nfqueue`, where sgfw captures nothing itself: the kernel
 * bridges the two interfaces and queues each IP packet to sgfw for its verdict (live/kernel-bridge.ts).
 */
export const INLINE_CAPTURE_METHODS = [...CAPTURE_METHODS, 'nfqueue'] as const;
export type InlineCaptureMethod = (typeof INLINE_CAPTURE_METHODS)[number];

/**
 * afpacket when native-bindings/afpacket is built (scripts/build-native.sh), else pcap. Asked
 * explicitly, a method whose addon is missing fails when opened (MissingAddonError: one line, exit 1).
 */
export function defaultCaptureMethod(available: () => boolean = afpacketAvailable): CaptureMethod {
  return available() ? 'afpacket' : 'pcap';
}
