import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CaptureError } from '../../src/capture/capture-error.js';
import { missingAddon, missingCap } from '../../src/capture/missing-addon.js';
import type { Command } from '../../src/cli/command.js';
import { runCli } from '../../src/cli/run-cli.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { Ec2Error } from '../../src/model/ec2-error.js';
import { StateError } from '../../src/state/state-error.js';
import { captureIo } from './capture-io.js';

/** A command that throws what it is told to, so every error family's exit code can be checked. */
function throwing(name: string, error: unknown): Command {
  return {
    name,
    summary: `throws ${name}`,
    flags: [{ name: 'level', kind: 'string', value: 'N', description: 'a level' }],
    async run() {
      throw error;
    },
  };
}

const ok: Command = {
  name: 'ok',
  summary: 'succeeds',
  flags: [{ name: 'word', kind: 'string', value: 'W', repeatable: true, description: 'a word to echo' }],
  async run(args, { io }) {
    io.stdout.write(`${args.strings('word').join(' ')}\n`);
    return 0;
  },
};

const COMMANDS: Command[] = [
  ok,
  throwing('usage', new UsageError('flag --level is out of range')),
  throwing('state', new StateError('s.json', 'SecurityGroups[0].GroupId', 'required field is missing')),
  throwing('capture', new CaptureError('x.pcap', 'unsupported link type 147')),
  throwing('ec2', new Ec2Error('InvalidGroup.NotFound', "The security group 'sg-1' does not exist")),
  throwing('bug', new TypeError('undefined is not a function')),
  // a state file's CidrIp of "0.0.0.0/0\n\u001b[2J", quoted back by the model's message
  throwing('newline', new StateError('s.json', 'SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp', 'InvalidParameterValue: CIDR block 0.0.0.0/0\n\u001b[2J is malformed')),
  throwing('ec2newline', new Ec2Error('InvalidParameterValue', 'CIDR block 10.0.0.0/8\r\n\t is malformed')),
  // What require() throws: where it looked follows on lines of its own.
  throwing('nocap', missingCap('monitor mode', Object.assign(new Error("Cannot find module 'cap'\nRequire stack:\n- /x/live-capture.js"), { code: 'MODULE_NOT_FOUND' }))),
  throwing('badaddon', missingAddon('host mode', 'NFQUEUE', '/x/nfqueue.node', ['g++'], new Error('/x/nfqueue.node: undefined symbol: nfq_open\nat line 2'))),
];

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, COMMANDS);
  return { code, out: io.out(), err: io.err() };
}

describe('exit codes: 0 ok, 1 a failed operation, 2 bad usage or input, 70 a bug', () => {
  it('a command that succeeds exits 0 and prints on stdout', async () => {
    expect(await run('ok', '--word', 'a', '--word', 'b')).toEqual({ code: 0, out: 'a b\n', err: '' });
  });

  it('a usage error prints the message and a hint, exits 2', async () => {
    expect(await run('usage')).toEqual({
      code: 2,
      out: '',
      err: "sgfw usage: flag --level is out of range\nRun 'sgfw usage --help' for usage.\n",
    });
  });

  it('a bad state file is one line, exit 2', async () => {
    expect(await run('state')).toEqual({ code: 2, out: '', err: 'sgfw state: s.json: SecurityGroups[0].GroupId: required field is missing\n' });
  });

  it('a bad capture file is one line, exit 2', async () => {
    expect(await run('capture')).toEqual({ code: 2, out: '', err: 'sgfw capture: x.pcap: unsupported link type 147\n' });
  });

  it('an EC2 refusal prints its code, exit 1', async () => {
    expect(await run('ec2')).toEqual({
      code: 1,
      out: '',
      err: "sgfw ec2: InvalidGroup.NotFound: The security group 'sg-1' does not exist\n",
    });
  });

  it('a missing addon or optional package is one line naming what to install, exit 1', async () => {
    const nocap = await run('nocap');
    expect(nocap.code).toBe(1);
    expect(nocap.err).toMatch(/^sgfw nocap: monitor mode needs the optional package cap \(libpcap\), which is not installed: install libpcap-dev, g\+\+, make and python3, then run 'npm ci' in sgfw's checkout\n$/);
    const bad = await run('badaddon');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(
      /^sgfw badaddon: host mode needs the NFQUEUE addon, which does not load \(\/x\/nfqueue.node: undefined symbol: nfq_open\): install g\+\+, then run 'node \S+\/scripts\/build-addons.mjs'\n$/,
    );
  });

  it('a message quoting a newline or an escape sequence is still one line, its control characters escaped', async () => {
    expect(await run('newline')).toEqual({
      code: 2,
      out: '',
      err: 'sgfw newline: s.json: SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp: InvalidParameterValue: CIDR block 0.0.0.0/0\\n\\u001b[2J is malformed\n',
    });
    expect(await run('ec2newline')).toEqual({ code: 1, out: '', err: 'sgfw ec2newline: InvalidParameterValue: CIDR block 10.0.0.0/8\\r\\n\\t is malformed\n' });
  });

  it('an unexpected error is one line without a stack trace, exit 70', async () => {
    const r = await run('bug');
    expect(r.code).toBe(70);
    expect(r.err).toBe('sgfw bug: internal error: undefined is not a function\n');
  });
});

describe('unknown commands and flags', () => {
  it('an unknown command exits 2 with a hint', async () => {
    expect(await run('frobnicate')).toEqual({
      code: 2,
      out: '',
      err: "sgfw: unknown command 'frobnicate'\nRun 'sgfw --help' for the list of commands.\n",
    });
  });

  it('an unknown flag exits 2 with a hint to the command help', async () => {
    expect(await run('ok', '--wrod', 'x')).toEqual({
      code: 2,
      out: '',
      err: "sgfw ok: unknown flag --wrod\nRun 'sgfw ok --help' for usage.\n",
    });
  });

  it('no command at all prints the help on stderr and exits 2', async () => {
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: sgfw <command>');
  });
});

describe('help lists every command and every flag', () => {
  it('sgfw --help and sgfw help list each command with its summary', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await run(...argv);
      expect(r.code).toBe(0);
      for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${c.name} +${c.summary}$`, 'm'));
    }
  });

  it('sgfw <command> --help and sgfw help <command> list each flag', async () => {
    for (const argv of [['ok', '--help'], ['help', 'ok']]) {
      const r = await run(...argv);
      expect(r.code).toBe(0);
      expect(r.out).toContain('Usage: sgfw ok [--word W …]');
      expect(r.out).toMatch(/^ {2}--word W +a word to echo \(repeatable\)$/m);
      expect(r.out).toMatch(/^ {2}-h, --help +show this help$/m);
    }
  });

  it('--help wins over the command running', async () => {
    const r = await run('bug', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('--level N');
  });
});

describe('version', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await run('--version')).toEqual({ code: 0, out: `sgfw ${pkg.version}\n`, err: '' });
  });
});
