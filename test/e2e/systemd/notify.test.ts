// sgfw under a service manager's eye: the real executable, NOTIFY_SOCKET naming a datagram socket
// this test binds (notify-receiver.ts), and what arrives there: READY=1 only once the API answers
// (serve) or the NFQUEUE rules are in (host mode, in a network namespace: needs root, skipped only
// outside CI when not root), RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM, and
// WATCHDOG=1 pings when WATCHDOG_USEC is set.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NFQUEUE_ADDON } from '../../../src/capture/nfqueue.js';
import { SDNOTIFY_ADDON } from '../../../src/capture/sd-notify.js';
import { stopProcess, waitFor } from '../host-mode/netns.js';
import { notifyReceiver, type NotifyReceiver } from './notify-receiver.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'bin', 'sgfw.js');
const QUEUE = 9;
const asRoot = process.getuid?.() === 0 || Boolean(process.env.CI);
const dir = mkdtempSync(join(tmpdir(), 'sgfw-notify-'));
const running: ChildProcess[] = [];
const receivers: NotifyReceiver[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function sgfw(argv: string[], env: Record<string, string>, prefix: string[] = []): ChildProcess {
  const all = [...prefix, process.execPath, ENTRY, ...argv];
  const c = spawn(all[0]!, all.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.push(c);
  return c;
}

function firstLines(r: NotifyReceiver, from = 0): string[] {
  return r.messages.slice(from).map((m) => m.message.split('\n')[0]!).filter((l) => l !== 'WATCHDOG=1');
}

afterEach(async () => {
  for (const c of running.splice(0)) await stopProcess(c, 'SIGKILL');
  for (const r of receivers.splice(0)) r.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sgfw serve under systemd', () => {
  it('READY=1 once the API answers, RELOADING=1/READY=1 on SIGHUP, STOPPING=1 on SIGTERM, WATCHDOG=1 pings', async () => {
    expect(existsSync(SDNOTIFY_ADDON), `${SDNOTIFY_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    const port = await freePort();
    const probe = `import http.client; c = http.client.HTTPConnection('127.0.0.1', ${port}, timeout=5); c.request('GET', '/'); print('HTTP', c.getresponse().status)`;
    const socket = `@sgfw-notify-${process.pid}`;
    const r = await notifyReceiver(socket, ['python3', '-c', probe]);
    receivers.push(r);
    const serve = sgfw(['serve', '--state-dir', join(dir, 'serve'), '--listen', `127.0.0.1:${port}`], {
      NOTIFY_SOCKET: socket,
      // pings every 100 ms
      WATCHDOG_USEC: '200000',
    });
    const ready = await r.next('READY=1', 0);
    // The probe ran when READY=1 arrived: any HTTP status means the API was answering.
    expect(r.messages[ready]!.atReady).toMatch(/^HTTP \d{3}/);
    expect(r.messages[ready]!.message).toBe(`READY=1\nSTATUS=API on http://127.0.0.1:${port} (state ${join(dir, 'serve')})`);

    const firstPing = await r.next('WATCHDOG=1', 0);
    await r.next('WATCHDOG=1', firstPing + 1);

    const before = r.messages.length;
    serve.kill('SIGHUP');
    const reloading = await r.next('RELOADING=1', before);
    expect(r.messages[reloading]!.message).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading$/);
    await r.next('READY=1', reloading + 1);

    const beforeStop = r.messages.length;
    const exit = stopProcess(serve, 'SIGTERM');
    await r.next('STOPPING=1', beforeStop);
    expect(await exit).toBe(0);
    expect(firstLines(r)).toEqual(['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
  }, 60_000);

  it('sends nothing and loads no addon without NOTIFY_SOCKET', async () => {
    const serve = sgfw(['serve', '--state-dir', join(dir, 'plain'), '--listen', '127.0.0.1:0'], {});
    await waitFor(serve, 'stderr', 'listening on', 15_000);
    // A process that loaded the addon has its file mapped.
    const maps = readFileSync(`/proc/${serve.pid}/maps`, 'utf8');
    expect(maps).not.toContain('sdnotify.node');
    expect(await stopProcess(serve, 'SIGTERM')).toBe(0);
  }, 30_000);
});

describe.runIf(asRoot)('sgfw run --mode host under systemd', () => {
  const ns = `sgfw-sd-${process.pid % 100000}`;

  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // never made
    }
  });

  it('READY=1 once the NFQUEUE rules are in, and the stop and reload steps', async () => {
    expect(existsSync(NFQUEUE_ADDON), `${NFQUEUE_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    expect(existsSync(SDNOTIFY_ADDON), `${SDNOTIFY_ADDON.pathname} is not built: run bash scripts/build-native.sh`).toBe(true);
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const inNs = ['ip', 'netns', 'exec', ns];
    const socket = join(dir, 'notify.sock');
    // Bound inside the namespace; iptables there at READY=1 shows what sgfw had installed.
    const r = await notifyReceiver(socket, ['iptables', '-w', '-S'], inNs);
    receivers.push(r);
    const host = sgfw(
      ['run', '--mode', 'host', '--state', join(ROOT, 'pcaps', 'albert', 'state.json'), '--queue', String(QUEUE), '--workers', '1'],
      { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' },
      inNs,
    );
    const ready = await r.next('READY=1', 0);
    expect(r.messages[ready]!.atReady).toContain(`-j NFQUEUE --queue-num ${QUEUE}`);
    expect(r.messages[ready]!.message).toMatch(/^READY=1\nSTATUS=host mode on NFQUEUE 9, 1 managed interfaces, model version \d+$/);

    const before = r.messages.length;
    host.kill('SIGHUP');
    const reloading = await r.next('RELOADING=1', before);
    await r.next('READY=1', reloading + 1);

    const beforeStop = r.messages.length;
    const exit = stopProcess(host, 'SIGTERM');
    await r.next('STOPPING=1', beforeStop);
    expect(await exit).toBe(0);
    // WATCHDOG_PID names another process (pid 1): the watchdog is not sgfw's, no pings.
    expect(r.messages.map((m) => m.message.split('\n')[0])).toEqual(['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
  }, 60_000);
});
