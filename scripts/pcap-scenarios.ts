// The bundled scenarios: each a capture (written by scripts/make-pcaps.ts into pcaps/<name>/),
// the state file beside it, an optional timeline, and the verdict every frame must get, with the
// seed sentence it comes from. The scenario tests replay the checked-in captures and compare.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { buildFrame, type FrameSpec } from '../src/packet/frame-builder.js';
import { LinkType } from '../src/packet/link-types.js';

export interface ScenarioFrame {
  /** seconds after the scenario's start */
  at: number;
  frame: FrameSpec | 'arp';
  expect: string;
  why: string;
}

export interface Scenario {
  name: string;
  title: string;
  timeline?: { beforeFrame: number; Action: string; Parameters: Record<string, unknown> }[];
  frames: ScenarioFrame[];
}

/** 2023-11-14T22:13:20Z: a fixed start so the files are the same on every run */
export const START_SECONDS = 1_700_000_000;

const tcp = (src: string, sport: number, dst: string, dport: number, flags: string): FrameSpec => ({
  src, dst, proto: 'tcp', sport, dport, flags, seq: (sport * 7919) >>> 0, ack: flags.includes('A') ? 1 : 0,
});
const udp = (src: string, sport: number, dst: string, dport: number, payload: string): FrameSpec => ({
  src, dst, proto: 'udp', sport, dport, payload,
});
const echo = (src: string, dst: string, type: number, id: number): FrameSpec => ({
  src, dst, proto: 'icmp', icmp: { type, id, seq: 1 },
});
const gre = (src: string, dst: string): FrameSpec => ({ src, dst, proto: 47, payload: new Uint8Array([0, 0, 0x08, 0]) });

const ALBERT = '10.0.0.10';
const ALBERTS_MACHINE = '203.0.113.5';
const STRANGER = '198.51.100.7';

export const SCENARIOS: Scenario[] = [
  {
    name: 'albert',
    title: "Albert's default group with SSH from his own machine only (seed 000)",
    frames: [
      { at: 0, frame: tcp(ALBERTS_MACHINE, 50022, ALBERT, 22, 'S'), expect: 'rule', why: 'SSH from 203.0.113.5/32 is allowed' },
      { at: 0.01, frame: tcp(ALBERT, 22, ALBERTS_MACHINE, 50022, 'SA'), expect: 'tracked', why: 'responses to allowed inbound traffic flow out' },
      { at: 0.02, frame: tcp(ALBERTS_MACHINE, 50022, ALBERT, 22, 'A'), expect: 'tracked', why: 'the connection is tracked' },
      { at: 1, frame: tcp(STRANGER, 41000, ALBERT, 22, 'S'), expect: 'ingress-no-rule', why: 'SSH from any other address is not' },
      { at: 1, frame: tcp(STRANGER, 41000, ALBERT, 80, 'S'), expect: 'ingress-no-rule', why: 'a port scan finds nothing open' },
      { at: 1, frame: tcp(STRANGER, 41000, ALBERT, 443, 'S'), expect: 'ingress-no-rule', why: 'a port scan finds nothing open' },
      { at: 2, frame: tcp(ALBERT, 43000, '198.51.100.80', 443, 'S'), expect: 'rule', why: 'the default group allows all outbound traffic' },
      { at: 2.05, frame: tcp('198.51.100.80', 443, ALBERT, 43000, 'SA'), expect: 'tracked', why: 'the response to a request is allowed in regardless of inbound rules' },
      { at: 3, frame: udp(ALBERT, 5353, '198.51.100.53', 53, 'query'), expect: 'rule', why: 'all outbound traffic' },
      { at: 3.01, frame: udp('198.51.100.53', 53, ALBERT, 5353, 'answer'), expect: 'tracked', why: 'the UDP response is tracked' },
      { at: 4, frame: echo(STRANGER, ALBERT, 8, 9), expect: 'ingress-no-rule', why: 'no inbound ICMP rule' },
      { at: 5, frame: 'arp', expect: 'not-ip', why: 'ARP is not judged by security groups' },
    ],
  },
  {
    name: 'mary',
    title: "Mary's three tiers: web from the world, app from web, database from app (seed 000)",
    timeline: [
      {
        beforeFrame: 12,
        Action: 'AuthorizeSecurityGroupIngress',
        Parameters: {
          GroupId: 'sg-0f1e2d3c4b5a60002',
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: 'sg-0f1e2d3c4b5a60001' }] }],
        },
      },
    ],
    frames: [
      { at: 0, frame: tcp('198.51.100.20', 40000, '10.0.1.10', 80, 'S'), expect: 'rule-untracked', why: 'HTTP from 0.0.0.0/0 with all outbound open is not tracked (seed 001)' },
      { at: 0.01, frame: tcp('10.0.1.10', 80, '198.51.100.20', 40000, 'SA'), expect: 'rule-untracked', why: 'its response flows by the outbound rule' },
      { at: 0.02, frame: tcp('2001:db8:ff::20', 40001, '2001:db8:1::10', 443, 'S'), expect: 'rule-untracked', why: 'HTTPS from ::/0' },
      { at: 1, frame: tcp('198.51.100.20', 40002, '10.0.2.10', 8080, 'S'), expect: 'ingress-no-rule', why: 'the app tier is closed to the world' },
      { at: 2, frame: tcp('10.0.1.10', 41000, '10.0.2.10', 8080, 'S'), expect: 'rule', why: 'the app group allows 8080 from the web group' },
      { at: 2.01, frame: tcp('10.0.2.10', 8080, '10.0.1.10', 41000, 'SA'), expect: 'tracked', why: 'tracked on both interfaces' },
      { at: 3, frame: tcp('10.0.1.11', 41001, '10.0.3.10', 3306, 'S'), expect: 'ingress-no-rule', why: 'web servers cannot reach the database' },
      { at: 4, frame: tcp('10.0.2.20', 42000, '10.0.3.10', 3306, 'S'), expect: 'rule', why: "group references match members' secondary private addresses" },
      { at: 4.01, frame: tcp('10.0.3.10', 3306, '10.0.2.20', 42000, 'SA'), expect: 'tracked', why: 'the database answers' },
      { at: 5, frame: tcp('198.51.100.20', 40003, '10.0.3.10', 3306, 'S'), expect: 'ingress-no-rule', why: 'the database is closed to the world' },
      { at: 6, frame: tcp('10.0.1.10', 41002, '10.0.2.10', 22, 'S'), expect: 'ingress-no-rule', why: 'SSH to the app tier is not allowed yet' },
      { at: 7, frame: tcp('10.0.1.10', 41003, '10.0.2.10', 22, 'S'), expect: 'rule', why: 'a rule added through the control plane is in force for the next packet' },
    ],
  },
  {
    name: 'conntrack',
    title: "Seed 001's connection tracking example: tracked SSH, untracked HTTP, ICMP, the 600-second rule",
    timeline: [
      {
        beforeFrame: 10,
        Action: 'RevokeSecurityGroupIngress',
        Parameters: {
          GroupId: 'sg-0c1d2e3f405160001',
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.1/32' }] },
            { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          ],
        },
      },
    ],
    frames: [
      { at: 0, frame: tcp('203.0.113.1', 50000, '10.0.0.20', 22, 'S'), expect: 'rule', why: 'SSH from 203.0.113.1/32 only: tracked' },
      { at: 0.01, frame: tcp('10.0.0.20', 22, '203.0.113.1', 50000, 'SA'), expect: 'tracked', why: 'the SSH flow is tracked' },
      { at: 0.02, frame: tcp('203.0.113.1', 50000, '10.0.0.20', 22, 'A'), expect: 'tracked', why: 'the handshake completes: established' },
      { at: 1, frame: tcp('198.51.100.9', 40000, '10.0.0.20', 80, 'S'), expect: 'rule-untracked', why: 'port 80 is open to 0.0.0.0/0 both ways: not tracked' },
      { at: 1.01, frame: tcp('10.0.0.20', 80, '198.51.100.9', 40000, 'SA'), expect: 'rule-untracked', why: 'allowed by the outbound rule, not by tracking' },
      { at: 2, frame: echo('198.51.100.9', '10.0.0.20', 8, 7), expect: 'rule', why: 'ICMP is always tracked' },
      { at: 2.01, frame: echo('10.0.0.20', '198.51.100.9', 0, 7), expect: 'tracked', why: 'the echo reply belongs to the tracked request' },
      { at: 10, frame: gre('10.0.0.20', '198.51.100.50'), expect: 'rule', why: 'other protocols: address pair and protocol are tracked' },
      { at: 300, frame: gre('198.51.100.50', '10.0.0.20'), expect: 'tracked', why: 'host B within 600 seconds is accepted as response traffic' },
      { at: 301, frame: tcp('203.0.113.1', 50000, '10.0.0.20', 22, 'A'), expect: 'tracked', why: 'a tracked SSH connection survives the removal of its rule' },
      { at: 301, frame: tcp('198.51.100.9', 40000, '10.0.0.20', 80, 'A'), expect: 'ingress-no-rule', why: 'an untracked flow is interrupted at once when its rule is removed' },
      { at: 302, frame: tcp('203.0.113.1', 50001, '10.0.0.20', 22, 'S'), expect: 'ingress-no-rule', why: 'new SSH connections are refused' },
      { at: 901, frame: gre('198.51.100.50', '10.0.0.20'), expect: 'ingress-no-rule', why: 'more than 600 seconds after the last packet' },
    ],
  },
];

const ARP_REQUEST = Buffer.from(
  'ffffffffffff02000000000108060001080006040001020000000001c0000201000000000000c0000202',
  'hex',
);

/** The bytes of a scenario frame. */
export function scenarioFrameBytes(f: ScenarioFrame): Buffer {
  return f.frame === 'arp' ? ARP_REQUEST : buildFrame(f.frame);
}

/** Writes `<dir>/<name>.pcap` (classic pcap, microseconds) and `<dir>/timeline.jsonl` if any. */
export function writeScenario(s: Scenario, dir: string): void {
  const writer = new PcapWriter(join(dir, `${s.name}.pcap`), LinkType.ETHERNET);
  for (const f of s.frames) {
    const data = scenarioFrameBytes(f);
    const micros = Math.round(f.at * 1e6);
    writer.write({
      linkType: LinkType.ETHERNET,
      tsSec: START_SECONDS + Math.floor(micros / 1e6),
      tsNanos: (micros % 1e6) * 1000,
      caplen: data.length,
      origLen: data.length,
      data,
      offset: 0,
    });
  }
  writer.close();
  if (s.timeline) {
    writeFileSync(join(dir, 'timeline.jsonl'), s.timeline.map((t) => JSON.stringify(t)).join('\n') + '\n');
  }
}

