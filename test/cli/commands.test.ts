import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command, LazyCommand } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { flagTable } from '../../src/cli/flags.js';
import { runCli } from '../../src/cli/run-cli.js';
import { captureIo } from './capture-io.js';

/** A lazy command that records its loading, its flags `--word W`. */
function lazy(name: string, loads: string[]): LazyCommand {
  const command: Command = {
    name,
    summary: `the ${name} command`,
    flags: [{ name: 'word', kind: 'string', value: 'W', description: 'a word to echo' }],
    async run(args, { io }) {
      io.stdout.write(`${name} ${args.string('word') ?? '-'}\n`);
      return 0;
    },
  };
  return {
    name,
    summary: command.summary,
    load: async () => {
      loads.push(name);
      return command;
    },
  };
}

const NO_CONFIG = { env: {}, defaultConfigFile: '/nonexistent/sgfw.conf' };

describe('the command table', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s loads a command of the same name and summary', async (_name, entry) => {
    const command = await entry.load();
    expect(command.name).toBe(entry.name);
    expect(command.summary).toBe(entry.summary);
  });
});

describe("a command's help says each flag's notes once", () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s: no description repeats the (required, repeatable) the table adds', async (_name, entry) => {
    const command = await entry.load();
    for (const row of flagTable(command.flags)) {
      expect(row.match(/\brepeat(able)?\b/g)?.length ?? 0, row).toBeLessThanOrEqual(1);
      expect(row.match(/\brequired\b/g)?.length ?? 0, row).toBeLessThanOrEqual(1);
    }
  });
});

describe('a command is loaded only when it runs', () => {
  it('--help, --version and help list or print without loading a command', async () => {
    const loads: string[] = [];
    const table = [lazy('alpha', loads), lazy('beta', loads)];
    for (const argv of [['--help'], ['--version'], ['help'], []]) {
      const io = captureIo();
      const out = io.out;
      await runCli(argv, io, table, NO_CONFIG);
      if (argv[0] === '--version') expect(out()).toMatch(/^sgfw \d+\.\d+\.\d+\n$/);
      else if (argv.length > 0) expect(out()).toMatch(/^ {2}beta +the beta command$/m);
    }
    expect(loads).toEqual([]);
  });

  it('runs the one command named, loading no other', async () => {
    const loads: string[] = [];
    const io = captureIo();
      const out = io.out;
    expect(await runCli(['beta', '--word', 'hi'], io, [lazy('alpha', loads), lazy('beta', loads)], NO_CONFIG)).toBe(0);
    expect(out()).toBe('beta hi\n');
    expect(loads).toEqual(['beta']);
  });

  it('help COMMAND loads that command for its flags', async () => {
    const loads: string[] = [];
    const io = captureIo();
      const out = io.out;
    expect(await runCli(['help', 'alpha'], io, [lazy('alpha', loads), lazy('beta', loads)], NO_CONFIG)).toBe(0);
    expect(out()).toMatch(/^ {2}--word W/m);
    expect(loads).toEqual(['alpha']);
  });

  it('loads every command when a config file is read, and checks its sections against all of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgfw-commands-'));
    const file = join(dir, 'sgfw.conf');
    writeFileSync(file, '[alpha]\nword = a\n[beta]\nword = b\n');
    const loads: string[] = [];
    const io = captureIo();
    const { out, err } = io;
    expect(await runCli(['beta'], io, [lazy('alpha', loads), lazy('beta', loads)], { env: {}, defaultConfigFile: file })).toBe(0);
    expect(err()).toBe('');
    expect(out()).toBe('beta b\n');
    expect(loads.sort()).toEqual(['alpha', 'beta']);
  });
});
