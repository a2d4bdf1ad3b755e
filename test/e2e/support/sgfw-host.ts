// `sgfw run --mode host` as an operator starts it inside a host namespace: the built executable
// (bin/sgfw.js → dist/), ready once it prints how to stop it.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnInNs, stopProcess, waitFor } from '../host-mode/netns.js';

export const SGFW_ENTRY = join(import.meta.dirname, '..', '..', '..', 'bin', 'sgfw.js');

export interface HostSgfw {
  readonly ns: string;
  readonly child: ChildProcess;
  /** everything it wrote on stderr so far (start line, JSON logs): for failure messages */
  stderr(): string;
  /** SIGTERM (SIGKILL after 15 s); its exit code */
  stop(): Promise<number | null>;
}

export interface HostSgfwOptions {
  stateFiles: string[];
  queue: number;
  /** more flags, e.g. ['--verdicts', file] */
  extra?: string[];
  /** how long to wait for the ready line */
  readyMs?: number;
}

/** Starts sgfw in `ns` and resolves once it enforces; rejects (after killing it) if it does not. */
export async function startHostSgfw(ns: string, o: HostSgfwOptions): Promise<HostSgfw> {
  // The ready line is an info record (--log-level warn would hide it): quiet the drop lines instead.
  const args = [SGFW_ENTRY, 'run', '--mode', 'host', '--queue', String(o.queue), '--drop-log-rate', '0'];
  for (const f of o.stateFiles) args.push('--state', f);
  args.push(...(o.extra ?? []));
  const child = spawnInNs(ns, process.execPath, args);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // stdout is not used; drained so a chatty build cannot block on a full pipe.
  child.stdout!.resume();
  const sgfw: HostSgfw = { ns, child, stderr: () => err, stop: () => stopProcess(child, 'SIGTERM') };
  try {
    await waitFor(child, 'stderr', 'SIGINT/SIGTERM to stop', o.readyMs ?? 15_000);
  } catch (e) {
    await stopProcess(child, 'SIGKILL');
    throw new Error(`sgfw in ${ns} did not start: ${(e as Error).message}\nstderr: ${err}`);
  }
  return sgfw;
}
