// bench/perf-copies.mjs: copy samples of a `perf script` dump are told apart by the call chain that
// made them (ring in, ring out, sender, receiver), other samples are only counted.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

interface PerfCopies {
  copySamples(text: string): { samples: number; copies: Map<string, number> };
}

let tool: PerfCopies;
beforeAll(async () => {
  const path: string = join(import.meta.dirname, '..', '..', 'bench', 'perf-copies.mjs');
  tool = (await import(path)) as PerfCopies;
});

/** One sample as `perf script -F comm,tid,ip,sym` prints it: a header, then its frames, innermost first. */
const sample = (comm: string, tid: number, frames: string[]): string =>
  `${comm} ${tid} \n${frames.map((f, i) => `\t${(0xffffffff81000000 + i).toString(16)} ${f}`).join('\n')}\n`;

describe('perf-copies', () => {
  it('sorts copy samples by the caller that made the copy and counts every sample', () => {
    const text = [
      sample('node', 11, ['_copy_from_iter+0x1a', 'copy_page_from_iter+0x40', 'skb_copy_datagram_from_iter+0x60', 'packet_snd+0x300', 'packet_sendmsg+0x20', '__sys_sendmmsg+0x100']),
      sample('node', 11, ['_copy_from_iter+0x1a', 'copy_page_from_iter+0x40', 'skb_copy_datagram_from_iter+0x60', 'packet_snd+0x300']),
      sample('iperf3', 20, ['__pi_memcpy+0x9', 'skb_copy_bits+0x80', 'tpacket_rcv+0x500', '__netif_receive_skb_core+0x10', 'tcp_sendmsg_locked+0x90']),
      sample('iperf3', 20, ['_copy_from_iter+0x1a', 'tcp_sendmsg_locked+0x300', 'tcp_sendmsg+0x20']),
      sample('iperf3', 21, ['_copy_to_iter+0x50', '__skb_datagram_iter+0x70', 'skb_copy_datagram_iter+0x30', 'tcp_recvmsg_locked+0x200']),
      sample('iperf3', 21, ['_copy_to_iter+0x50', 'pipe_read+0x10']),
      sample('node', 11, ['tcp_ack+0x100', 'tcp_rcv_established+0x50']),
    ].join('\n');
    const { samples, copies } = tool.copySamples(text);
    expect(samples).toBe(7);
    expect(Object.fromEntries(copies)).toEqual({
      'ring → new skb (packet_snd)': 2,
      // the ring copy runs in the sender's softirq: the innermost caller, tpacket_rcv, decides
      'skb → ring (tpacket_rcv)': 1,
      'sender: user → skb (tcp/udp sendmsg)': 1,
      'receiver: skb → user (tcp/udp recvmsg)': 1,
      'other copy (_copy_to_iter)': 1,
    });
  });

  it('reads an empty dump as no samples', () => {
    expect(tool.copySamples('')).toEqual({ samples: 0, copies: new Map() });
  });
});
