// Monitor mode's per-frame loop, one thread's or one worker's alike: every captured frame judged by
// the Dataplane and reported (verdict line, flow record), nothing dropped, frames and truncated
// frames counted. Two entry points, by capture method: `onBatch` for an AF_PACKET ring block (one
// clock reading: its frames left the kernel together; judged in staged groups before the block
// goes back to the kernel) and `onFrame` for libpcap's one frame per callback. Allocates nothing
// per frame beyond what the duties asked for (verdict lines, flow records) allocate.
import { AfPacketFlag, AfPacketMeta, AFPACKET_META_STRIDE, type AfPacketBatch } from '../capture/afpacket.js';
import { JUDGE_BATCH, type Dataplane } from '../dataplane/dataplane.js';
import { isAllowed } from '../dataplane/verdict.js';
import type { VerdictDuties } from './verdict-duties.js';

export class MonitorJudge {
  /** frames judged */
  frames = 0;
  /** frames longer than the capture buffer (judged on what was kept) */
  truncated = 0;
  /** the capture's link type: set once it is open, before its first frame */
  linkType = -1;

  constructor(
    private readonly dataplane: Dataplane,
    private readonly duties: VerdictDuties,
  ) {}

  /**
   * One libpcap frame, judged inside the callback (`cap` reuses the buffer for the next frame). The
   * clock is monotonic (performance.now) so a wall-clock step cannot expire or revive flows.
   */
  readonly onFrame = (frame: Buffer, length: number, cut: boolean): void => {
    const { dataplane } = this;
    this.frames++;
    if (cut) this.truncated++;
    dataplane.clock[0] = performance.now();
    const reason = dataplane.judgeNow(this.linkType, frame, 0, length, length);
    this.duties.reportLast(this.frames, reason, isAllowed(reason));
  };

  /** A ring block, judged before the callback returns it to the kernel; the verdicts are judgeNow's. */
  readonly onBatch = (batch: AfPacketBatch): void => {
    const { dataplane, duties, linkType } = this;
    const { data, meta, count } = batch;
    dataplane.clock[0] = performance.now();
    for (let first = 0; first < count; first += JUDGE_BATCH) {
      const group = count - first < JUDGE_BATCH ? count - first : JUDGE_BATCH;
      dataplane.stageBatch(linkType, data, meta, first, group, AFPACKET_META_STRIDE, AfPacketMeta.OFFSET, AfPacketMeta.LENGTH);
      for (let j = 0; j < group; j++) {
        this.frames++;
        if ((meta[(first + j) * AFPACKET_META_STRIDE + AfPacketMeta.FLAGS]! & AfPacketFlag.TRUNCATED) !== 0) this.truncated++;
        const reason = dataplane.judgeStaged(j);
        duties.reportLast(this.frames, reason, isAllowed(reason));
      }
    }
  };
}
