// The sched addon's loader: a missing addon is one error naming the flag and the command that
// builds it; where it is built (CI and root machines: setup.sh builds the addons), it reads the
// calling thread's class and id.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeThreadRealtime, SCHED_ADDON, threadScheduling } from '../../src/capture/realtime-thread.js';

const rootOrCi = process.getuid?.() === 0 || Boolean(process.env.CI);

describe('realtime-thread', () => {
  it('names the flag and the build command when the addon does not load', () => {
    expect(() => makeThreadRealtime(10, '/nonexistent/sched.node')).toThrow(
      /^--realtime-workers: the sched addon does not load \(Cannot find module '\/nonexistent\/sched.node'.*\); build it with 'bash scripts\/build-native.sh'/,
    );
    expect(threadScheduling('/nonexistent/sched.node')).toBeNull();
  });

  it.runIf(rootOrCi)('reads this thread: the normal class, its id the process id (the main thread)', () => {
    expect(existsSync(SCHED_ADDON)).toBe(true);
    expect(threadScheduling()).toEqual({ policy: 'other', priority: 0, tid: process.pid });
  });
});
