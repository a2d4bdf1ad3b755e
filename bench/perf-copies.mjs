// Where a forwarding path copies its bytes: the samples of a system-wide `perf record -a -g` whose
// top frame is a copy routine, sorted by the call chain that made the copy (the sender's copy from
// user space, the receiver's to it, an AF_PACKET bridge's copy into its ring and out of it into a new
// skb), as CPU seconds per GB through the bridge. BENCHMARKS.md "what limits inline mode" (issue 18):
// through the kernel bridge a byte is copied twice end to end, through sgfw four times.
//
// Run (root, during a TCP test of bench/live.mjs; the GB through the bridge in the same 3 s come from
// the bridge's veth counters, or from the row's Gbit/s × 3 / 8):
//   perf record -a -g -F 999 -o /tmp/inline.data -- sleep 3
//   node bench/perf-copies.mjs /tmp/inline.data --gb 4.38 [--hz 999]
import { execFileSync } from 'node:child_process';

/** The copies told apart, by the innermost of these callers in a copy sample's call chain. */
export const COPY_KINDS = [
  ['ring → new skb (packet_snd)', /^(packet_snd|packet_sendmsg|tpacket_snd)$/],
  ['skb → ring (tpacket_rcv)', /^tpacket_rcv$/],
  ['sender: user → skb (tcp/udp sendmsg)', /^(tcp_sendmsg_locked|tcp_sendmsg|udp_sendmsg|ip_make_skb)$/],
  ['receiver: skb → user (tcp/udp recvmsg)', /^(tcp_recvmsg_locked|tcp_recvmsg|udp_recvmsg|skb_copy_datagram_iter)$/],
];
const COPY_ROUTINE = /^(_copy_from_iter|_copy_to_iter|copy_page_from_iter|copy_page_to_iter|__pi_memcpy|memcpy\w*|__memcpy\w*|skb_copy_bits|rep_movs_alternative|copy_user_\w+)$/;

/**
 * `perf script -F comm,tid,ip,sym` output → { samples, copies: Map(kind → samples) }. A sample is a
 * header line (comm and tid) and its frames, one per line (address, symbol+offset), ending at a blank
 * line. Copies whose chain has none of COPY_KINDS' callers count as 'other copy (TOP)'.
 */
export function copySamples(text) {
  const copies = new Map();
  let samples = 0;
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim());
    if (lines.length < 2) continue;
    samples++;
    const frames = lines.slice(1).map((l) => (l.trim().split(/\s+/)[1] ?? '').replace(/\+0x[0-9a-f]+$/, ''));
    if (!COPY_ROUTINE.test(frames[0])) continue;
    // the innermost known caller decides: a ring copy in softirq under a sender's call is the ring's
    let kind = `other copy (${frames[0]})`;
    for (const f of frames) {
      const known = COPY_KINDS.find(([, callers]) => callers.test(f));
      if (known) {
        kind = known[0];
        break;
      }
    }
    copies.set(kind, (copies.get(kind) ?? 0) + 1);
  }
  return { samples, copies };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const value = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const file = args.find((a, i) => !a.startsWith('--') && !['--gb', '--hz'].includes(args[i - 1]));
  const gb = Number(value('--gb'));
  const hz = Number(value('--hz') ?? 999);
  if (!file || !(gb > 0) || !(hz > 0)) {
    console.error('usage: node bench/perf-copies.mjs PERF.data --gb GB_THROUGH_THE_BRIDGE [--hz SAMPLING_HZ]');
    process.exit(2);
  }
  const text = execFileSync('perf', ['script', '-i', file, '-F', 'comm,tid,ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const { samples, copies } = copySamples(text);
  console.log(`${file}: ${samples} samples (${(samples / hz).toFixed(2)} CPU-s), ${gb} GB through the bridge`);
  for (const [kind, n] of [...copies].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${kind.padEnd(42)} ${String(n).padStart(6)} samples  ${(n / hz / gb).toFixed(3)} CPU-s/GB`);
  }
}
