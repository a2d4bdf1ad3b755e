// `sgfw serve --replay CAPTURE`: a capture played at its own pace (scaled by `speed`) through a
// Dataplane that hears every change the API accepts, so an API call is seen in force on the next
// frame. For trying rules and for tests, until the live modes judge real interfaces.
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CaptureError } from '../capture/capture-error.js';
import { CaptureReader } from '../capture/capture-reader.js';
import { hugePageMemory } from '../capture/huge-pages.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { isAllowed } from '../dataplane/verdict.js';
import { verdictLine } from '../observe/verdict-line.js';
import { isSupportedLinkType } from '../packet/link-types.js';
import { REASON_WORDS, type ReplayControlPlane } from './replay-run.js';

export interface PacedReplayOptions {
  capture: string;
  /** each line is written as its frame is judged */
  verdictsFile?: string;
  /** 1 = the capture's own pace; 10 = ten times faster */
  speed?: number;
  signal?: AbortSignal;
  /** receives the function that reopens the verdicts file by name (SIGHUP, after a logrotate) */
  onReopenable?: (reopen: () => void) => void;
}

export interface PacedReplayResult {
  frames: number;
  allowed: number;
  dropped: number;
}

export async function pacedReplay(control: ReplayControlPlane, options: PacedReplayOptions): Promise<PacedReplayResult> {
  const speed = options.speed ?? 1;
  const dataplane = new Dataplane(control, { conntrackCapacity: 1 << 16, recordMemory: hugePageMemory });
  const unsubscribe = control.onChange((change) => dataplane.applyModel(change));
  const reader = new CaptureReader(options.capture);
  let fd = options.verdictsFile ? openSync(options.verdictsFile, 'w') : -1;
  // Reopened between two frames (the loop is synchronous from judging to writing): a rotated file
  // gets the lines after the signal, the new one those after, none lost or split.
  options.onReopenable?.(() => {
    if (fd < 0 || options.verdictsFile === undefined) return;
    const reopened = openSync(options.verdictsFile, 'a'); // throws with the old file still in use
    closeSync(fd);
    fd = reopened;
  });
  const result: PacedReplayResult = { frames: 0, allowed: 0, dropped: 0 };
  try {
    const startedAt = performance.now();
    let firstMs = -1;
    while (!options.signal?.aborted && reader.next()) {
      if (!isSupportedLinkType(reader.linkType)) {
        throw new CaptureError(options.capture, `unsupported link type ${reader.linkType} (record ${reader.recordNumber})`);
      }
      const tsMs = reader.timestampMs;
      if (firstMs < 0) firstMs = tsMs;
      const due = startedAt + (tsMs - firstMs) / speed;
      const wait = due - performance.now();
      if (wait > 1) {
        // The reader's buffer stays valid across the wait: nothing else reads from it.
        await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
        if (options.signal?.aborted) break;
      }
      dataplane.clock[0] = tsMs;
      const reason = dataplane.judgeNow(reader.linkType, reader.data, reader.offset, reader.caplen, reader.origLen);
      result.frames++;
      if (isAllowed(reason)) result.allowed++;
      else result.dropped++;
      if (fd >= 0) writeSync(fd, verdictLine(dataplane, result.frames, REASON_WORDS[reason]));
    }
  } finally {
    unsubscribe();
    reader.close();
    if (fd >= 0) closeSync(fd);
  }
  return result;
}
