// `systemd-analyze verify` on every unit of packaging/systemd/. verify insists that ExecStart's
// program exists, so it checks copies whose /usr/local/bin/sgfw (where `npm install -g` puts sgfw
// with npm's default prefix) is a link to this checkout's bin/sgfw.js; nothing else is changed.
// verify reports a bad line as a warning with exit 0, so its output must be empty too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const UNITS = join(ROOT, 'packaging', 'systemd');
const INSTALLED = '/usr/local/bin/sgfw';
const dir = mkdtempSync(join(tmpdir(), 'sgfw-units-'));
const sgfw = join(dir, 'sgfw');
symlinkSync(join(ROOT, 'bin', 'sgfw.js'), sgfw);

function verify(name: string, text: string): string {
  const copy = join(dir, name);
  writeFileSync(copy, text.replaceAll(INSTALLED, sgfw));
  const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return `${r.status === 0 ? '' : `exit ${r.status}\n`}${r.stdout}${r.stderr}`;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('packaging/systemd', () => {
  const units = readdirSync(UNITS).filter((f) => f.endsWith('.service'));

  it('has the four units', () => {
    expect(units.sort()).toEqual(['sgfw-agent.service', 'sgfw-host.service', 'sgfw-inline@.service', 'sgfw-serve.service']);
  });

  it.each(units)('%s passes systemd-analyze verify without a warning', (name) => {
    expect(verify(name, readFileSync(join(UNITS, name), 'utf8'))).toBe('');
  });

  it.each(units)('%s is Type=notify, restarts on failure, reloads with SIGHUP, is hardened, runs /usr/local/bin/sgfw', (name) => {
    const text = readFileSync(join(UNITS, name), 'utf8');
    for (const line of [
      'Type=notify', 'NotifyAccess=main', 'Restart=on-failure', 'ExecReload=/bin/kill -HUP $MAINPID', 'StateDirectory=sgfw',
      'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'NoNewPrivileges=yes', 'SystemCallArchitectures=native',
      'LockPersonality=yes', 'MemoryDenyWriteExecute=no',
    ]) {
      expect(text.split('\n'), `${name}: ${line}`).toContain(line);
    }
    expect(text).toMatch(/^WatchdogSec=\d+s$/m);
    expect(text).toMatch(/^ExecStart=.*\/usr\/local\/bin\/sgfw (run|serve)/m);
  });

  it('a bad line is caught (the check can fail)', () => {
    const host = readFileSync(join(UNITS, 'sgfw-host.service'), 'utf8');
    expect(verify('broken.service', host.replace('Type=notify', 'Type=notifyy'))).toContain("Failed to parse service type, ignoring: notifyy");
  });
});
