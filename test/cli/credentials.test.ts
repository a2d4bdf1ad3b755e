// `sgfw credentials list | delete KEY | rotate [KEY]`, and create's output read by a shell.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialsCommand } from '../../src/cli/credentials.js';
import { runCli } from '../../src/cli/run-cli.js';
import { captureIo } from './capture-io.js';

async function sgfw(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(argv, io, [credentialsCommand]);
  return { code, out: io.out(), err: io.err() };
}

const idOf = (out: string): string => /^AWS_ACCESS_KEY_ID=(\S+)$/m.exec(out)?.[1] as string;

describe('sgfw credentials', () => {
  it('create prints lines a shell evals as they are, and export $(…) exports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-cred-'));
    const made = await sgfw('credentials', 'create', '--state-dir', dir);
    expect(made.code).toBe(0);
    const shown = execFileSync('sh', ['-c', 'eval "$KEYS"; echo "$AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY"'], { env: { KEYS: made.out }, encoding: 'utf8' });
    expect(shown.trim()).toBe(made.out.trim().split('\n').map((l) => l.split(/=(.*)/s)[1]).join(' '));
    const exported = execFileSync('sh', ['-c', 'export $KEYS; sh -c \'echo "$AWS_ACCESS_KEY_ID"\''], { env: { KEYS: made.out }, encoding: 'utf8' });
    expect(exported.trim()).toBe(idOf(made.out));
  });

  it('list shows each key id and when it was made, never a secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-cred-'));
    const a = await sgfw('credentials', 'create', '--state-dir', dir);
    const b = await sgfw('credentials', 'create', '--state-dir', dir);
    const listed = await sgfw('credentials', 'list', '--state-dir', dir);
    expect(listed.code).toBe(0);
    const rows = listed.out.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual([idOf(a.out), idOf(b.out)]);
    for (const r of rows) expect(Number.isNaN(Date.parse(r[1]))).toBe(false);
    expect(listed.out).not.toContain(/AWS_SECRET_ACCESS_KEY=(\S+)/.exec(a.out)?.[1]);
    // a state directory with no key lists nothing
    expect(await sgfw('credentials', 'list', '--state-dir', await mkdtemp(join(tmpdir(), 'sgfw-cred-')))).toMatchObject({ code: 0, out: '' });
  });

  it('delete KEY removes that key only; an unknown key is one clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-cred-'));
    const a = idOf((await sgfw('credentials', 'create', '--state-dir', dir)).out);
    const b = idOf((await sgfw('credentials', 'create', '--state-dir', dir)).out);
    expect((await sgfw('credentials', 'delete', a, '--state-dir', dir)).code).toBe(0);
    expect((await sgfw('credentials', 'list', '--state-dir', dir)).out).toMatch(new RegExp(`^${b}\\t[^\\n]+\\n$`));
    const again = await sgfw('credentials', 'delete', a, '--state-dir', dir);
    expect(again.code).toBe(2);
    expect(again.err).toBe(`sgfw credentials: ${join(dir, 'credentials.json')}: no access key ${a} (see 'sgfw credentials list --state-dir ${dir}')\n`);
    expect((await sgfw('credentials', 'delete', '--state-dir', dir)).err).toMatch(/delete needs the access key id/);
  });

  it('rotate replaces a key with a new one in one write and prints it; alone, only when there is one key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgfw-cred-'));
    const a = idOf((await sgfw('credentials', 'create', '--state-dir', dir)).out);
    const rotated = await sgfw('credentials', 'rotate', '--state-dir', dir);
    expect(rotated.code).toBe(0);
    const c = idOf(rotated.out);
    expect(c).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(c).not.toBe(a);
    expect(rotated.err).toBe(`sgfw credentials: replaced ${a} with ${c}\n`);
    const file = await readFile(join(dir, 'credentials.json'), 'utf8');
    expect(file).toContain(c);
    expect(file).not.toContain(a);
    idOf((await sgfw('credentials', 'create', '--state-dir', dir)).out);
    const ambiguous = await sgfw('credentials', 'rotate', '--state-dir', dir);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toMatch(/holds 2 access keys; name the one to rotate/);
    expect((await sgfw('credentials', 'rotate', c, '--state-dir', dir)).code).toBe(0);
  });

  it('an unknown subcommand is a usage error naming the ones there are', async () => {
    const r = await sgfw('credentials', 'revoke', '--state-dir', '/tmp');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown subcommand 'revoke' \(expected create, list, delete, rotate\)/);
  });
});
