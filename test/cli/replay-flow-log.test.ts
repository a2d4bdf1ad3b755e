// `sgfw replay --flow-log` writes what a live mode would: the header line, records aggregated in
// windows of capture time (the capture's timestamps are replay's clock), NODATA for an interface
// quiet in a window, and each interface's records under its owner's account.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { main } from '../../src/cli/main.js';
import { FLOW_LOG_HEADER } from '../../src/observe/flow-log.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { captureIo } from './capture-io.js';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const OWNER_A = '111111111111';
const OWNER_B = '222222222222';
const ENI_A = 'eni-0a0a0a0a0a0a0000a';
const ENI_B = 'eni-0b0b0b0b0b0b0000b';
const ENI_C = 'eni-0c0c0c0c0c0c0000c';

const group = (id: string, owner: string | undefined) => ({
  GroupId: id,
  GroupName: `group-${id.slice(-1)}`,
  Description: id,
  VpcId: VPC,
  ...(owner === undefined ? {} : { OwnerId: owner }),
  IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
  IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
});
const eni = (id: string, address: string, groupId: string) => ({
  NetworkInterfaceId: id,
  VpcId: VPC,
  PrivateIpAddress: address,
  Groups: [{ GroupId: groupId }],
});

/** Two owners' groups (A's and B's), and C's group that names none: the service's account. */
const STATE = {
  SecurityGroups: [group('sg-0a0a0a0a0a0a0000a', OWNER_A), group('sg-0b0b0b0b0b0b0000b', OWNER_B), group('sg-0c0c0c0c0c0c0000c', undefined)],
  NetworkInterfaces: [
    eni(ENI_A, '10.0.0.10', 'sg-0a0a0a0a0a0a0000a'),
    eni(ENI_B, '10.0.0.11', 'sg-0b0b0b0b0b0b0000b'),
    eni(ENI_C, '10.0.0.12', 'sg-0c0c0c0c0c0c0000c'),
  ],
};

/** UDP datagrams to port 53 of `dst`, at capture time `seconds`. */
function writeCapture(file: string, frames: readonly { seconds: number; dst: string; sport?: number }[]): void {
  const w = new PcapWriter(file, LinkType.ETHERNET);
  for (const f of frames) {
    const data = buildFrame({ src: '192.0.2.1', dst: f.dst, proto: 'udp', sport: f.sport ?? 40000, dport: 53, payload: 'abcd' });
    w.write({ linkType: LinkType.ETHERNET, tsSec: Math.floor(f.seconds), tsNanos: Math.round((f.seconds % 1) * 1e9), caplen: data.length, origLen: data.length, data, offset: 0 });
  }
  w.close();
}

let dir: string;
let state: string;
let capture: string;
let flowLog: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgfw-replay-flowlog-'));
  state = join(dir, 'state.json');
  writeFileSync(state, JSON.stringify(STATE));
  capture = join(dir, 'capture.pcap');
  flowLog = join(dir, 'flows.log');
  // 1000 s is in the window [960, 1020); the capture spans 100 s, over three 60-second windows
  writeCapture(capture, [
    { seconds: 1000.25, dst: '10.0.0.10' },
    { seconds: 1010, dst: '10.0.0.11' },
    { seconds: 1015, dst: '10.0.0.12' },
    { seconds: 1030, dst: '10.0.0.10' },
    { seconds: 1090, dst: '10.0.0.10' },
    { seconds: 1100.5, dst: '10.0.0.10' },
  ]);
});

async function replay(...flags: string[]): Promise<{ code: number; err: string; lines: string[] }> {
  const io = captureIo();
  const code = await main(['replay', '--state', state, '--flow-log', flowLog, ...flags, capture], io);
  return { code, err: io.err(), lines: code === 0 ? readFileSync(flowLog, 'utf8').split('\n').filter(Boolean) : [] };
}

describe('sgfw replay --flow-log', () => {
  it('writes the header, then 60-second windows of capture time, NODATA for a quiet interface, each interface under its owner', async () => {
    const r = await replay();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // 32 bytes: a 20-byte IPv4 header, 8 of UDP and 4 of payload
    expect(r.lines).toEqual([
      FLOW_LOG_HEADER,
      // [960, 1020): logging starts at the first frame, 1000
      `2 ${OWNER_A} ${ENI_A} 192.0.2.1 10.0.0.10 40000 53 17 1 32 1000 1000 ACCEPT OK`,
      `2 ${OWNER_B} ${ENI_B} 192.0.2.1 10.0.0.11 40000 53 17 1 32 1010 1010 ACCEPT OK`,
      `2 123456789012 ${ENI_C} 192.0.2.1 10.0.0.12 40000 53 17 1 32 1015 1015 ACCEPT OK`,
      // [1020, 1080): the same flow of A is a new record; B and C were quiet
      `2 ${OWNER_A} ${ENI_A} 192.0.2.1 10.0.0.10 40000 53 17 1 32 1030 1030 ACCEPT OK`,
      `2 ${OWNER_B} ${ENI_B} - - - - - - - 1020 1080 - NODATA`,
      `2 123456789012 ${ENI_C} - - - - - - - 1020 1080 - NODATA`,
      // [1080, 1140), cut at the last frame
      `2 ${OWNER_A} ${ENI_A} 192.0.2.1 10.0.0.10 40000 53 17 2 64 1090 1100 ACCEPT OK`,
      `2 ${OWNER_B} ${ENI_B} - - - - - - - 1080 1100 - NODATA`,
      `2 123456789012 ${ENI_C} - - - - - - - 1080 1100 - NODATA`,
    ]);
  });

  it('--flow-log-interval 600 aggregates the whole capture in one window', async () => {
    const r = await replay('--flow-log-interval', '600');
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      FLOW_LOG_HEADER,
      `2 ${OWNER_A} ${ENI_A} 192.0.2.1 10.0.0.10 40000 53 17 4 128 1000 1100 ACCEPT OK`,
      `2 ${OWNER_B} ${ENI_B} 192.0.2.1 10.0.0.11 40000 53 17 1 32 1010 1010 ACCEPT OK`,
      `2 123456789012 ${ENI_C} 192.0.2.1 10.0.0.12 40000 53 17 1 32 1015 1015 ACCEPT OK`,
    ]);
  });

  it('a pause in the capture writes no windows for it, and the window before it still ends on time', async () => {
    writeCapture(capture, [
      { seconds: 1000, dst: '10.0.0.10' },
      { seconds: 5000, dst: '10.0.0.10' },
    ]);
    const r = await replay();
    expect(r.code).toBe(0);
    expect(r.lines.filter((l) => l.includes(ENI_B))).toEqual([
      // not up to 5000 (nor 4980): the windows between were never seen
      `2 ${OWNER_B} ${ENI_B} - - - - - - - 1000 1020 - NODATA`,
      // 5000 is in [4980, 5040); the log stops at 5000, the capture's last frame
      `2 ${OWNER_B} ${ENI_B} - - - - - - - 4980 5000 - NODATA`,
    ]);
    expect(r.lines.filter((l) => l.includes(ENI_A))).toEqual([
      `2 ${OWNER_A} ${ENI_A} 192.0.2.1 10.0.0.10 40000 53 17 1 32 1000 1000 ACCEPT OK`,
      `2 ${OWNER_A} ${ENI_A} 192.0.2.1 10.0.0.10 40000 53 17 1 32 5000 5000 ACCEPT OK`,
    ]);
  });

  it('starts the file afresh on each run', async () => {
    writeFileSync(flowLog, 'left over\n');
    const r = await replay();
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe(FLOW_LOG_HEADER);
    expect(r.lines).not.toContain('left over');
  });

  it('refuses --flow-log-interval without --flow-log, and an interval AWS does not offer', async () => {
    const io = captureIo();
    expect(await main(['replay', '--state', state, '--flow-log-interval', '600', capture], io)).toBe(2);
    expect(io.err()).toContain('--flow-log-interval needs --flow-log FILE');
    const bad = await replay('--flow-log-interval', '30');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--flow-log-interval expects 60 or 600, got '30'");
  });
});
