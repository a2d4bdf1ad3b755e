import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { configCommand } from '../../src/cli/config-command.js';
import { integerIn } from '../../src/cli/flags-checks.js';
import { runCli } from '../../src/cli/run-cli.js';
import { captureIo } from './capture-io.js';

/** Prints the values it got, so each source's part can be seen. */
const show: Command = {
  name: 'show',
  summary: 'prints its flags',
  flags: [
    { name: 'state', kind: 'string', value: 'FILE', repeatable: true, required: true, description: 's' },
    { name: 'log-level', kind: 'string', value: 'LEVEL', description: 'l' },
    { name: 'queue', kind: 'string', value: 'N', check: integerIn(0, 65535, '0–65535'), description: 'q' },
    { name: 'fail-open', kind: 'boolean', description: 'f' },
  ],
  async run(args, { io }) {
    const q = args.string('queue') ?? '-';
    io.stdout.write(`state=${args.strings('state').join(',')} log-level=${args.string('log-level') ?? '-'} queue=${q} fail-open=${args.boolean('fail-open')}\n`);
    return 0;
  },
};
const COMMANDS = [show, configCommand];

let dir: string;
let defaultFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgfw-config-'));
  defaultFile = join(dir, 'sgfw.conf');
});

function file(name: string, ...lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function sgfw(env: Record<string, string>, ...argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, COMMANDS, { env, defaultConfigFile: defaultFile });
  return { code, out: io.out(), err: io.err() };
}

describe('flags from the config file, SGFW_* variables and the command line', () => {
  it('reads the default file when present, and nothing when absent', async () => {
    expect((await sgfw({}, 'show')).err).toBe("sgfw show: missing required flag --state FILE\nRun 'sgfw show --help' for usage.\n");
    file('sgfw.conf', 'state = a.json', 'state = b.json', 'fail-open = true');
    expect(await sgfw({}, 'show')).toEqual({ code: 0, out: 'state=a.json,b.json log-level=- queue=- fail-open=true\n', err: '' });
  });

  it('file < environment < flags, each replacing a repeatable flag whole', async () => {
    file('sgfw.conf', 'state = a.json', 'log-level = info', 'queue = 1', 'fail-open = true');
    const env = { SGFW_LOG_LEVEL: 'debug', SGFW_STATE: 'e1.json, e2.json', SGFW_FAIL_OPEN: 'false' };
    expect((await sgfw(env, 'show')).out).toBe('state=e1.json,e2.json log-level=debug queue=1 fail-open=false\n');
    expect((await sgfw(env, 'show', '--state', 'f.json', '--log-level', 'warn', '--queue', '2')).out).toBe('state=f.json log-level=warn queue=2 fail-open=false\n');
  });

  it('--config FILE (or SGFW_CONFIG) reads another file, which must exist; none reads none', async () => {
    file('sgfw.conf', 'state = default.json');
    const other = file('other.conf', 'state = other.json');
    expect((await sgfw({}, 'show', '--config', other)).out).toBe('state=other.json log-level=- queue=- fail-open=false\n');
    expect((await sgfw({ SGFW_CONFIG: other }, 'show')).out).toBe('state=other.json log-level=- queue=- fail-open=false\n');
    expect((await sgfw({}, 'show', '--config', 'none', '--state', 'x')).out).toBe('state=x log-level=- queue=- fail-open=false\n');
    expect((await sgfw({ SGFW_CONFIG: 'none' }, 'show')).code).toBe(2);
    const missing = join(dir, 'missing.conf');
    expect(await sgfw({}, 'show', '--config', missing, '--state', 'x')).toEqual({
      code: 2,
      out: '',
      err: `sgfw show: ${missing}: cannot read the config file: no such file\n`,
    });
  });

  it('a bad file stops the command with one line naming the file and line, exit 2', async () => {
    file('sgfw.conf', '# queue', 'queue = 70000', 'nope = 1', 'state = a.json');
    expect(await sgfw({}, 'show')).toEqual({
      code: 2,
      out: '',
      err: `sgfw show: ${defaultFile}:2: --queue expects 0–65535, got '70000' (and 1 more: run 'sgfw config check ${defaultFile}')\n`,
    });
  });

  it('a bad SGFW_* value is named by its variable, exit 2', async () => {
    expect(await sgfw({ SGFW_QUEUE: 'x', SGFW_STATE: 'a' }, 'show')).toEqual({ code: 2, out: '', err: "sgfw show: SGFW_QUEUE: --queue expects 0–65535, got 'x'\n" });
    expect((await sgfw({ SGFW_FAIL_OPEN: 'yes', SGFW_STATE: 'a' }, 'show')).err).toBe("sgfw show: SGFW_FAIL_OPEN: --fail-open expects true or false, got 'yes'\n");
  });

  it('a bad flag value is refused by the same check', async () => {
    expect((await sgfw({}, 'show', '--state', 'a', '--queue', '-1')).err.split('\n')[0]).toBe("sgfw show: --queue expects 0–65535, got '-1'");
  });

  it('help lists --config and the global help says where flags come from', async () => {
    expect((await sgfw({}, 'show', '--help')).out).toMatch(/^ {2}--config FILE +read flags from FILE \(default \/etc\/sgfw\/sgfw\.conf when present/m);
    expect((await sgfw({}, '--help')).out).toContain("Flags can also be set in /etc/sgfw/sgfw.conf (or --config FILE) and SGFW_<FLAG> variables: see 'sgfw config --help'.");
  });
});

describe('sgfw config', () => {
  it('check: exit 0 and ok for a good file (the default one without FILE)', async () => {
    file('sgfw.conf', 'state = a.json', '[show]', 'queue = 3');
    expect(await sgfw({}, 'config', 'check')).toEqual({ code: 0, out: `${defaultFile}: ok\n`, err: '' });
  });

  it('check: exit 2 and one line FILE:LINE: problem for each problem', async () => {
    const bad = file('bad.conf', 'state = a.json', 'queue = 70000', '[show]', 'fail-open = maybe', '[nope]');
    expect(await sgfw({}, 'config', 'check', bad)).toEqual({
      code: 2,
      out: '',
      err: [
        `${bad}:2: --queue expects 0–65535, got '70000'`,
        `${bad}:4: --fail-open expects true or false, got 'maybe'`,
        `${bad}:5: unknown section [nope]: sections are named for commands: show`,
        '',
      ].join('\n'),
    });
  });

  it('check: a missing file is exit 2, naming it; a broken default file does not stop config check itself', async () => {
    expect((await sgfw({}, 'config', 'check')).err).toBe(`sgfw config: ${defaultFile}: cannot read the config file: no such file\n`);
    file('sgfw.conf', 'queue = x');
    expect((await sgfw({}, 'config', 'check')).code).toBe(2);
    expect((await sgfw({}, 'config', 'check')).err).toBe(`${defaultFile}:1: --queue expects 0–65535, got 'x'\n`);
  });

  it('show: the flags each command takes from the file and SGFW_*', async () => {
    file('sgfw.conf', 'state = a.json', 'state = "b # c.json"', 'fail-open = true');
    expect(await sgfw({ SGFW_LOG_LEVEL: 'debug' }, 'config', 'show')).toEqual({
      code: 0,
      out: '[show]\nstate = a.json\nstate = "b # c.json"\nfail-open = true\nlog-level = debug\n',
      err: '',
    });
  });
});
