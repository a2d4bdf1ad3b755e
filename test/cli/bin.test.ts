import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The real executable, as `npx sgfw` runs it: bin/sgfw.js imports dist/, which the vitest
// globalSetup (test/support/build-dist.ts) compiles before any test runs.

function sgfw(...args: string[]) {
  return sgfwWith({}, ...args);
}

function sgfwWith(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/sgfw.js', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the sgfw executable', () => {
  it('describes the bundled Albert state', () => {
    const r = sgfw('describe', '--state', 'pcaps/albert/state.json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('GROUP\tsg-0a1b2c3d4e5f60001\t111122223333\tdefault\tdefault VPC security group');
  });

  it('exits 2 with one line for an unknown flag', () => {
    const r = sgfw('describe', '--nope');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('sgfw describe: unknown flag --nope');
  });

  it('prints its version', () => {
    expect(execFileSync(process.execPath, ['bin/sgfw.js', 'version'], { encoding: 'utf8' })).toMatch(/^sgfw \d+\.\d+\.\d+\n$/);
  });

  it('runs replay with its flags from a config file, SGFW_* and flags over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-bin-config-'));
    const verdicts = join(dir, 'verdicts.jsonl');
    const config = join(dir, 'sgfw.conf');
    writeFileSync(config, ['# replay the Albert capture', 'state = pcaps/albert/state.json', '[replay]', `verdicts = ${verdicts}`, 'json = false', ''].join('\n'));
    const r = sgfwWith({ SGFW_CONFIG: config }, 'replay', 'pcaps/albert/albert.pcap');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^frames 12 {2}allowed 8 {2}dropped 4$/m);
    expect(readFileSync(verdicts, 'utf8').trim().split('\n')).toHaveLength(12);
    expect(JSON.parse(sgfwWith({ SGFW_CONFIG: config, SGFW_JSON: 'true' }, 'replay', 'pcaps/albert/albert.pcap').out)).toMatchObject({ frames: 12 });
    expect(sgfwWith({ SGFW_CONFIG: config }, 'config', 'check')).toEqual({ code: 0, out: `${config}: ok\n`, err: '' });
  });

  it('exits 2 naming the line of a bad config file', () => {
    const config = join(mkdtempSync(join(tmpdir(), 'sgfw-bin-config-')), 'sgfw.conf');
    writeFileSync(config, 'state = pcaps/albert/state.json\n[run]\nqueue = many\n');
    expect(sgfw('replay', '--config', config, 'pcaps/albert/albert.pcap')).toEqual({
      code: 2,
      out: '',
      err: `sgfw replay: ${config}:3: --queue expects 0–65535, got 'many'\n`,
    });
    expect(sgfw('config', 'check', config)).toEqual({ code: 2, out: '', err: `${config}:3: --queue expects 0–65535, got 'many'\n` });
  });
});
