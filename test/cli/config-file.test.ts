import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { configValues, readConfigText } from '../../src/cli/config-file.js';
import { integerIn, oneOf } from '../../src/cli/flags-checks.js';

// Two commands sharing --state and --json, each with flags of its own.
const noop = async (): Promise<number> => 0;
const replay: Command = {
  name: 'replay',
  summary: 'r',
  flags: [
    { name: 'state', kind: 'string', value: 'FILE', repeatable: true, required: true, description: 's' },
    { name: 'verdicts', kind: 'string', value: 'FILE', description: 'v' },
    { name: 'json', kind: 'boolean', description: 'j' },
  ],
  run: noop,
};
const run: Command = {
  name: 'run',
  summary: 'r',
  flags: [
    { name: 'state', kind: 'string', value: 'FILE', repeatable: true, description: 's' },
    { name: 'mode', kind: 'string', value: 'MODE', check: oneOf(['host', 'inline', 'monitor']), description: 'm' },
    { name: 'queue', kind: 'string', value: 'N', check: integerIn(0, 65535, '0–65535'), description: 'q' },
    { name: 'fail-open', kind: 'boolean', description: 'f' },
  ],
  run: noop,
};
const version: Command = { name: 'version', summary: 'v', flags: [], run: noop };
const COMMANDS = [replay, run, version];

const read = (...lines: string[]) => readConfigText(lines.join('\n'), COMMANDS);
const problems = (...lines: string[]) => read(...lines).problems.map((p) => `${p.line}: ${p.problem}`);
const valuesFor = (command: Command, ...lines: string[]) => {
  const file = read(...lines);
  expect(file.problems).toEqual([]);
  return Object.fromEntries(configValues(file, command));
};

describe('the config file', () => {
  it('reads name = value and name value, skips comments and blank lines, repeats repeatable flags', () => {
    const v = valuesFor(
      replay,
      '# sgfw',
      '',
      'state = a.json',
      '  state b.json   # the second file',
      'verdicts=/var/log/v.jsonl',
      'json = true',
    );
    expect(v).toEqual({ state: ['a.json', 'b.json'], verdicts: ['/var/log/v.jsonl'], json: true });
  });

  it('keeps a quoted value whole, a # in it too', () => {
    expect(valuesFor(replay, 'verdicts = "/tmp/a # b.jsonl"  # note')).toEqual({ verdicts: ['/tmp/a # b.jsonl'] });
  });

  it('gives a command the unsectioned lines it has a flag for, and its own section over them (replacing repeatable ones)', () => {
    const lines = ['state = all.json', 'json = true', '[run]', 'state = run1.json', 'state = run2.json', 'mode = host', 'fail-open = false', '[replay]', 'json = false'];
    expect(valuesFor(run, ...lines)).toEqual({ state: ['run1.json', 'run2.json'], mode: ['host'], 'fail-open': false });
    expect(valuesFor(replay, ...lines)).toEqual({ state: ['all.json'], json: false });
  });

  it('names the line of every problem', () => {
    expect(
      problems(
        'state = a.json',
        'nope = 1',
        'mode = host',
        '[run]',
        'mode = hsot',
        'queue 70000',
        'json = true',
        'queue = 1',
        'queue = 2',
        '[replay]',
        'json = yes',
        'verdicts',
        '[version]',
        '[frob]',
        'x = 1',
        '--state a.json',
        'verdicts = "open',
      ),
    ).toEqual([
      "2: unknown flag 'nope'",
      "5: --mode expects host, inline or monitor, got 'hsot'",
      "6: --queue expects 0–65535, got '70000'",
      '7: sgfw run has no flag --json ([replay] has it)',
      '9: --queue is already set on line 8 (only repeatable flags may repeat)',
      "11: --json expects true or false, got 'yes'",
      "12: --verdicts needs a value: 'verdicts = VALUE'",
      '13: unknown section [version]: sections are named for commands: replay, run',
      '14: unknown section [frob]: sections are named for commands: replay, run',
      "16: write flags without dashes: 'state = …'",
      `17: --verdicts: a quoted value needs its closing '"'`,
    ]);
  });

  it('checks an unsectioned value against every command that has the flag', () => {
    // mode = hsot outside a section is wrong for run, the only command with --mode
    expect(problems('mode = hsot')).toEqual(["1: --mode expects host, inline or monitor, got 'hsot'"]);
    // an unsectioned line only some commands have is fine: the others skip it
    expect(valuesFor(replay, 'mode = host', 'state = s.json')).toEqual({ state: ['s.json'] });
  });
});
