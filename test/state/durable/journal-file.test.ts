import { describe, expect, it } from 'vitest';
import { encodeEntry, JournalDamage, scanJournal, type JournalEntry } from '../../../src/state/journal-file.js';

const entry = (seq: number): JournalEntry => ({ seq, action: 'CreateSecurityGroup', params: { GroupName: `g${seq}`, Description: 'é ü' }, ids: [`${seq}`] });
const journal = (...seqs: number[]): Buffer => Buffer.concat(seqs.map((s) => encodeEntry(entry(s))));

describe('a journal line carries its own checksum and length', () => {
  it('reads back what was written, non-ASCII included', () => {
    const data = journal(1, 2, 3);
    expect(scanJournal(data)).toEqual({ entries: [entry(1), entry(2), entry(3)], validBytes: data.length, tornBytes: 0 });
    expect(data.toString().split('\n')[0]).toMatch(/^[0-9a-f]{16} \d+ \{"seq":1,/);
  });

  it('any cut of the last line is a torn tail, never an entry', () => {
    const good = journal(1, 2);
    const last = encodeEntry(entry(3));
    for (let cut = 1; cut < last.length; cut++) {
      const scanned = scanJournal(Buffer.concat([good, last.subarray(0, cut)]));
      expect(scanned.entries.map((e) => e.seq)).toEqual([1, 2]);
      expect(scanned.validBytes).toBe(good.length);
      expect(scanned.tornBytes).toBe(cut);
    }
  });

  it('a flipped byte in any line but the last is damage, reported with its line and offset', () => {
    const data = journal(1, 2, 3);
    const second = data.indexOf(0x0a) + 1;
    const copy = Buffer.from(data);
    copy[second + 30] = copy[second + 30]! ^ 0x01;
    expect(() => scanJournal(copy)).toThrow(JournalDamage);
    expect(() => scanJournal(copy)).toThrow(new RegExp(`^line 2 \\(byte ${second}\\): `));
  });

  it('zeros after the last entry (a file extended but never written) are a torn tail', () => {
    const data = Buffer.concat([journal(1), Buffer.alloc(100)]);
    expect(scanJournal(data)).toMatchObject({ validBytes: data.length - 100, tornBytes: 100 });
  });

  it('entries out of sequence are damage', () => {
    expect(() => scanJournal(journal(1, 3, 4))).toThrow(/entry 3 follows entry 1/);
  });
});
