// Per-packet outputs of worker threads reach the main thread in batches and are written as one
// output: verdict lines numbered 1…N in the order the writer takes them, flow observations handed
// on, drop lines re-sampled at the run's rate; a batch goes once per event-loop turn, or at once
// when it grows large.
import { describe, expect, it } from 'vitest';
import { WorkerOutputBuffer, WorkerOutputWriter, type WorkerOutputBatch } from '../../src/live/worker-output.js';
import { DropSampler } from '../../src/observe/drop-sampler.js';
import type { FlowObservation } from '../../src/observe/flow-log.js';

const line = (frame: number, verdict = 'allow'): string => `${JSON.stringify({ frame, verdict, reason: 'rule', interfaces: ['eni-1'], rules: [] })}\n`;
const flow = (bytes: number): FlowObservation => ({ interfaceId: 'eni-1', srcaddr: '192.0.2.1', dstaddr: '10.0.0.5', srcport: 1, dstport: 2, protocol: 17, bytes, time: 100, accepted: true });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('a worker gathers its outputs into batches', () => {
  it('posts once per event-loop turn, whatever it gathered in it, and nothing when idle', async () => {
    const posted: WorkerOutputBatch[] = [];
    const out = new WorkerOutputBuffer((b) => posted.push(b));
    out.write(line(1));
    out.write(line(2));
    out.window().add(flow(10));
    out.info({ reason: 'ingress-no-rule' }, 'packet dropped');
    expect(posted).toHaveLength(0);
    await turn();
    expect(posted).toEqual([{ verdicts: line(1) + line(2), flows: [flow(10)], drops: [{ fields: { reason: 'ingress-no-rule' }, message: 'packet dropped' }] }]);
    await turn();
    expect(posted).toHaveLength(1);
  });

  it('a large batch goes at once, before the turn ends', () => {
    const posted: WorkerOutputBatch[] = [];
    const out = new WorkerOutputBuffer((b) => posted.push(b));
    const long = line(1).padEnd(1000, ' ');
    for (let i = 0; i < 300; i++) out.write(long);
    expect(posted.length).toBeGreaterThan(0);
    for (let i = 0; i < 5000; i++) out.add(flow(i));
    expect(posted.some((b) => b.flows.length === 4096)).toBe(true);
  });
});

describe('the main thread writes the workers\' batches as one output', () => {
  it('numbers verdict lines in the order it takes them, keeping the rest of each line', () => {
    const written: string[] = [];
    const writer = new WorkerOutputWriter({ verdicts: { write: (t: string) => written.push(t) } });
    writer.take({ verdicts: line(1) + line(2, 'drop'), flows: [], drops: [] });
    writer.take({ verdicts: line(1), flows: [], drops: [] });
    const lines = written.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.frame)).toEqual([1, 2, 3]);
    expect(lines.map((l) => l.verdict)).toEqual(['allow', 'drop', 'allow']);
    expect(written.join('')).toBe(line(1) + line(2, 'drop') + line(3));
  });

  it('hands flow observations on and re-samples drop lines at its own rate', () => {
    const flows: FlowObservation[] = [];
    const logged: unknown[] = [];
    const sampler = new DropSampler(2);
    const writer = new WorkerOutputWriter({ flows: { add: (o) => flows.push(o) }, drops: { sampler, logger: { info: (fields) => logged.push(fields) } } });
    const drops = [1, 2, 3].map((n) => ({ fields: { n }, message: 'packet dropped' }));
    writer.take({ verdicts: '', flows: [flow(1), flow(2)], drops });
    expect(flows.map((f) => f.bytes)).toEqual([1, 2]);
    expect(logged).toEqual([{ n: 1 }, { n: 2 }]);
    expect(sampler.suppressedTotal).toBe(1);
  });
});
