// The NFQUEUE binding on a real kernel, inside a throwaway network namespace: loopback UDP queued
// by an iptables rule, answered by a handler, delivered only when accepted. Needs root; skipped
// only outside CI when not root.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON, NfqueueError, NfqueueReader } from '../../src/capture/nfqueue.js';

const ROOT = join(import.meta.dirname, '..', '..');
const NS = `sgfw-nfq-${process.pid % 100000}`;
const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);

// Runs inside the namespace: sends datagrams 0..N-1 over loopback through queue 3, accepts runs of
// them (0–3, 8–9: consecutive ids with one verdict go as one batch verdict), and reports what
// the handler saw and what the receiver got.
const PROBE = `
const { NfqueueReader, NfqMeta, META_STRIDE } = await import(${JSON.stringify(join(ROOT, 'dist', 'capture', 'nfqueue.js'))});
const dgram = await import('node:dgram');
const N = Number(process.argv[1]);
const seen = [], hooks = new Set(), got = [];
const reader = new NfqueueReader({ queueNum: 3, maxBatch: 4 }, (b) => {
  for (let i = 0; i < b.count; i++) {
    const m = i * META_STRIDE;
    const end = b.meta[m + NfqMeta.OFFSET] + b.meta[m + NfqMeta.LENGTH];
    const index = b.data[end - 1];
    seen.push(index);
    hooks.add(b.meta[m + NfqMeta.HOOK]);
    b.verdicts[i] = index < 4 || index > 7 ? 1 : 0;
  }
});
reader.start();
let second = 'opened';
try { new NfqueueReader({ queueNum: 3 }, () => {}); } catch (e) { second = e.name; }
const rx = dgram.createSocket('udp4');
rx.on('message', (msg) => got.push(msg[msg.length - 1]));
rx.bind(9999, '127.0.0.1', () => {
  const tx = dgram.createSocket('udp4');
  for (let i = 0; i < N; i++) tx.send(Buffer.from([0xab, i]), 9999, '127.0.0.1');
  setTimeout(() => {
    const stats = reader.stats();
    reader.close();
    console.log(JSON.stringify({ seen, got: got.sort((a, b) => a - b), hooks: [...hooks], second, stats }));
    process.exit(0);
  }, 700);
});
`;

// Defers datagrams 2 and 5 (the handler marks them DEFER), accepts the rest at once, then answers
// 2 with accept and 5 with drop after later batches went by: a batch verdict must not answer them.
const DEFER_PROBE = `
const { NfqueueReader, NfqMeta, META_STRIDE, NfqVerdict } = await import(${JSON.stringify(join(ROOT, 'dist', 'capture', 'nfqueue.js'))});
const dgram = await import('node:dgram');
const N = Number(process.argv[1]);
const deferred = new Map(), got = [], early = [];
const reader = new NfqueueReader({ queueNum: 4, maxBatch: 4 }, (b) => {
  for (let i = 0; i < b.count; i++) {
    const m = i * META_STRIDE;
    const end = b.meta[m + NfqMeta.OFFSET] + b.meta[m + NfqMeta.LENGTH];
    const index = b.data[end - 1];
    if (index === 2 || index === 5) {
      deferred.set(index, b.meta[m + NfqMeta.ID]);
      b.verdicts[i] = NfqVerdict.DEFER;
    } else b.verdicts[i] = NfqVerdict.ACCEPT;
  }
});
reader.start();
const rx = dgram.createSocket('udp4');
rx.on('message', (msg) => got.push(msg[msg.length - 1]));
rx.bind(9998, '127.0.0.1', () => {
  const tx = dgram.createSocket('udp4');
  for (let i = 0; i < N; i++) tx.send(Buffer.from([0xab, i]), 9998, '127.0.0.1');
  setTimeout(() => {
    early.push(...got);
    const answered = [reader.verdict(deferred.get(2), true), reader.verdict(deferred.get(5), false)];
    setTimeout(() => {
      const stats = reader.stats();
      reader.close();
      console.log(JSON.stringify({ early: early.sort((a, b) => a - b), got: got.sort((a, b) => a - b), answered, stats }));
      process.exit(0);
    }, 300);
  }, 500);
});
`;

function ns(...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8', timeout: 15_000 });
}

describe('the NFQUEUE reader', () => {
  it('refuses a queue number outside 0–65535', () => {
    expect(() => new NfqueueReader({ queueNum: 70000 }, () => {})).toThrow(NfqueueError);
  });
});

describe.runIf(enabled)('the NFQUEUE binding on a live queue', () => {
  beforeAll(() => {
    // scripts/build-native.sh (run by setup) or the vitest globalSetup built the addon.
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON} is not built: run bash scripts/build-native.sh`).toBe(true);
    execFileSync('ip', ['netns', 'add', NS]);
    ns('ip', 'link', 'set', 'lo', 'up');
  }, 150_000);

  afterAll(() => {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  });

  it('delivers queued packets in batches and passes only those the handler accepts', () => {
    ns('iptables', '-w', '-A', 'OUTPUT', '-o', 'lo', '-p', 'udp', '--dport', '9999', '-j', 'NFQUEUE', '--queue-num', '3');
    const out = JSON.parse(ns(process.execPath, '--input-type=module', '-e', PROBE, '10'));
    expect(out.seen.sort((a: number, b: number) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out.got).toEqual([0, 1, 2, 3, 8, 9]);
    expect(out.hooks).toEqual([3]); // NF_INET_LOCAL_OUT
    expect(out.second).toBe('NfqueueError'); // one reader per queue
    expect(out.stats.received).toBe(10);
    expect(out.stats.verdictErrors).toBe(0);
  });

  it('keeps a deferred packet queued past later batches until its own verdict', () => {
    ns('iptables', '-w', '-A', 'OUTPUT', '-o', 'lo', '-p', 'udp', '--dport', '9998', '-j', 'NFQUEUE', '--queue-num', '4');
    const out = JSON.parse(ns(process.execPath, '--input-type=module', '-e', DEFER_PROBE, '10'));
    // before the late verdicts: everything but the two deferred datagrams
    expect(out.early).toEqual([0, 1, 3, 4, 6, 7, 8, 9]);
    expect(out.answered).toEqual([true, true]);
    // after: 2 accepted, 5 dropped
    expect(out.got).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    expect(out.stats.received).toBe(10);
    expect(out.stats.verdictErrors).toBe(0);
  });
});
