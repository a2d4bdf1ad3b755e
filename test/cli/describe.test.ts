import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from './capture-io.js';

async function sgfw(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

const dir = mkdtempSync(join(tmpdir(), 'sgfw-describe-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 4));
  return path;
}

const lines = (text: string): string[][] => text.trimEnd().split('\n').map((l) => l.split('\t'));

describe('sgfw --help lists every command, and each command lists every flag', () => {
  it('names describe, version and every command in the table', async () => {
    const r = await sgfw('--help');
    expect(r.code).toBe(0);
    expect(COMMANDS.map((c) => c.name)).toEqual(expect.arrayContaining(['describe', 'version']));
    for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${c.name} `, 'm'));
  });

  it('describe --help lists --state, --json, --group-id and --help', async () => {
    const r = await sgfw('describe', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: sgfw describe --state FILE [--state FILE …] [--json] [--group-id ID …]');
    for (const entry of COMMANDS) {
      const c = await entry.load();
      const h = await sgfw(c.name, '--help');
      for (const f of c.flags) expect(h.out).toMatch(new RegExp(`^ {2}--${f.name}\\b`, 'm'));
    }
  });
});

describe("sgfw describe prints Albert's default group in the seed's format", () => {
  it('GROUP, then one PERMISSION line per rule and peer, egress last', async () => {
    const r = await sgfw('describe', '--state', 'pcaps/albert/state.json');
    expect(r).toMatchObject({ code: 0, err: '' });
    const sg = 'sg-0a1b2c3d4e5f60001';
    const owner = '111122223333';
    expect(lines(r.out)).toEqual([
      ['GROUP', sg, owner, 'default', 'default VPC security group'],
      ['PERMISSION', owner, 'default', 'ALLOWS', 'all', '', '', 'FROM', 'USER', owner, 'NAME', 'default', 'ID', sg, 'ingress'],
      ['PERMISSION', owner, 'default', 'ALLOWS', 'tcp', '22', '22', 'FROM', 'CIDR', '203.0.113.5/32', 'ingress'],
      ['PERMISSION', owner, 'default', 'ALLOWS', 'all', '', '', 'TO', 'CIDR', '0.0.0.0/0', 'egress'],
    ]);
  });

  it("Mary's tiers name the group each tier admits", async () => {
    const r = await sgfw('describe', '--state', 'pcaps/mary/state.json');
    expect(r.code).toBe(0);
    const rows = lines(r.out);
    const app = rows.find((l) => l[0] === 'PERMISSION' && l[2] === 'AppServers' && l[4] === 'tcp');
    expect(app).toEqual(['PERMISSION', '111122223333', 'AppServers', 'ALLOWS', 'tcp', '8080', '8080', 'FROM', 'USER', '111122223333', 'NAME', 'WebServers', 'ID', 'sg-0f1e2d3c4b5a60001', 'ingress']);
    expect(rows.filter((l) => l[0] === 'GROUP').map((l) => l[3]).sort()).toEqual(['AppServers', 'DBServers', 'WebServers', 'default']);
    expect(r.out).toContain('ALLOWS\ttcp\t443\t443\tFROM\tCIDR\t::/0\tingress');
  });

  it('a prefix-list rule shows the list id', async () => {
    const r = await sgfw('describe', '--state', 'pcaps/prefix-list/state.json');
    expect(r.code).toBe(0);
    expect(r.out).toContain('ALLOWS\ttcp\t22\t22\tFROM\tPL\tpl-0e1e2e3e4e5e60001\tingress');
  });

  it('--group-id shows only that group', async () => {
    const r = await sgfw('describe', '--state', 'pcaps/mary/state.json', '--group-id', 'sg-0f1e2d3c4b5a60003');
    expect(r.code).toBe(0);
    expect(lines(r.out).filter((l) => l[0] === 'GROUP').map((l) => l[1])).toEqual(['sg-0f1e2d3c4b5a60003']);
    // the peer's name is still known although its group is not shown
    expect(r.out).toContain('NAME\tAppServers\tID\tsg-0f1e2d3c4b5a60002');
  });

  it('--group-id of a group that is not there is a failed operation (exit 1) with its EC2 code', async () => {
    const r = await sgfw('describe', '--state', 'pcaps/albert/state.json', '--group-id', 'sg-0ffffffffffffffff');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^sgfw describe: InvalidGroup\.NotFound: .*sg-0ffffffffffffffff.*\n$/);
  });
});

describe('sgfw describe --json prints DescribeSecurityGroups JSON that imports again', () => {
  for (const name of ['albert', 'mary', 'conntrack', 'prefix-list']) {
    it(`${name}: describe --json of its own output gives the same output`, async () => {
      const first = await sgfw('describe', '--json', '--state', `pcaps/${name}/state.json`);
      expect(first.code).toBe(0);
      const parsed = JSON.parse(first.out) as { SecurityGroups: { GroupId: string }[] };
      const original = JSON.parse(readFileSync(`pcaps/${name}/state.json`, 'utf8')) as { SecurityGroups: { GroupId: string }[] };
      expect(parsed.SecurityGroups.map((g) => g.GroupId)).toEqual(expect.arrayContaining(original.SecurityGroups.map((g) => g.GroupId)));
      // the AWS CLI indents with four spaces
      expect(first.out.split('\n')[1]).toBe('    "SecurityGroups": [');
      const again = await sgfw('describe', '--json', '--state', file(`${name}-again.json`, first.out));
      expect(again).toEqual(first);
    });
  }
});

describe('bad state is one line on stderr and exit 2, never a stack trace', () => {
  it('a structural mistake names the file and JSON path', async () => {
    const bad = file('bad.json', { SecurityGroups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'x', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 'eighty' }] }] });
    const r = await sgfw('describe', '--state', bad);
    expect(r).toEqual({
      code: 2,
      out: '',
      err: `sgfw describe: ${bad}: SecurityGroups[0].IpPermissions[0].FromPort: expected a number, got "eighty"\n`,
    });
  });

  it('invalid JSON names file:line:column', async () => {
    const bad = file('broken.json', '{\n  "SecurityGroups": [,]\n}');
    const r = await sgfw('describe', '--state', bad);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`sgfw describe: ${bad}:2:22: invalid JSON: unexpected ",", expected a value\n`);
  });

  it("the model's refusal names the file, the path and EC2's code", async () => {
    const bad = file('semantic.json', {
      SecurityGroups: [
        {
          GroupId: 'sg-0123456789abcdef0',
          GroupName: 'web',
          Description: 'web',
          VpcId: 'vpc-0123456789abcdef0',
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.1/8' }] }],
        },
      ],
    });
    const r = await sgfw('describe', '--state', 'pcaps/albert/state.json', '--state', bad);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(2);
    expect(r.err).toMatch(new RegExp(`^sgfw describe: ${bad.replace(/[.\\/]/g, '\\$&')}: SecurityGroups\\[0\\]\\S*: [A-Z][A-Za-z]+(\\.[A-Za-z]+)?: `));
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('a missing file and a missing --state are usage errors', async () => {
    const missing = await sgfw('describe', '--state', join(dir, 'nope.json'));
    expect(missing).toEqual({ code: 2, out: '', err: `sgfw describe: ${join(dir, 'nope.json')}: cannot read the file: no such file\n` });
    const none = await sgfw('describe');
    expect(none.code).toBe(2);
    expect(none.err).toBe("sgfw describe: missing required flag --state FILE\nRun 'sgfw describe --help' for usage.\n");
  });
});

describe('several state files merge', () => {
  it('groups from one file and interfaces from another', async () => {
    const doc = JSON.parse(readFileSync('pcaps/albert/state.json', 'utf8')) as Record<string, unknown>;
    const groups = file('groups.json', { SecurityGroups: doc.SecurityGroups });
    const enis = file('enis.json', { NetworkInterfaces: doc.NetworkInterfaces });
    const split = await sgfw('describe', '--state', groups, '--state', enis);
    const whole = await sgfw('describe', '--state', 'pcaps/albert/state.json');
    expect(split.code).toBe(0);
    expect(split.out).toBe(whole.out);
  });
});
