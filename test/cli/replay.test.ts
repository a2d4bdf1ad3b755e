import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/capture-reader.js';
import { main } from '../../src/cli/main.js';
import { FLOW_LOG_HEADER } from '../../src/observe/flow-log.js';
import { captureIo } from './capture-io.js';

const PCAPS = join(import.meta.dirname, '..', '..', 'pcaps');
const CONNTRACK = join(PCAPS, 'conntrack');
const STATE = join(CONNTRACK, 'state.json');
const CAPTURE = join(CONNTRACK, 'conntrack.pcap');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgfw-replay-cli-'));
});

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('sgfw replay', () => {
  it('prints a summary with frames, allowed and dropped by reason, per interface', async () => {
    const r = await run('replay', '--state', STATE, CAPTURE);
    expect(r.code).toBe(0);
    // without the timeline's revocation only the last frame, 601 s after host B's last packet, is dropped
    expect(r.out).toMatch(/^frames 13 {2}allowed 12 {2}dropped 1$/m);
    expect(r.out).toMatch(/^ {2}ingress-no-rule +1$/m);
    expect(r.out).toMatch(/eni-0c1d2e3f405160001 +allowed 12 {2}dropped 1/);
  });

  it('applies the timeline and says so; --json gives the same summary for machines', async () => {
    const r = await run('replay', '--json', '--state', STATE, '--timeline', join(CONNTRACK, 'timeline.jsonl'), CAPTURE);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary).toMatchObject({ frames: 13, allowed: 10, dropped: 3, timelineApplied: 1, timelineUnreached: 0 });
    expect(summary.byReason['ingress-no-rule']).toBe(3);
  });

  it('writes one verdict object per frame, the flow log and a pcap of the allowed frames', async () => {
    const verdicts = join(dir, 'v.jsonl');
    const flowLog = join(dir, 'flows.log');
    const allowed = join(dir, 'allowed.pcap');
    const r = await run('replay', '--state', STATE, '--timeline', join(CONNTRACK, 'timeline.jsonl'),
      '--verdicts', verdicts, '--flow-log', flowLog, '--write-allowed', allowed, CAPTURE);
    expect(r.code).toBe(0);
    const lines = readFileSync(verdicts, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(13);
    expect(lines[0]).toEqual({ frame: 1, verdict: 'allow', reason: 'rule', interfaces: ['eni-0c1d2e3f405160001'], rules: [expect.stringMatching(/^sgr-[0-9a-f]{17}$/)] });
    const [header, ...rest] = readFileSync(flowLog, 'utf8').trim().split('\n');
    expect(header).toBe(FLOW_LOG_HEADER);
    const records = rest.map((l) => l.split(' '));
    for (const rec of records) expect(rec).toHaveLength(14);
    // the state's groups are owned by 111122223333 (not sgfw's default account)
    for (const rec of records) expect(rec[1]).toBe('111122223333');
    // the capture spans 901 s: each record lies in one 60-second window of capture time
    for (const rec of records) expect(Math.floor(Number(rec[10]) / 60)).toBe(Math.floor(Number(rec[11]) / 60));
    expect(new Set(records.map((rec) => Math.floor(Number(rec[10]) / 60))).size).toBe(3);
    const ssh = records.filter((rec) => rec[3] === '203.0.113.1' && rec[5] === '50000' && rec[6] === '22' && rec[12] === 'ACCEPT');
    expect(ssh.map((rec) => rec.slice(0, 8))).toEqual([
      ['2', '111122223333', 'eni-0c1d2e3f405160001', '203.0.113.1', '10.0.0.20', '50000', '22', '6'],
      ['2', '111122223333', 'eni-0c1d2e3f405160001', '203.0.113.1', '10.0.0.20', '50000', '22', '6'],
    ]);
    // the connection's packets at 0 s and 301 s are two records, in two windows (not one over 301 s)
    expect(ssh.map((rec) => rec.slice(8, 12))).toEqual([['2', '80', '1700000000', '1700000000'], ['1', '40', '1700000301', '1700000301']]);
    expect(records.some((rec) => rec[12] === 'REJECT' && rec[6] === '80')).toBe(true);
    const reader = new CaptureReader(allowed);
    let n = 0;
    while (reader.next()) n++;
    reader.close();
    expect(n).toBe(lines.filter((l) => l.verdict === 'allow').length);
  });

  it('ends with exit code 1 and the EC2 error code when a timeline call fails', async () => {
    const timeline = join(dir, 'bad.jsonl');
    writeFileSync(timeline, '{"beforeFrame": 3, "Action": "RevokeSecurityGroupIngress", "Parameters": {"GroupId": "sg-0c1d2e3f405160001", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 25, "ToPort": 25, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}}\n');
    const r = await run('replay', '--state', STATE, '--timeline', timeline, CAPTURE);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${timeline}:1: RevokeSecurityGroupIngress before frame 3 failed: InvalidPermission.NotFound`);
    expect(r.out).toMatch(/^frames 2 /m);
  });

  it('refuses a bad timeline line, naming the file and line, with exit code 2', async () => {
    const timeline = join(dir, 'bad.jsonl');
    writeFileSync(timeline, '{"beforeFrame": 1, "Action": "CreateSecurityGroup", "Parameters": {}}\n{"beforeFrame": 0, "Action": "X"}\n');
    const r = await run('replay', '--state', STATE, '--timeline', timeline, CAPTURE);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(`${timeline}:2: beforeFrame: expected a frame number from 1, got 0`);
  });

  it('refuses a timeline entry with DryRun (it would be applied for real), and an inherited name is an unknown action', async () => {
    const timeline = join(dir, 'dry.jsonl');
    writeFileSync(timeline, '{"beforeFrame": 1, "Action": "RevokeSecurityGroupIngress", "Parameters": {"DryRun": true, "GroupId": "sg-0c1d2e3f405160001", "IpPermissions": []}}\n');
    const dry = await run('replay', '--state', STATE, '--timeline', timeline, CAPTURE);
    expect(dry.code).toBe(2);
    expect(dry.err.trim()).toContain(`${timeline}:1: Parameters.DryRun: a timeline entry is always applied; remove DryRun`);
    writeFileSync(timeline, '{"beforeFrame": 1, "Action": "__proto__"}\n');
    const proto = await run('replay', '--state', STATE, '--timeline', timeline, CAPTURE);
    expect(proto.code).toBe(2);
    expect(proto.err).toContain(`${timeline}:1: Action: "__proto__" is not an EC2 action sgfw carries out (InvalidAction`);
  });

  it('refuses an unknown action when the timeline is read, even one whose frame never comes (exit 2, nothing judged)', async () => {
    const timeline = join(dir, 'typo.jsonl');
    writeFileSync(timeline, '{"beforeFrame": 1, "Action": "CreateSecurityGroup", "Parameters": {"GroupName": "x", "Description": "x"}}\n{"beforeFrame": 999999, "Action": "AuthorizeSecurityGroupIngres", "Parameters": {}}\n');
    const r = await run('replay', '--state', STATE, '--timeline', timeline, CAPTURE);
    expect(r).toEqual({
      code: 2,
      out: '',
      err: `sgfw replay: ${timeline}:2: Action: "AuthorizeSecurityGroupIngres" is not an EC2 action sgfw carries out (InvalidAction; the actions are those of the README's "The EC2 Query API")\n`,
    });
  });

  it('an output file that cannot be opened is one line naming it, exit 2, not an internal error', async () => {
    for (const flag of ['--verdicts', '--flow-log']) {
      const missing = join(dir, 'no-such-folder', 'out.log');
      const r = await run('replay', '--state', STATE, flag, missing, CAPTURE);
      expect(r.code, flag).toBe(2);
      expect(r.err.trim(), flag).toBe(`sgfw replay: ${missing}: cannot open (ENOENT: no such file or directory)`);
    }
  });

  it('refuses a file that is not a capture and a capture of an unsupported link type, in one line, exit 2', async () => {
    const r1 = await run('replay', '--state', STATE, STATE);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(new RegExp(`^sgfw replay: ${STATE.replace(/[.]/g, '\\.')}: .*pcap`, 'm'));
    const bad = join(dir, 'wifi.pcap');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(65535, 16);
    header.writeUInt32LE(105, 20); // IEEE 802.11
    const rec = Buffer.alloc(16 + 4);
    rec.writeUInt32LE(4, 8);
    rec.writeUInt32LE(4, 12);
    writeFileSync(bad, Buffer.concat([header, rec]));
    const r2 = await run('replay', '--state', STATE, bad);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain(`${bad}: unsupported link type 105`);
  });

  it('needs at least one capture', async () => {
    const r = await run('replay', '--state', STATE);
    expect(r.code).toBe(2);
  });
});
