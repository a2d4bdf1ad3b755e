// Linux "cooked" capture headers, as written by `tcpdump -i any`
// (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, …_SLL2.html).
import { u16be } from './byte-order.js';

/** SLL: packet type 2, ARPHRD 2, address length 2, address 8, protocol 2 */
export const SLL_HEADER_LENGTH = 16;
export const SLL_PROTOCOL_OFFSET = 14;

/** SLL2: protocol 2, reserved 2, ifindex 4, ARPHRD 2, packet type 1, address length 1, address 8 */
export const SLL2_HEADER_LENGTH = 20;
export const SLL2_PROTOCOL_OFFSET = 0;

export function sllProtocol(b: Uint8Array, o: number): number {
  return u16be(b, o + SLL_PROTOCOL_OFFSET);
}

export function sll2Protocol(b: Uint8Array, o: number): number {
  return u16be(b, o + SLL2_PROTOCOL_OFFSET);
}
