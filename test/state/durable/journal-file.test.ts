import { describe, expect, it } from 'vitest';
import { encodeEntry, encodeHeader, encodeLegacyEntry, genesisChain, scanJournal, type JournalEntry } from '../../../src/state/journal-file.js';

const entry = (seq: number): JournalEntry => ({ seq, action: 'CreateSecurityGroup', params: { GroupName: `g${seq}`, Description: 'é ü' }, ids: [`${seq}`] });
const DIR = 'd1';
/** A format-2 journal continuing entry 0 with `seqs`, and the chain value after each. */
function chained(...seqs: number[]): { data: Buffer; chains: string[] } {
  let prev = genesisChain(DIR);
  const parts = [encodeHeader({ dir: DIR, base: 0, chain: prev })];
  const chains: string[] = [];
  for (const s of seqs) {
    const { bytes, chain } = encodeEntry(entry(s), prev);
    parts.push(bytes);
    chains.push(chain);
    prev = chain;
  }
  return { data: Buffer.concat(parts), chains };
}
const journal = (...seqs: number[]): Buffer => chained(...seqs).data;
const read = (data: Buffer) => scanJournal(data, 2);
const seqs = (data: Buffer): number[] => read(data).entries.map((e) => e.seq);

describe('a journal line carries its own checksum and length', () => {
  it('reads back what was written, non-ASCII included, each entry chained on the one before', () => {
    const { data, chains } = chained(1, 2, 3);
    const scanned = read(data);
    expect(scanned.entries).toEqual([1, 2, 3].map((s, i) => ({ ...entry(s), chain: chains[i], line: i + 2 })));
    expect(scanned).toMatchObject({ header: { dir: DIR, base: 0, chain: genesisChain(DIR) }, validBytes: data.length, tornBytes: 0, damage: undefined });
    expect(data.toString().split('\n')[0]).toMatch(/^[0-9a-f]{16} \d+ \{"format":"sgfw-journal\/2",/);
    expect(data.toString().split('\n')[1]).toMatch(new RegExp(`^${chains[0]} \\d+ \\{"seq":1,`));
  });

  it('a line moved from another history breaks the chain even though its own JSON is intact', () => {
    const a = journal(1, 2, 3).toString().split('\n');
    const other = scanJournal(Buffer.from(a.join('\n')), 2);
    expect(other.damage).toBeUndefined();
    // the same entries in another directory hash differently
    let prev = genesisChain('d2');
    const foreign = encodeEntry(entry(1), prev);
    prev = foreign.chain;
    const mixed = Buffer.from([a[0], foreign.bytes.toString().trimEnd(), a[2], a[3], ''].join('\n'));
    expect(read(mixed).damage?.message).toMatch(/^line 2 \(byte \d+\): checksum mismatch, and entries follow it/);
  });

  it('format 1 (no header, each line hashed alone) is still read', () => {
    const data = Buffer.concat([1, 2].map((s) => encodeLegacyEntry(entry(s))));
    expect(scanJournal(data, 1).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(read(data).damage?.message).toMatch(/line 1 \(byte 0\): .*header/);
  });

  it('any cut of the last line is a torn tail, never an entry', () => {
    const { data: good, chains } = chained(1, 2);
    const last = encodeEntry(entry(3), chains[1]!).bytes;
    for (let cut = 1; cut < last.length; cut++) {
      const scanned = read(Buffer.concat([good, last.subarray(0, cut)]));
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
    const scanned = read(copy);
    expect(scanned.damage?.message).toMatch(new RegExp(`^line 2 \\(byte ${second}\\): `));
    expect(scanned.entries).toEqual([]);
    expect(scanned.beyond.map((e) => e.seq)).toEqual([2, 3]);
  });

  it('zeros after the last entry (a file extended but never written) are a torn tail', () => {
    const data = Buffer.concat([journal(1), Buffer.alloc(100)]);
    expect(read(data)).toMatchObject({ validBytes: data.length - 100, tornBytes: 100 });
  });

  it('entries out of sequence are damage', () => {
    expect(read(journal(1, 3, 4)).damage?.message).toMatch(/entry 3 follows entry 1/);
    expect(seqs(journal(1, 2))).toEqual([1, 2]);
  });
});
