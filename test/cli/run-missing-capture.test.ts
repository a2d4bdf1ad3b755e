// A live mode whose capture is not there: sgfw copied (dist/, bin/, package.json) to a folder with
// no native-bindings/ (no addon built) and its dependencies but `cap` (npm dropped the optional
// package it could not build). Each capture method then fails in one line naming the fix, exit 1,
// before any socket is opened (so this needs no root). The default capture choice is checked too.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_METHODS, defaultCaptureMethod } from '../../src/capture/capture-method.js';

const ROOT = join(import.meta.dirname, '..', '..');
let bare = '';

/** Whether node finds `cap` from `dir` (a node_modules in a parent folder, a global path). */
function capFrom(dir: string): boolean {
  try {
    createRequire(join(dir, 'x.js')).resolve('cap');
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  // A folder from which `cap` cannot be found: a shared tmp may hold a node_modules link.
  const base = [tmpdir(), '/var/tmp', '/dev/shm'].find((d) => !capFrom(d));
  if (base === undefined) throw new Error('no temporary folder from which the package cap is not found');
  bare = mkdtempSync(join(base, 'sgfw-nocapture-'));
  for (const part of ['dist', 'bin', 'package.json']) cpSync(join(ROOT, part), join(bare, part), { recursive: true });
  mkdirSync(join(bare, 'node_modules'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name !== 'cap' && name !== '.bin') symlinkSync(join(ROOT, 'node_modules', name), join(bare, 'node_modules', name));
  }
  expect(capFrom(join(bare, 'dist', 'capture'))).toBe(false);
});

afterAll(() => {
  if (bare) rmSync(bare, { recursive: true, force: true });
});

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [join(bare, 'bin', 'sgfw.js'), 'run', ...args, '--state', join(ROOT, 'pcaps', 'albert', 'state.json')], {
    encoding: 'utf8',
    // a failure is immediate; a capture that did open would run until stopped
    timeout: 60_000,
  });
  // Monitor mode's failure reaches the CLI's own one-line error ('sgfw run: …'), inline mode's is a start-failed log record.
  const lines = r.stderr.split('\n').filter(Boolean);
  return { code: r.status, lines: lines.map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg: string }).msg : l.replace(/^sgfw run: /, ''))) };
}

describe('the capture method', () => {
  it('defaults to afpacket when its addon loads, else pcap', () => {
    expect(defaultCaptureMethod(() => true)).toBe('afpacket');
    expect(defaultCaptureMethod(() => false)).toBe('pcap');
    expect(CAPTURE_METHODS).toEqual(['afpacket', 'pcap']);
  });

  it.each([
    [['--mode', 'monitor', '--interface', 'lo', '--capture', 'afpacket'], /^--capture afpacket \(inline and monitor modes\) needs the AF_PACKET addon, which is not built: install g\+\+, make, python3, then run 'node \S+build-addons\.mjs'$/],
    [['--mode', 'monitor', '--interface', 'lo', '--capture', 'pcap'], /^--capture pcap \(inline and monitor modes\) needs the optional package cap \(libpcap\), which is not installed: install libpcap-dev/],
    // no addon built: the default is pcap, and cap is missing too
    [['--mode', 'monitor', '--interface', 'lo'], /^--capture pcap .* needs the optional package cap/],
    [['--mode', 'inline', '--inside', 'lo', '--outside', 'sgfw-none0', '--capture', 'afpacket'], /^--capture afpacket .* needs the AF_PACKET addon, which is not built/],
  ])('%j without it fails in one line naming the fix, exit 1', (args, line) => {
    const r = run(...args);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(line);
    expect(r.code).toBe(1);
  });

  it('--capture goes with inline and monitor modes, not host', () => {
    const r = run('--mode', 'host', '--capture', 'pcap');
    expect(r.code).toBe(2);
    expect(r.lines[0]).toBe('--capture goes with --mode inline or monitor (host mode reads NFQUEUE)');
  });

  it('--capture nfqueue goes with inline mode only (monitor mode captures)', () => {
    const r = run('--mode', 'monitor', '--interface', 'lo', '--capture', 'nfqueue');
    expect(r.code).toBe(2);
    expect(r.lines[0]).toBe('--capture nfqueue goes with --mode inline (monitor mode captures: afpacket or pcap)');
  });
});
