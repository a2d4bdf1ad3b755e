// Every capture of the robustness corpus (real, often malformed, many link types) either replays
// to the end through the whole pipeline or is refused with one clear line naming the file.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/capture-error.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { replay } from '../../src/replay/replay-run.js';

const CORPUS = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'tcpdump-tests');
const STATE = join(import.meta.dirname, '..', '..', 'pcaps', 'mary', 'state.json');

describe('replaying the tcpdump robustness corpus', () => {
  it('replays every file to the end or refuses it in one line naming it', async () => {
    const files = readdirSync(CORPUS).filter((f) => !f.startsWith('LICENSE')).sort();
    expect(files.length).toBeGreaterThan(400);
    const service = await serviceFromStateFiles([STATE]);
    let replayed = 0;
    let refused = 0;
    let frames = 0;
    for (const f of files) {
      const path = join(CORPUS, f);
      try {
        const summary = await replay(service, { captures: [path], conntrackCapacity: 1 << 12 });
        expect(summary.allowed + summary.dropped).toBe(summary.frames);
        frames += summary.frames;
        replayed++;
      } catch (e) {
        expect(e).toBeInstanceOf(CaptureError);
        const message = (e as Error).message;
        expect(message.startsWith(`${path}: `)).toBe(true);
        expect(message).not.toContain('\n');
        refused++;
      }
    }
    expect(replayed + refused).toBe(files.length);
    expect(replayed).toBeGreaterThan(refused);
    expect(frames).toBeGreaterThan(1000);
  }, 60_000);
});
