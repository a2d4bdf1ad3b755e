// Host mode on veths left with their offloads on (TSO, GSO, checksum offload, GRO: a real host's
// defaults): the kernel queues GSO super-packets whole (NFQA_CFG_F_GSO) with checksums not yet
// filled in, and copies only their headers. A TCP transfer each way through sgfw's NFQUEUE must
// complete byte for byte, every packet judged, none dropped, and GSO packets must have been judged
// as such. Needs root; skipped only outside CI when not root.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPair, destroyPair, inNs, spawnInNs, stopProcess, waitFor, type Pair } from './netns.js';
import { seedStateAt } from '../../support/seed-state.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const HOST = '10.0.0.10';
const ALBERT_MACHINE = '203.0.113.5';
const QUEUE = 11;
const PORT = 22;
/** bytes each way: enough for the stack to build many 64 KB super-packets */
const BYTES = 16 * 1024 * 1024;

const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-host-gso-'));
const tag = `nq${process.pid % 10000}`;
let pair: Pair | null = null;
const children: ChildProcess[] = [];

/** Albert's seed state with the namespace's addresses: SSH (the port we move bytes on) from his machine only. */
function writeState(): string {
  const state = seedStateAt('albert', HOST);
  const ssh = state.SecurityGroups[0].IpPermissions.find((p: { FromPort?: number }) => p.FromPort === PORT);
  ssh.IpRanges = [{ CidrIp: `${ALBERT_MACHINE}/32` }];
  const file = join(dir, 'albert.json');
  writeFileSync(file, JSON.stringify(state));
  return file;
}

// Both ends send BYTES and count what they receive until the other side ends; each prints its count.
const SERVER = `
const [addr, port, bytes] = process.argv.slice(1);
require('net').createServer((s) => {
  let got = 0;
  s.on('data', (d) => (got += d.length));
  s.on('end', () => console.log('server received ' + got));
  s.on('error', (e) => console.log('server error ' + e.code));
  s.end(Buffer.alloc(Number(bytes), 7));
}).listen(Number(port), addr, () => console.log('listening'));
`;
const CLIENT = `
const [host, port, bytes] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port) });
let got = 0;
const t = setTimeout(() => { console.log('timeout after ' + got); process.exit(2); }, 60000);
s.on('data', (d) => (got += d.length));
s.on('end', () => { clearTimeout(t); console.log('client received ' + got); });
s.on('error', (e) => { clearTimeout(t); console.log('client error ' + e.code); process.exit(1); });
s.end(Buffer.alloc(Number(bytes), 9));
`;

function run(ns: string, script: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const c = spawnInNs(ns, process.execPath, ['-e', script, ...args]);
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', () => resolve(out.trim()));
  });
}

/** The offloads ethtool reports as on for `dev` in `ns`, among those the test relies on. */
function offloadsOn(ns: string, dev: string): string[] {
  const out = inNs(ns, 'ethtool', ['-k', dev]);
  return ['tcp-segmentation-offload', 'generic-segmentation-offload', 'tx-checksumming'].filter((f) => new RegExp(`^${f}: on`, 'm').test(out));
}

describe.runIf(enabled)('host mode with the veths\' offloads on (GSO super-packets, checksums not ready)', () => {
  let server: ChildProcess;
  let serverOut = '';
  /** resolves once the server has printed `n` lines saying what it received */
  const serverLines = (n: number): Promise<string[]> =>
    new Promise((resolve) => {
      const started = Date.now();
      const check = setInterval(() => {
        const lines = serverOut.split('\n').filter((l) => l.startsWith('server'));
        if (lines.length < n && Date.now() - started < 10_000) return;
        clearInterval(check);
        resolve(lines);
      }, 20);
    });

  beforeAll(async () => {
    pair = createPair(tag, HOST, '10.0.0.0/24', [ALBERT_MACHINE], '203.0.113.0/24');
    // GRO on too, so the host's input also sees merged packets (veth runs NAPI for it)
    for (const [ns, dev] of [[pair.host, `sgh${tag}`], [pair.peer, `sgp${tag}`]] as const) {
      inNs(ns, 'ethtool', ['-K', dev, 'tx', 'on', 'tso', 'on', 'gso', 'on', 'gro', 'on']);
      expect(offloadsOn(ns, dev)).toEqual(['tcp-segmentation-offload', 'generic-segmentation-offload', 'tx-checksumming']);
    }
    server = spawnInNs(pair.host, process.execPath, ['-e', SERVER, HOST, String(PORT), String(BYTES)]);
    children.push(server);
    server.stdout!.on('data', (d: Buffer) => (serverOut += d.toString()));
    await waitFor(server, 'stdout', 'listening', 5000);
  }, 60_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (pair) destroyPair(pair);
  });

  for (const [i, workers] of ['1', '2'].entries()) {
    it(`moves ${BYTES} bytes each way over TCP, every packet judged, GSO packets whole (--workers ${workers})`, async () => {
      const sgfw = spawnInNs(pair!.host, process.execPath, [ENTRY, 'run', '--mode', 'host', '--workers', workers, '--state', writeState(), '--queue', String(QUEUE)]);
      children.push(sgfw);
      let err = '';
      sgfw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await waitFor(sgfw, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
      const before = err.length;
      const client = await run(pair!.peer, CLIENT, [HOST, String(PORT), String(BYTES)]);
      expect(client).toBe(`client received ${BYTES}`);
      // the server's line comes once it has read the client's end
      expect((await serverLines(i + 1))[i]).toBe(`server received ${BYTES}`);
      expect(await stopProcess(sgfw, 'SIGTERM')).toBe(0);
      const stop = err.slice(before).split('\n').filter((l) => l.includes('"event":"stop"')).map((l) => JSON.parse(l))[0];
      expect(stop, err).toBeDefined();
      // every packet judged and allowed: the handshake by the rule, the rest as the tracked flow
      expect(stop.dropped).toBe(0);
      expect(stop.queue.received).toBe(stop.packets);
      expect(stop.queue.gsoQueues).toBe(Number(workers));
      // super-packets reached the queue whole, and only their headers were copied
      expect(stop.queue.gsoPackets).toBeGreaterThan(0);
      expect(stop.queue.headersOnly).toBeGreaterThan(0);
      // far fewer packets than 1500-byte segments of 2 × 16 MB would be
      expect(stop.packets).toBeLessThan((2 * BYTES) / 1448);
    }, 120_000);
  }
});
