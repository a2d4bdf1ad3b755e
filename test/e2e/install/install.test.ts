// The package as a user gets it: `npm pack` of the checkout, `npm install -g` of the tarball into a
// temporary prefix, and the installed `sgfw` run from there: a replay of a bundled capture, host
// mode in a network namespace (root; skipped only outside CI when not root), and, installed on a
// machine with no compiler (PATH holding only node and sh, so neither the addons nor `cap` build),
// every mode that needs what is missing failing in one line that names the fix, with exit 1.
// Dependencies come from npm's cache (`npm ci` filled it) or the registry.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPair, destroyPair, spawnInNs, stopProcess, tcpConnect, tcpListen, waitFor, type Pair } from '../host-mode/netns.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ADDONS = ['nfqueue', 'afpacket', 'hugepages', 'sdnotify', 'sched'];
const rootOrCi = process.getuid?.() === 0 || Boolean(process.env.CI);

/** npm's own entry point beside this node (Debian's and nodejs.org's layout), else `npm` on PATH. */
function npmCommand(): [string, string[]] {
  const cli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return existsSync(cli) ? [process.execPath, [cli]] : ['npm', []];
}

/** The environment of a user's shell: none of the npm_* variables of an `npm test` around us. */
function userEnv(path = process.env.PATH ?? ''): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  env.PATH = path;
  return env;
}

function npm(args: string[], cwd: string, env = userEnv()): { code: number | null; out: string } {
  const [cmd, pre] = npmCommand();
  const r = spawnSync(cmd, [...pre, ...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, env, encoding: 'utf8', timeout: 480_000 });
  return { code: r.status, out: `${r.error?.message ?? ''}${r.stdout}${r.stderr}` };
}

/**
 * As npm(), without blocking: `npm pack` runs prepare (tsc, the bundle, the types), which on a busy
 * machine takes longer than vitest's worker waits for an answer to its progress reports.
 */
function npmAsync(args: string[], cwd: string, env = userEnv()): Promise<{ code: number | null; out: string }> {
  const [cmd, pre] = npmCommand();
  return new Promise((done) => {
    const child = spawn(cmd, [...pre, ...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, env, timeout: 480_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => (out += e.message));
    child.on('close', (code) => done({ code, out }));
  });
}

/**
 * A folder from which `cap` does not resolve: Node looks for packages in every node_modules above
 * a file, so a prefix under a folder whose parent holds one would find a `cap` the install has not.
 */
function isolatedBase(): string {
  for (const base of [tmpdir(), '/var/tmp']) {
    try {
      createRequire(join(base, 'probe.js')).resolve('cap');
    } catch {
      return mkdtempSync(join(base, 'sgfw-install-'));
    }
  }
  throw new Error(`'cap' resolves from ${tmpdir()} and /var/tmp (a node_modules above them): no place to install sgfw without it`);
}

const base = isolatedBase();
let tarball = '';
let files: string[] = [];

/** The checkout's tracked files (and new, unignored ones) in a folder of their own, packed there. */
async function pack(): Promise<void> {
  const stage = join(base, 'stage');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const f of listed.split('\0')) {
    if (f === '' || f === 'node_modules' || !existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(stage, f)), { recursive: true });
    cpSync(join(ROOT, f), join(stage, f));
  }
  // The devDependencies `prepare` builds dist/ with, as in any checkout after `npm ci`.
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(stage, 'node_modules'));
  const out = join(base, 'out');
  mkdirSync(out);
  const r = await npmAsync(['pack', '--pack-destination', out, '--json'], stage);
  expect(r.code, r.out).toBe(0);
  tarball = join(out, `sgfw-${VERSION}.tgz`);
  files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

interface Installed {
  prefix: string;
  pkg: string;
  bin: string;
  out: string;
}

/** `npm install -g --prefix PREFIX ./sgfw-*.tgz`, install scripts' output shown. */
function install(name: string, extra: string[] = [], path?: string): Installed {
  const prefix = join(base, name);
  const r = npm(['install', '-g', '--prefix', prefix, '--foreground-scripts', ...extra, tarball], base, userEnv(path));
  expect(r.code, r.out).toBe(0);
  return { prefix, pkg: join(prefix, 'lib', 'node_modules', 'sgfw'), bin: join(prefix, 'bin', 'sgfw'), out: r.out };
}

function run(sgfw: Installed, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(sgfw.bin, args, { cwd: base, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** stderr without the JSON log records: what a person reads. */
/**
 * What sgfw said went wrong: its plain lines (errors caught before a mode starts logging), and the
 * messages of its error and fatal log records (a mode's start failure is one `start-failed` record).
 */
function said(err: string): string[] {
  return err.split('\n').filter((l) => l !== '').flatMap((l) => {
    if (!l.startsWith('{')) return [l];
    const record = JSON.parse(l) as { level: number; msg: string };
    return record.level >= 50 ? [record.msg] : [];
  });
}

beforeAll(() => pack(), 600_000);

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships dist/, the addons\' sources, the build script, the systemd units and the bundled captures', () => {
    for (const f of [
      'bin/sgfw.js',
      'dist/cli/main.js',
      'dist/bundle/main.js',
      'dist/capture/missing-addon.js',
      'native-bindings/nfqueue/binding.gyp',
      'native-bindings/nfqueue/src/nfqueue.cc',
      'native-bindings/afpacket/src/afpacket.cc',
      'native-bindings/hugepages/src/hugepages.cc',
      'native-bindings/sdnotify/src/sdnotify.cc',
      'native-bindings/sched/src/sched.cc',
      'scripts/build-addons.mjs',
      'packaging/systemd/sgfw-host.service',
      'packaging/systemd/sgfw-inline@.service',
      'packaging/systemd/sgfw-serve.service',
      'packaging/systemd/sgfw-agent.service',
      'pcaps/mary/mary.pcap',
      'pcaps/mary/state.json',
      'package.json',
      'README.md',
    ]) {
      expect(files).toContain(`package/${f}`);
    }
  });

  it('ships nothing of tests, benchmarks, CI, TypeScript sources or build leftovers', () => {
    // TypeScript declarations ship: the JS API's, and only those (scripts/build-types.mjs)
    const declarations = files.filter((f) => f.endsWith('.d.ts'));
    expect(declarations.sort()).toEqual(['index', 'replay', 'types'].map((n) => `package/dist/types/js-api/${n}.d.ts`));
    const unwanted = files.filter((f) => /^package\/(test|bench|\.ci|src|node_modules)\//.test(f) || /\/build\/|\.map$|\.ts$/.test(f.replace(/\.d\.ts$/, '')));
    expect(unwanted).toEqual([]);
  });
});

describe('npm install -g of the tarball', () => {
  let sgfw: Installed;
  beforeAll(() => {
    sgfw = install('full');
  }, 600_000);

  it('builds each addon or says in one line why not, and installs a working sgfw', () => {
    for (const a of ADDONS) {
      const lines = sgfw.out.split('\n').filter((l) => l.startsWith(`sgfw: built the ${a} addon`) || l.startsWith(`sgfw: did not build the ${a} addon`));
      expect(lines, sgfw.out).toHaveLength(1);
      // CI and root machines have the toolchain and headers (setup.sh): everything builds there.
      if (rootOrCi) expect(existsSync(join(sgfw.pkg, 'native-bindings', a, 'build', 'Release', `${a}.node`)), sgfw.out).toBe(true);
    }
    const r = run(sgfw, '--version');
    expect(r.out).toBe(`sgfw ${VERSION}\n`);
    expect(r.code).toBe(0);
  });

  it('replays a bundled capture', () => {
    const mary = join(sgfw.pkg, 'pcaps', 'mary');
    const r = run(sgfw, 'replay', '--state', join(mary, 'state.json'), '--timeline', join(mary, 'timeline.jsonl'), join(mary, 'mary.pcap'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('frames 12  allowed 8  dropped 4');
  });

  it("gives a project that depends on it the JS API by name: import and require('sgfw'), and its types", () => {
    // A project whose node_modules/sgfw is the installed package, as `npm install --save-dev sgfw-*.tgz` leaves it.
    const project = join(base, 'project');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(sgfw.pkg, join(project, 'node_modules', 'sgfw'));
    const mary = join(sgfw.pkg, 'pcaps', 'mary');
    const input = JSON.stringify({ capture: join(mary, 'mary.pcap'), state: join(mary, 'state.json'), timeline: join(mary, 'timeline.jsonl') });
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `import { replay } from 'sgfw'; const r = await replay(${input}); console.log(r.frames.length, r.allowed)`], { cwd: project, encoding: 'utf8' });
    const cjs = execFileSync(process.execPath, ['-e', `require('sgfw').replay(${input}).then((r) => console.log(r.frames.length, r.allowed))`], { cwd: project, encoding: 'utf8' });
    expect(esm).toBe('12 8\n');
    expect(cjs).toBe(esm);
    const types = readFileSync(join(sgfw.pkg, 'dist', 'types', 'js-api', 'index.d.ts'), 'utf8');
    expect(types).toContain("export { replay } from './replay.js';");
    expect(files).toContain('package/dist/bundle/sgfw.cjs');
  });

  describe.runIf(rootOrCi)('host mode in a network namespace', () => {
    const HOST = '192.0.2.10';
    const ALLOWED = '198.51.100.5';
    const STRANGER = '198.51.100.6';
    let pair: Pair | null = null;
    const children: ChildProcess[] = [];

    afterAll(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      if (pair) destroyPair(pair);
    });

    it('lets SSH in from the allowed address only', async () => {
      // Albert's seed state at the namespace's address, SSH open to one address.
      const state = JSON.parse(readFileSync(join(sgfw.pkg, 'pcaps', 'albert', 'state.json'), 'utf8'));
      state.NetworkInterfaces[0].PrivateIpAddress = HOST;
      state.NetworkInterfaces[0].PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: HOST }];
      const ssh = state.SecurityGroups[0].IpPermissions.find((p: { FromPort?: number }) => p.FromPort === 22);
      ssh.IpRanges = [{ CidrIp: `${ALLOWED}/32` }];
      const stateFile = join(base, 'host-state.json');
      writeFileSync(stateFile, JSON.stringify(state));

      pair = createPair(`i${process.pid % 10000}`, HOST, '192.0.2.0/24', [ALLOWED, STRANGER], '198.51.100.0/24');
      children.push(await tcpListen(pair.host, HOST, 22));
      const c = spawnInNs(pair.host, sgfw.bin, ['run', '--mode', 'host', '--queue', '9', '--state', stateFile]);
      children.push(c);
      await waitFor(c, 'stderr', 'SIGINT/SIGTERM to stop', 20_000);
      expect(await tcpConnect(pair.peer, HOST, 22, ALLOWED)).toBe('connected');
      expect(await tcpConnect(pair.peer, HOST, 22, STRANGER, 1000)).toBe('timeout');
      expect(await stopProcess(c, 'SIGTERM')).toBe(0);
    }, 60_000);
  });
});

describe('npm install -g of the tarball on a machine with no compiler', () => {
  let sgfw: Installed;
  let state: string;
  beforeAll(() => {
    // Only node and sh on PATH: no g++, make or python3, so no addon builds and neither does `cap`.
    const bin = join(base, 'bare-bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    sgfw = install('bare', [], bin);
    state = join(sgfw.pkg, 'pcaps', 'albert', 'state.json');
  }, 600_000);

  it('installs all the same, one line per addon saying what the machine lacks', () => {
    for (const a of ADDONS) {
      const lines = sgfw.out.split('\n').filter((l) => l.startsWith(`sgfw: did not build the ${a} addon`));
      expect(lines, sgfw.out).toHaveLength(1);
      expect(lines[0]).toContain('install g++, make, python3');
      expect(lines[0]).toContain(`then run 'node ${join(sgfw.pkg, 'scripts', 'build-addons.mjs')}'`);
    }
    expect(existsSync(join(sgfw.pkg, 'node_modules', 'cap'))).toBe(false);
    const mary = join(sgfw.pkg, 'pcaps', 'mary');
    const r = run(sgfw, 'replay', '--state', join(mary, 'state.json'), join(mary, 'mary.pcap'));
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('frames 12  allowed 7  dropped 5');
  });

  it.each([
    ['host', ['--mode', 'host'], "sgfw run: host mode needs the NFQUEUE addon, which is not built: install g++, make, python3, libnetfilter-queue-dev, then run 'node "],
    // Without the AF_PACKET addon monitor mode defaults to pcap, which needs cap.
    ['monitor', ['--mode', 'monitor', '--interface', 'lo'], 'sgfw run: --capture pcap (inline and monitor modes) needs the optional package cap (libpcap), which is not installed: install libpcap-dev'],
    ['monitor --capture afpacket', ['--mode', 'monitor', '--interface', 'lo', '--capture', 'afpacket'], "sgfw run: --capture afpacket (inline and monitor modes) needs the AF_PACKET addon, which is not built: install g++, make, python3, then run 'node "],
    ['inline --capture afpacket', ['--mode', 'inline', '--inside', 'lo', '--outside', 'sgfw-none0', '--capture', 'afpacket'], 'sgfw run: --capture afpacket (inline and monitor modes) needs the AF_PACKET addon, which is not built'],
    ['inline --capture pcap', ['--mode', 'inline', '--inside', 'lo', '--outside', 'sgfw-none0', '--capture', 'pcap'], 'sgfw run: --capture pcap (inline and monitor modes) needs the optional package cap'],
  ])('%s mode fails in one line naming the fix, exit 1', (_name, mode, line) => {
    const r = run(sgfw, 'run', ...mode, '--state', state);
    expect(said(r.err)).toHaveLength(1);
    expect(said(r.err)[0]).toContain(line.replace(/^sgfw run: /, ''));
    expect(r.err).not.toContain('internal error');
    expect(r.code).toBe(1);
  });
});
