import { describe, expect, it } from 'vitest';
import { parseFlags, synopsis, type FlagSpec, type PositionalSpec } from '../../src/cli/flags.js';
import { UsageError } from '../../src/cli/usage-error.js';

const FLAGS: FlagSpec[] = [
  { name: 'state', kind: 'string', value: 'FILE', repeatable: true, required: true, description: 'state' },
  { name: 'json', kind: 'boolean', description: 'json' },
  { name: 'verdicts', kind: 'string', value: 'FILE', description: 'verdicts' },
  { name: 'limit', kind: 'string', value: 'N', description: 'limit' },
];
const CAPTURES: PositionalSpec = { name: 'CAPTURE', description: 'captures', min: 1, max: Infinity };

function usageError(argv: string[], positional?: PositionalSpec): string {
  try {
    parseFlags(argv, FLAGS, positional);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('parsed');
}

describe('flags are read the usual ways', () => {
  it('takes values after a space or an equals sign, repeats, booleans and positionals', () => {
    const a = parseFlags(['--state', 'a.json', 'x.pcap', '--state=b.json', '--json', '--verdicts', 'v.jsonl', 'y.pcap'], FLAGS, CAPTURES);
    expect(a.strings('state')).toEqual(['a.json', 'b.json']);
    expect(a.boolean('json')).toBe(true);
    expect(a.string('verdicts')).toBe('v.jsonl');
    expect(a.string('limit')).toBeUndefined();
    expect(a.positionals).toEqual(['x.pcap', 'y.pcap']);
    expect(a.help).toBe(false);
  });

  it('everything after -- is a positional, even if it looks like a flag', () => {
    const a = parseFlags(['--state', 's', '--', '--json', '-'], FLAGS, CAPTURES);
    expect(a.positionals).toEqual(['--json', '-']);
    expect(a.boolean('json')).toBe(false);
  });

  it('reads integers and refuses anything else', () => {
    expect(parseFlags(['--state', 's', '--limit', '42'], FLAGS).integer('limit')).toBe(42);
    expect(() => parseFlags(['--state', 's', '--limit', '4x'], FLAGS).integer('limit')).toThrow("flag --limit expects an integer, got '4x'");
  });

  it('--help or -h asks for help even when required flags are missing', () => {
    expect(parseFlags(['--help'], FLAGS).help).toBe(true);
    expect(parseFlags(['-h'], FLAGS).help).toBe(true);
  });
});

describe('a mistyped command line is refused in one line', () => {
  const cases: [string[], string, PositionalSpec?][] = [
    [['--state', 's', '--bogus'], 'unknown flag --bogus'],
    [['--state', 's', '--bogus=1'], 'unknown flag --bogus'],
    [['--state', 's', '-x'], 'unknown flag -x'],
    [['--state'], 'flag --state FILE needs a value'],
    [['--state', '--json'], 'flag --state FILE needs a value'],
    [['--state', 's', '--json=yes'], 'flag --json takes no value'],
    [['--state', 's', '--verdicts', 'a', '--verdicts', 'b'], 'flag --verdicts may be given only once'],
    [['--json'], 'missing required flag --state FILE'],
    [['--state', 's', 'extra'], "unexpected argument 'extra'"],
    [['--state', 's'], 'missing CAPTURE', CAPTURES],
  ];
  for (const [argv, message, positional] of cases) {
    it(`${argv.join(' ')} → ${message}`, () => {
      const m = usageError(argv, positional);
      expect(m).toBe(message);
      expect(m).not.toContain('\n');
    });
  }
});

describe('the synopsis shows required, optional and repeatable flags', () => {
  it('matches the replay-style usage line', () => {
    expect(synopsis(FLAGS, CAPTURES)).toBe('--state FILE [--state FILE …] [--json] [--verdicts FILE] [--limit N] CAPTURE …');
  });
});
