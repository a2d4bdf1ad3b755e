// kill -9 at random moments while calls are being applied (issue 4: "a kill -9 at any moment loses
// no acknowledged change and never leaves a half-applied one").
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDurableStore } from '../../../src/state/durable-store.js';
import { SeqIds, observable, referenceService } from './workload.js';

const CHILD = join(import.meta.dirname, 'crash-child.ts');
const VITE_NODE = join(process.cwd(), 'node_modules', '.bin', 'vite-node');

/** Runs the child until it has acknowledged `acks` calls, then SIGKILLs it after `delayMs`. */
function runAndKill(dir: string, acks: number, delayMs: number): Promise<{ opened: number; lastAck: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(VITE_NODE, [CHILD, dir, '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let opened = -1;
    let lastAck = -1;
    let seen = 0;
    let buffer = '';
    let stderr = '';
    let killing = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const [word, n] = buffer.slice(0, nl).split(' ');
        buffer = buffer.slice(nl + 1);
        if (word === 'open') opened = Number(n);
        if (word === 'ack') {
          lastAck = Number(n);
          seen++;
        }
      }
      if (seen >= acks && !killing) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the child exited by itself (${code}): ${stderr}`));
      else resolve({ opened, lastAck });
    });
  });
}

describe('a kill -9 at any moment loses no acknowledged change and leaves no half-applied one', () => {
  it('after each of several kills the store reopens with every acknowledged call and nothing else', { timeout: 30_000 }, async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sgfw-crash-')), 'state');
    let expectedStart = 0;
    for (let round = 0; round < 3; round++) {
      const acks = 5 + Math.floor(Math.random() * 40);
      const { opened, lastAck } = await runAndKill(dir, acks, Math.random() * 4);
      expect(opened).toBe(expectedStart);
      expect(lastAck).toBeGreaterThanOrEqual(expectedStart + acks);

      const ids = new SeqIds();
      const store = await openDurableStore(dir, { snapshotEvery: 7, service: { idGenerator: ids.next }, onWarning: () => undefined });
      // Calls are applied one at a time, so at most the one in flight may be there unacknowledged.
      expect(store.seq).toBeGreaterThanOrEqual(lastAck);
      expect(store.seq).toBeLessThanOrEqual(lastAck + 1);
      expect(observable(store.service)).toEqual(observable(referenceService(store.seq)));
      expectedStart = store.seq;
      await store.close();
    }
  });
});
