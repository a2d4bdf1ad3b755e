// Reading a classic pcap: sgfw's CaptureReader (one reused record, a sliding file window) against
// pcap-parser 0.2.1 (the design card's first choice: an event and a packet object per record, no
// nanosecond pcap, no pcapng). Both read the same 200,000-frame file, written to a temp dir; the
// median of 5 runs each, and the ratio.
//
//   npm run build && node bench/pcap-reader.mjs [frames]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { CaptureReader, PcapWriter } from '../dist/capture/index.js';
import { buildFrame } from '../dist/packet/frame-builder.js';

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser');

const FRAMES = Number(process.argv[2] ?? 200_000);
const RUNS = 5;

function writeCapture(path) {
  const kinds = [
    buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'tcp', sport: 40000, dport: 443, flags: 'A', payload: Buffer.alloc(1200) }),
    buildFrame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 443, dport: 40000, flags: 'A' }),
    buildFrame({ src: 'fd00::1', dst: 'fd00::2', proto: 'udp', sport: 5353, dport: 53, payload: Buffer.alloc(80) }),
  ];
  const w = new PcapWriter(path, 1);
  for (let i = 0; i < FRAMES; i++) {
    const f = kinds[i % kinds.length];
    w.write({ linkType: 1, tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNanos: (i % 1000) * 1000, caplen: f.length, origLen: f.length, data: f, offset: 0 });
  }
  w.close();
}

function readWithCaptureReader(path) {
  const started = performance.now();
  const r = new CaptureReader(path);
  let n = 0;
  let bytes = 0;
  while (r.next()) {
    n++;
    bytes += r.data[r.offset + 12] + r.caplen;
  }
  r.close();
  return { n, bytes, ms: performance.now() - started };
}

function readWithPcapParser(path) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let n = 0;
    let bytes = 0;
    const parser = pcapParser.parse(path);
    parser.on('packet', (p) => {
      n++;
      bytes += p.data[12] + p.header.capturedLength;
    });
    parser.on('error', reject);
    parser.on('end', () => resolve({ n, bytes, ms: performance.now() - started }));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'sgfw-bench-pcap-'));
try {
  const path = join(dir, 'bench.pcap');
  writeCapture(path);
  console.log(`${FRAMES} frames, ${(statSync(path).size / 1e6).toFixed(1)} MB, median of ${RUNS} runs`);
  const ours = [];
  const theirs = [];
  for (let i = 0; i < RUNS; i++) {
    const a = readWithCaptureReader(path);
    const b = await readWithPcapParser(path);
    if (a.n !== FRAMES || b.n !== FRAMES || a.bytes !== b.bytes) throw new Error(`readers disagree: ${a.n}/${a.bytes} vs ${b.n}/${b.bytes}`);
    ours.push(FRAMES / (a.ms / 1000));
    theirs.push(FRAMES / (b.ms / 1000));
  }
  const o = median(ours);
  const t = median(theirs);
  console.log(`CaptureReader  ${Math.round(o).toLocaleString('en-US')} records/s`);
  console.log(`pcap-parser    ${Math.round(t).toLocaleString('en-US')} records/s`);
  console.log(`ratio          ${(o / t).toFixed(1)}×`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
