// WorkersRun's SIGHUP: the model's own hangup first (a reload of the state files), and the promise
// systemd's READY=1 waits on settles only once every worker has acked what the reload changed — a
// pool whose ack is held keeps the hangup pending, and a pool that failed does not reject it. And a
// worker that fails stops the run as a crash does: one fatal line saying why, exit 1.
import { describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { exitOnWorkerFailure, WorkersRun } from '../../src/cli/run-workers.js';
import type { LiveModel } from '../../src/cli/live-model.js';
import type { RunOptions } from '../../src/cli/run-options.js';
import { capturedLogger } from '../support/captured-logger.js';

function fixture(inForce: () => Promise<void>) {
  const steps: string[] = [];
  const live = {
    dataplane: { onApplied: null },
    view: { interfaces: () => [] },
    api: null,
    reloads: { reloads: 0, failures: 0 },
    readyNote: '',
    hangupHint: ', SIGHUP to reload',
    metricFamilies: () => [],
    hangup: async () => {
      steps.push('reload');
    },
    close: async () => {},
  } as unknown as LiveModel;
  const options = { log: capturedLogger().log, dropRate: 0, flowLog: { flowLogFile: undefined } } as unknown as RunOptions;
  const pool = {
    apply() {},
    inForce: () => {
      steps.push('in-force asked');
      return inForce();
    },
    scrape: async () => [],
    onOutput: null,
    ready: async () => {},
    close: async () => {},
    threads: [],
  };
  return { steps, run: WorkersRun.open(options, live), pool };
}

describe('WorkersRun.hangup', () => {
  it('settles only once every worker has what the reload changed', async () => {
    let ack: () => void = () => {};
    const { steps, run, pool } = fixture(() => new Promise<void>((resolve) => (ack = resolve)));
    await run.start(() => pool, 'host');
    let settled = false;
    const hangup = run.hangup().then(() => (settled = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(steps).toEqual(['reload', 'in-force asked']);
    expect(settled).toBe(false);
    ack();
    await hangup;
    expect(settled).toBe(true);
    await run.close();
  });

  it('does not reject when a worker failed (the pool reports that itself)', async () => {
    const { run, pool } = fixture(() => Promise.reject(new Error('worker 1 exited')));
    await run.start(() => pool, 'host');
    await expect(run.hangup()).resolves.toBeUndefined();
    await run.close();
  });
});

describe('a worker that fails stops the run', () => {
  it('logs one fatal line naming the failure and what the stop leaves, and exits 1', () => {
    const { log, lines } = capturedLogger();
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      exitOnWorkerFailure({ log }, 'stopping with the rules left in')(new Error('worker 2 exited with code 70'));
      expect(exit).toHaveBeenCalledWith(ExitCode.failed);
    } finally {
      exit.mockRestore();
    }
    expect(lines()).toEqual([
      expect.objectContaining({ event: 'worker-failed', error: 'worker 2 exited with code 70', msg: 'a worker thread failed, stopping with the rules left in: worker 2 exited with code 70' }),
    ]);
    expect(lines()[0]!.level).toBe(60);
  });
});
