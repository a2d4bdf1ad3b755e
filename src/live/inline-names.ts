// What one inline instance through the kernel bridge (`--mode inline --capture nfqueue`) names its
// kernel pieces, from its interface pair alone: several instances (one per pair, as the
// `sgfw-inline@INSIDE:OUTSIDE` units run them) live in one network namespace, each finding and
// removing only its own bridge, chain and table, after a clean stop or a crash alike. The names
// carry a short stable hash of the pair (Linux interface names are at most 15 characters, iptables
// chain names 28); the default queues come from the same hash, away from host mode's (0 on).
import { createHash } from 'node:crypto';

export interface InlineInstanceNames {
  /** 8 hex digits of SHA-256 over `INSIDE:OUTSIDE` */
  id: string;
  /** the Linux bridge, `sgfw-<id>` (13 characters) */
  bridge: string;
  /** the iptables/ip6tables chain jumped to from FORWARD, `SGFW-I-<id>` */
  chain: string;
  /** the nftables bridge-family guard table, `sgfw_inline_<id>` */
  table: string;
  /** the first queue when --queue is not given: 1024 + 64 × (id mod 1000), so 1024–64960 */
  queueBase: number;
}

/** How many queues apart two instances' default bases are (one per worker: up to 64 workers never overlap). */
export const DEFAULT_QUEUE_STRIDE = 64;
const DEFAULT_QUEUE_FIRST = 1024;
const DEFAULT_QUEUE_SLOTS = 1000;

export function inlineInstanceNames(inside: string, outside: string): InlineInstanceNames {
  const id = createHash('sha256').update(`${inside}:${outside}`).digest('hex').slice(0, 8);
  return {
    id,
    bridge: `sgfw-${id}`,
    chain: `SGFW-I-${id}`,
    table: `sgfw_inline_${id}`,
    queueBase: DEFAULT_QUEUE_FIRST + DEFAULT_QUEUE_STRIDE * (parseInt(id, 16) % DEFAULT_QUEUE_SLOTS),
  };
}
