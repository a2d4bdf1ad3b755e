// The --store-* flags of `sgfw serve` and `sgfw run` (issue 19), from the command line, SGFW_* and
// the config file alike: what reaches the StoreUrl, and the one line each mistake gets (exit 2).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigPlace } from '../../src/cli/command.js';
import { commandArgs } from '../../src/cli/config-args.js';
import { storeFlags } from '../../src/cli/flags-store.js';
import { runCli } from '../../src/cli/run-cli.js';
import { runCommand } from '../../src/cli/run.js';
import { serveCommand } from '../../src/cli/serve.js';
import { captureIo } from './capture-io.js';

const ROOT = join(import.meta.dirname, '..', '..');
const COMMANDS = [serveCommand, runCommand];
let dir = '';
const f = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgfw-flags-store-'));
  execFileSync('bash', [join(ROOT, 'scripts', 'etcd-certs.sh'), dir, 'agent'], { timeout: 60_000 });
  // a client certificate that ends in 10 days
  execFileSync('bash', ['-c', `cd ${dir} && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout short.key -out short.csr -subj /CN=short 2>/dev/null &&
    printf 'extendedKeyUsage=clientAuth\\n' > short.ext && openssl x509 -req -in short.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 10 -extfile short.ext -out short.pem 2>/dev/null`]);
  writeFileSync(f('password'), 'pw-from-file\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sgfw(env: Record<string, string>, ...argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, COMMANDS, { env, defaultConfigFile: f('absent.conf') });
  return { code, out: io.out(), err: io.err() };
}

function place(env: Record<string, string>): ConfigPlace {
  return { env, defaultFile: f('absent.conf'), commands: COMMANDS };
}

describe('--store-ca, --store-cert, --store-key, --store-user, --store-password-file', () => {
  it('reach the store from the config file, with the password from SGFW_STORE_PASSWORD', () => {
    const conf = f('agent.conf');
    writeFileSync(conf, ['[run]', 'store = etcds://127.0.0.1:1,127.0.0.1:2/fleet/', `store-ca = ${f('ca.pem')}`, `store-cert = ${f('agent.pem')}`, `store-key = ${f('agent.key')}`, 'store-user = agent-h1', ''].join('\n'));
    const env = { SGFW_STORE_PASSWORD: 'pw-from-env' };
    const args = commandArgs(runCommand, ['--config', conf, '--mode', 'host', '--host-id', 'h1'], place(env));
    const given = storeFlags(args, env)!;
    expect(given.text).toBe('etcds://127.0.0.1:1,127.0.0.1:2/fleet/');
    expect(given.store.endpoints).toEqual(['https://127.0.0.1:1', 'https://127.0.0.1:2']);
    expect(given.store.tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(given.store.tls?.key?.toString()).toContain('PRIVATE KEY');
    expect(given.store.auth).toEqual({ user: 'agent-h1', password: 'pw-from-env' });
  });

  it('take the password from --store-password-file given as SGFW_STORE_PASSWORD_FILE', () => {
    const env = { SGFW_STORE: 'etcds://127.0.0.1:1', SGFW_STORE_USER: 'sgfw-api', SGFW_STORE_PASSWORD_FILE: f('password') };
    const args = commandArgs(serveCommand, [], place(env));
    expect(storeFlags(args, env)!.store.auth).toEqual({ user: 'sgfw-api', password: 'pw-from-file' });
  });

  it.each([
    [['serve', '--store', 'etcds://127.0.0.1:1', '--store-ca', '/nonexistent/ca.pem'], {}, 'sgfw serve: --store-ca /nonexistent/ca.pem: cannot read it (no such file)\n'],
    [['run', '--mode', 'host', '--store', 'etcds://127.0.0.1:1', '--host-id', 'h1', '--store-cert', 'CERT', '--store-key', 'CA'], {}, 'sgfw run: --store-key CA: not an unencrypted PEM private key\n'],
  ])('a file that cannot serve: one line, exit 2 (%j)', async (argv, env, line) => {
    const named = argv.map((a) => (a === 'CERT' ? f('agent.pem') : a === 'CA' ? f('ca.pem') : a));
    const r = await sgfw(env, ...named);
    expect(r.code).toBe(2);
    expect(r.err).toBe(line.replace('CA', f('ca.pem')));
  });

  it.each([
    [['serve', '--store-ca', 'x.pem'], {}, '--store-ca goes with --store etcds://…'],
    [['run', '--mode', 'host', '--state', 'a.json', '--store-user', 'u', '--store-password-file', 'p'], {}, '--store-user, --store-password-file go with --store etcds://…'],
    [['run', '--mode', 'host', '--store', 'etcd://127.0.0.1:1', '--host-id', 'h1', '--store-ca', 'x.pem'], {}, '--store-ca is for TLS: write the store as etcds://… (etcd:// is plain HTTP)'],
    [['serve', '--store', 'etcds://127.0.0.1:1', '--store-cert', 'x.pem'], {}, '--store-cert and --store-key go together (mutual TLS needs the certificate and its key)'],
    [['serve', '--store', 'etcds://127.0.0.1:1', '--store-user', 'u'], {}, '--store-user u needs its password: --store-password-file FILE or SGFW_STORE_PASSWORD'],
    [['serve', '--store', 'etcds://127.0.0.1:1'], { SGFW_STORE_PASSWORD: 'x' }, 'SGFW_STORE_PASSWORD is set but --store-user is not: name the etcd user, or unset it'],
  ] as [string[], Record<string, string>, string][])('flags that do not go together: usage error (%j)', async (argv, env, message) => {
    const r = await sgfw(env, ...argv);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`sgfw ${argv[0]}: ${message}`);
  });

  it('an empty SGFW_STORE_PASSWORD is unset, as every SGFW_* variable', async () => {
    const r = await sgfw({ SGFW_STORE_PASSWORD: '' }, 'serve', '--store', 'etcds://127.0.0.1:1', '--store-user', 'u');
    expect(r.err).toMatch(/--store-user u needs its password/);
  });

  it('are in --help of both commands, and there is no flag for the password itself', async () => {
    for (const command of ['serve', 'run']) {
      const r = await sgfw({}, command, '--help');
      for (const flag of ['--store-ca FILE', '--store-cert FILE', '--store-key FILE', '--store-user NAME', '--store-password-file FILE', 'etcd[s]://']) expect(r.out).toContain(flag);
      expect(r.out).toContain('SGFW_STORE_PASSWORD');
      expect((await sgfw({}, command, '--store-password', 'x')).err).toMatch(/unknown flag --store-password\n/);
    }
  });

  it('the password from SGFW_STORE_PASSWORD is never logged, even when the start fails', () => {
    const state = f('api');
    execFileSync(process.execPath, [join(ROOT, 'bin', 'sgfw.js'), 'credentials', 'create', '--state-dir', state], { encoding: 'utf8' });
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'sgfw.js'), 'serve', '--config', 'none', '--state-dir', state, '--listen', '127.0.0.1:0', '--store', 'etcds://127.0.0.1:1', '--store-ca', f('ca.pem'), '--store-user', 'u', '--log-level', 'debug'],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SGFW_STORE_PASSWORD: 'pw-never-shown' } },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/"event":"start-failed"/);
    expect(r.stderr + r.stdout).not.toContain('pw-never-shown');
  });

  it('a client certificate ending within 30 days is a warning at start, naming the date', () => {
    const state = f('api-short');
    execFileSync(process.execPath, [join(ROOT, 'bin', 'sgfw.js'), 'credentials', 'create', '--state-dir', state], { encoding: 'utf8' });
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'sgfw.js'), 'serve', '--config', 'none', '--state-dir', state, '--listen', '127.0.0.1:0', '--store', 'etcds://127.0.0.1:1',
        '--store-ca', f('ca.pem'), '--store-cert', f('short.pem'), '--store-key', f('short.key')],
      { encoding: 'utf8', timeout: 30_000 },
    );
    const warning = r.stderr.split('\n').find((l) => l.includes('"store-cert-expiring"'));
    expect(warning, r.stderr).toMatch(/"level":40.*"days":9\.9.*--store-cert expires on 20\d\d-.* \(in 9\.9 days\): etcd refuses it from then on; renew it and restart/);
  });
});
