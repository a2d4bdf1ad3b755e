// `sgfw run --mode monitor --metrics`: the listener serves what the monitor counts, like the
// enforcing modes' (frames, would-be verdicts by reason, conntrack), with /status, /healthz and
// /readyz. Captures on the loopback interface, where the scrapes themselves are traffic to judge.
// Needs root (a packet capture); skipped only outside CI when not root.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExposition } from '../../observe/exposition.js';
import { stopProcess, waitFor } from '../host-mode/netns.js';
import { freePort } from '../../support/free-port.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SGFW = join(ROOT, 'bin', 'sgfw.js');
const STATE = join(ROOT, 'pcaps', 'conntrack', 'state.json');
const enabled = process.getuid?.() === 0 || Boolean(process.env.CI);
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) await stopProcess(c, 'SIGINT');
});

describe.runIf(enabled)('monitor mode serves --metrics', () => {
  it('counts the frames it captures and their would-be verdicts, and answers /status, /healthz and /readyz', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-monitor-metrics-'));
    const monitor = spawn(process.execPath, [SGFW, 'run', '--mode', 'monitor', '--interface', 'lo', '--state', STATE, '--metrics', `127.0.0.1:${port}`, '--verdicts', join(dir, 'v.jsonl')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(monitor);
    await waitFor(monitor, 'stderr', 'SIGINT/SIGTERM to stop', 15_000);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // Each scrape is loopback traffic: poll until the monitor has judged some.
    let m = parseExposition(await (await fetch(`${base}/metrics`)).text());
    for (let i = 0; i < 100 && !(m.get('sgfw_monitor_frames_total')!.samples[0]!.value > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      m = parseExposition(await (await fetch(`${base}/metrics`)).text());
    }
    expect(m.get('sgfw_monitor_frames_total')!.samples[0]!.value).toBeGreaterThan(0);
    const judged = m.get('sgfw_packets_total')!.samples;
    expect(judged.length).toBeGreaterThan(0);
    expect(judged.every((s) => s.labels.verdict === 'allow' || s.labels.verdict === 'drop')).toBe(true);
    expect(m.get('sgfw_conntrack_capacity')!.samples[0]!.value).toBeGreaterThan(0);
    expect(m.get('sgfw_classifier_rebuild_seconds')!.type).toBe('histogram');
    expect(m.has('sgfw_build_info')).toBe(true);
    const status = (await (await fetch(`${base}/status`)).json()) as { status: string; mode: string; interfaces: string[] };
    expect(status).toMatchObject({ status: 'running', mode: 'monitor' });
    expect(status.interfaces.length).toBeGreaterThan(0);
    expect(await stopProcess(monitor, 'SIGINT')).toBe(0);
    // the listener goes with the process
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 60_000);
});
