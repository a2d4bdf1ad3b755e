// Every file of tcpdump's test corpus either reads to the end, each frame decoded, or is refused
// with a one-line CaptureError naming it: no crash, no hang (issue 3, "Tests").
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/capture-error.js';
import { CaptureReader } from '../../src/capture/capture-reader.js';
import { decodeFrame } from '../../src/packet/decode.js';
import { PacketView } from '../../src/packet/packet-view.js';

const CORPUS = new URL('../../../shared/corpus/tcpdump-tests/', import.meta.url).pathname;
const files = existsSync(CORPUS) ? readdirSync(CORPUS).sort() : [];

describe('every capture in the tcpdump test corpus replays to the end or is refused clearly', () => {
  it(
    `${files.length} files`,
    () => {
      expect(files.length).toBeGreaterThan(500);
      const v = new PacketView();
      const statuses = [0, 0, 0, 0];
      let read = 0;
      let refused = 0;
      let frames = 0;
      for (const name of files) {
        const path = join(CORPUS, name);
        let reader: CaptureReader | null = null;
        try {
          reader = new CaptureReader(path);
          while (reader.next()) {
            statuses[decodeFrame(reader.linkType, reader.data, reader.offset, reader.caplen, v)]++;
            frames++;
          }
          read++;
        } catch (e) {
          if (!(e instanceof CaptureError)) throw new Error(`${name}: unexpected ${String(e)}`);
          expect(e.message.startsWith(`${path}: `)).toBe(true);
          expect(e.message).not.toContain('\n');
          refused++;
        } finally {
          reader?.close();
        }
      }
      expect(read + refused).toBe(files.length);
      // Most of the corpus is readable, and plenty of it is IP that decodes.
      expect(read).toBeGreaterThan(files.length * 0.9);
      expect(statuses[0]).toBeGreaterThan(frames / 10);
    },
    30_000,
  );
});
