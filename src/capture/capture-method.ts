// How the live modes that capture (inline and monitor) read an interface: `afpacket` (the
// native-bindings/afpacket TPACKET_V3 ring, a block of frames per call, the kernel's drop counters)
// or `pcap` (libpcap through the optional package `cap`, one callback per frame, no drop counters).
// One choice for both modes, so `--capture` means the same thing wherever it is given.
import { afpacketAvailable } from './afpacket.js';

export const CAPTURE_METHODS = ['afpacket', 'pcap'] as const;
export type CaptureMethod = (typeof CAPTURE_METHODS)[number];

/**
 * afpacket when native-bindings/afpacket is built (scripts/build-native.sh), else pcap. Asked
 * explicitly, a method whose addon is missing fails when opened (MissingAddonError: one line, exit 1).
 */
export function defaultCaptureMethod(available: () => boolean = afpacketAvailable): CaptureMethod {
  return available() ? 'afpacket' : 'pcap';
}
