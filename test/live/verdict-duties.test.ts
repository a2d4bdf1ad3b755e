// The duties every live loop does with a verdict, driven straight: a packet judged by the
// Dataplane, then counted, reported and (dropped) logged as host and inline mode each do.
import { describe, expect, it } from 'vitest';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { isAllowed, Reason, REASON_COUNT } from '../../src/dataplane/verdict.js';
import { NO_INTERFACE_SLOT, VerdictDuties } from '../../src/live/verdict-duties.js';
import { DropSampler } from '../../src/observe/drop-sampler.js';
import { createLogger } from '../../src/observe/logger.js';
import { buildFrame, type FrameSpec } from '../../src/packet/frame-builder.js';
import { LinkType } from '../../src/packet/link-types.js';
import { ALBERT_ENI, ALBERT_STATE } from './host-batches.js';

const STRANGER_SSH: FrameSpec = { src: '198.51.100.7', dst: '10.0.0.10', proto: 'tcp', sport: 40001, dport: 22, flags: 'S' };
const ELSEWHERE: FrameSpec = { src: '192.0.2.1', dst: '192.0.2.2', proto: 'udp', sport: 1, dport: 2 };

async function setup(dropMessage?: string) {
  const dataplane = new Dataplane(await serviceFromStateFiles([ALBERT_STATE]));
  const lines: string[] = [];
  const logged: string[] = [];
  const flows: boolean[] = [];
  const duties = new VerdictDuties(dataplane, {
    verdicts: { write: (l) => lines.push(l) },
    drops: { sampler: new DropSampler(1), logger: createLogger('info', { write: (s: string) => void logged.push(s) }) },
    flows: { record: (accepted) => flows.push(accepted) },
    dropMessage,
  });
  const judge = (spec: FrameSpec): number => {
    const packet = buildFrame({ link: 'raw', ...spec });
    dataplane.clock[0] = 1000;
    return dataplane.judgeNow(LinkType.RAW, packet, 0, packet.length, packet.length);
  };
  return { duties, judge, lines, logged, flows };
}

describe('what a live loop does with a verdict', () => {
  it('counts by interface slot and reason, and reports the line and flow of the last packet', async () => {
    const { duties, judge, lines, flows } = await setup();
    for (const spec of [STRANGER_SSH, ELSEWHERE]) {
      const reason = judge(spec);
      duties.countLast(reason, 60);
      duties.reportLast(lines.length + 1, reason, isAllowed(reason));
    }
    expect(duties.packetCounts[1 * REASON_COUNT + Reason.INGRESS_NO_RULE]).toBe(1);
    expect(duties.byteCounts[1 * REASON_COUNT + Reason.INGRESS_NO_RULE]).toBe(60);
    expect(duties.packetCounts[NO_INTERFACE_SLOT * REASON_COUNT + Reason.UNMANAGED]).toBe(1);
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { frame: 1, verdict: 'drop', reason: 'ingress-no-rule', interfaces: [ALBERT_ENI] },
      { frame: 2, verdict: 'allow', reason: 'unmanaged', interfaces: [] },
    ]);
    expect(flows).toEqual([false, true]);
  });

  it('logs drops within the budget, naming the side after the event when the loop has sides', async () => {
    const host = await setup();
    host.duties.logDrop(host.judge(STRANGER_SSH), null);
    host.duties.logDrop(host.judge(STRANGER_SSH), null); // past the budget of 1
    const inline = await setup('frame dropped');
    inline.duties.logDrop(inline.judge(STRANGER_SSH), 'outside');
    expect(host.logged).toHaveLength(1);
    const [h, i] = [JSON.parse(host.logged[0]!), JSON.parse(inline.logged[0]!)];
    expect(h.msg).toBe('packet dropped');
    expect(i.msg).toBe('frame dropped');
    expect(Object.keys(h).filter((k) => k !== 'from')).toEqual(Object.keys(i).filter((k) => k !== 'from'));
    expect(Object.keys(i).slice(Object.keys(i).indexOf('event'), Object.keys(i).indexOf('event') + 3)).toEqual(['event', 'from', 'reason']);
    expect(i).toMatchObject({ event: 'drop', from: 'outside', reason: 'ingress-no-rule', src: '198.51.100.7', destinationInterface: ALBERT_ENI, sourceInterface: null });
  });
});
