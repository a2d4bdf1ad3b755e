import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The real executable, as `npx sgfw` runs it: bin/sgfw.js imports dist/, which the vitest
// globalSetup (test/support/build-dist.ts) compiles before any test runs.

function sgfw(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/sgfw.js', ...args], { encoding: 'utf8' });
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
});
