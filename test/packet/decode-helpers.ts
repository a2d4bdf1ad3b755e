// Shared by the decoder tests: decode a built frame and name what came out.
import { decodeFrame } from '../../src/packet/decode.js';
import { MALFORMED_REASONS } from '../../src/packet/malformed.js';
import { PacketView } from '../../src/packet/packet-view.js';

export const view = new PacketView();

export function decode(frame: Uint8Array, linkType = 1): PacketView {
  decodeFrame(linkType, frame, 0, frame.length, view);
  return view;
}

/** the malformed reason's name, or the status when the frame is not malformed */
export function verdictOf(frame: Uint8Array, linkType = 1): string {
  const status = decodeFrame(linkType, frame, 0, frame.length, view);
  return status === 2 ? MALFORMED_REASONS[view.malformedReason] : ['ok', 'not-ip', 'malformed', 'unsupported-link'][status];
}

export function ipv4Word(a: string): number {
  return a.split('.').reduce((w, x) => w * 256 + Number(x), 0);
}
