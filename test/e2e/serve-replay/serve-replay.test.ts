// `sgfw serve --replay`: the API and the dataplane in one process. A rule added with a real
// AWS SDK call is in force for the next frame judged after the call is acknowledged.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizeSecurityGroupIngressCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { createCredential } from '../../../src/api/credentials.js';
import { PcapWriter } from '../../../src/capture/pcap-writer.js';
import { buildFrame } from '../../../src/packet/frame-builder.js';
import { LinkType } from '../../../src/packet/link-types.js';

const MARY = join(import.meta.dirname, '..', '..', '..', 'pcaps', 'mary', 'state.json');
const APP_GROUP = 'sg-0f1e2d3c4b5a60002';
const WEB_GROUP = 'sg-0f1e2d3c4b5a60001';
const FRAMES = 80;
const GAP_MS = 50;

const dir = mkdtempSync(join(tmpdir(), 'sgfw-serve-replay-'));
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** New SSH connections from web1 to app1, one every GAP_MS. */
function writeCapture(file: string): void {
  const w = new PcapWriter(file, LinkType.ETHERNET);
  for (let i = 0; i < FRAMES; i++) {
    const data = buildFrame({ src: '10.0.1.10', dst: '10.0.2.10', proto: 'tcp', sport: 40000 + i, dport: 22, flags: 'S' });
    const micros = i * GAP_MS * 1000;
    w.write({ linkType: LinkType.ETHERNET, tsSec: 1_700_000_000 + Math.floor(micros / 1e6), tsNanos: (micros % 1e6) * 1000, caplen: data.length, origLen: data.length, data, offset: 0 });
  }
  w.close();
}

function verdicts(file: string): { frame: number; reason: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l));
}

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sgfw serve --replay', () => {
  it('puts a rule added through the API in force for the next frame', async () => {
    const stateDir = join(dir, 'state');
    const key = await createCredential(stateDir);
    const capture = join(dir, 'ssh.pcap');
    const out = join(dir, 'verdicts.jsonl');
    writeCapture(capture);
    const child = spawn(process.execPath, ['bin/sgfw.js', 'serve', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--state', MARY, '--replay', capture, '--verdicts', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await until('the server', () => /listening on (http:\/\/\S+)/.exec(stderr)?.[1]);

    // SSH to the app tier is closed at first.
    await until('a few judged frames', () => (verdicts(out).length >= 5 ? true : undefined));
    const ec2 = new EC2Client({ endpoint: url, region: 'eu-west-3', maxAttempts: 1, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: APP_GROUP,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: WEB_GROUP }] }],
    }));
    const judgedBeforeAck = verdicts(out).length;
    expect(judgedBeforeAck).toBeLessThan(FRAMES);

    const all = await until('the whole capture', () => {
      const v = verdicts(out);
      return v.length === FRAMES ? v : undefined;
    });
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);

    expect(all.slice(0, 5).map((v) => v.reason)).toEqual(Array(5).fill('ingress-no-rule'));
    expect(all.slice(judgedBeforeAck).every((v) => v.reason === 'rule')).toBe(true);
    // every frame is either before the change or after it: one switch from drop to allow
    const firstAllowed = all.findIndex((v) => v.reason === 'rule');
    expect(all.slice(0, firstAllowed).every((v) => v.reason === 'ingress-no-rule')).toBe(true);
    expect(all.slice(firstAllowed).every((v) => v.reason === 'rule')).toBe(true);
  }, 30_000);

  it('SIGHUP reopens --verdicts by name: a rotated file keeps the lines before, the new one those after, none lost', async () => {
    const stateDir = join(dir, 'state-hup');
    await createCredential(stateDir);
    const capture = join(dir, 'ssh-hup.pcap');
    const out = join(dir, 'verdicts-hup.jsonl');
    const rotated = `${out}.1`;
    writeCapture(capture);
    const child = spawn(process.execPath, ['bin/sgfw.js', 'serve', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--state', MARY, '--replay', capture, '--verdicts', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until('the server', () => /listening on (http:\/\/\S+)/.exec(stderr)?.[1]);
    await until('a few judged frames', () => (verdicts(out).length >= 5 ? true : undefined));
    renameSync(out, rotated); // what logrotate does before it signals
    child.kill('SIGHUP');
    await until('frames in the new file', () => (verdicts(out).length > 0 ? true : undefined));
    const total = await until('the whole capture', () => (verdicts(rotated).length + verdicts(out).length === FRAMES ? true : undefined));
    expect(total).toBe(true);
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    const frames = [...verdicts(rotated), ...verdicts(out)].map((v) => v.frame);
    expect(frames).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
  }, 30_000);
});
