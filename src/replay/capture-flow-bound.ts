// How large a conntrack table a replay needs: no more flows than the captures have frames, and
// no more frames than their bytes allow. The table is sized by that bound (up to the live default)
// instead of reserving 1M flows (128 MiB of records) for a capture of a dozen frames: a small
// replay then starts in a few milliseconds and a few MB, and `replay --each` over hundreds of
// small captures pays that for each.
//
// Exact, not a guess: a frame that can open a flow carries at least an IPv4 header (20 bytes) in a
// record of at least 16 bytes of header (classic pcap; pcapng's is longer), and opens at most two
// entries (one per managed interface it joins). Room is left for three per frame, so the table never
// reaches the point (90% full) from which it cuts unanswered flows short: the same verdicts as
// with the default table, for every capture.
import { statSync } from 'node:fs';

/** The live default: what a table of unknown need gets. */
const DEFAULT_CAPACITY = 1 << 20;
/** the smallest table a replay gets: a few hundred KiB of records */
const MIN_CAPACITY = 1024;
/** 16 bytes of record header + a 20-byte IPv4 header: the smallest frame that can open a flow */
const MIN_FLOW_FRAME_BYTES = 36;
const ENTRIES_PER_FRAME = 3;

/** The conntrack capacity for replaying `captures` (the live default when one is a device or a pipe). */
export function captureFlowBound(captures: readonly string[]): number {
  let bytes = 0;
  for (const file of captures) {
    try {
      const stat = statSync(file);
      // a device or a pipe: its size says nothing
      if (!stat.isFile() && !stat.isDirectory()) return DEFAULT_CAPACITY;
      bytes += stat.isFile() ? stat.size : 0;
    } catch {
      // It cannot be opened either: the replay stops at it, and it needs no room.
    }
  }
  const frames = Math.floor(bytes / MIN_FLOW_FRAME_BYTES) + 1;
  return Math.min(DEFAULT_CAPACITY, Math.max(MIN_CAPACITY, frames * ENTRIES_PER_FRAME));
}
