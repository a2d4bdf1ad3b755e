// `replay()` of the JS API: a capture (path or bytes) judged against groups (paths or documents)
// with the same replay loop `sgfw replay` runs, each frame's verdict returned instead of written.
// For test suites: one call per capture, a fresh model and flow table each time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError } from '../capture/capture-error.js';
import { SecurityGroupService } from '../control/service.js';
import { wordsToAddress } from '../dataplane/address-words.js';
import type { Dataplane } from '../dataplane/dataplane.js';
import { verdictLine } from '../observe/verdict-line.js';
import { DecodeStatus, IpProto, type PacketView } from '../packet/packet-view.js';
import { REASON_WORDS, replay as replayCaptures } from '../replay/replay-run.js';
import { parseTimeline, readTimeline, type TimelineEntry } from '../replay/timeline.js';
import { importStateFiles, parseStateText, readStateFile, type StateFile } from '../state/index.js';
import type { FlowSummary, FrameVerdict, ReplayInput, ReplayResult, TimelineCall } from './types.js';

const PROTOCOL_NAMES: Record<number, string> = { [IpProto.TCP]: 'tcp', [IpProto.UDP]: 'udp', [IpProto.ICMP]: 'icmp', [IpProto.ICMPV6]: 'icmpv6' };

/**
 * Judges every frame of `input.capture` against `input.state`, applying `input.timeline` on the
 * way. Rejects with one clear error for a bad capture, state document or timeline (naming it and
 * where), and for a timeline call the model refuses (its EC2 code in `code`).
 */
export async function replay(input: ReplayInput): Promise<ReplayResult> {
  const service = new SecurityGroupService({ ruleIdsFromContent: true });
  await importStateFiles(stateFiles(input.state), service);
  const timeline = timelineOf(input.timeline);
  const frames: FrameVerdict[] = [];
  const onVerdict = (frame: number, judged: Dataplane, reason: number): void => {
    const line = JSON.parse(verdictLine(judged, frame, REASON_WORDS[reason])) as Omit<FrameVerdict, 'flow'>;
    frames.push({ ...line, flow: judged.view.status === DecodeStatus.OK ? flowOf(judged.view) : null });
  };
  const summary = await withCaptureFile(input.capture, (file) =>
    replayCaptures(service, { captures: [file], timeline, timelineFile: typeof input.timeline === 'string' ? input.timeline : 'timeline', onVerdict }),
  );
  if (summary.failure) {
    const f = summary.failure;
    throw Object.assign(new Error(`${f.where}: ${f.action} before frame ${f.frame} failed: ${f.code}: ${f.message}`), { code: f.code });
  }
  return { frames, allowed: summary.allowed, dropped: summary.dropped, byReason: summary.byReason };
}

function stateFiles(state: ReplayInput['state']): StateFile[] {
  const list = typeof state === 'string' || !Array.isArray(state) ? [state as string | Record<string, unknown>] : state;
  if (list.length === 0) throw new TypeError('replay: state: give at least one state file or document');
  return list.map((s, i) =>
    typeof s === 'string' ? { file: s, doc: readStateFile(s) } : { file: `state[${i}]`, doc: parseStateText(JSON.stringify(s), `state[${i}]`) },
  );
}

function timelineOf(timeline: ReplayInput['timeline']): TimelineEntry[] {
  if (timeline === undefined) return [];
  if (typeof timeline === 'string') return readTimeline(timeline);
  return parseTimeline('timeline', timeline.map((call: TimelineCall) => JSON.stringify(call)).join('\n'));
}

/** Runs `use` on the capture's file: the path given, or the bytes written to a temporary file (removed after). */
async function withCaptureFile<T>(capture: string | Uint8Array, use: (file: string) => Promise<T>): Promise<T> {
  if (typeof capture === 'string') return use(capture);
  if (!(capture instanceof Uint8Array)) throw new TypeError('replay: capture: expected a file path or a Buffer/Uint8Array of a pcap or pcapng file');
  const dir = mkdtempSync(join(tmpdir(), 'sgfw-replay-'));
  const file = join(dir, 'capture');
  try {
    writeFileSync(file, capture);
    return await use(file);
  } catch (e) {
    // Name the bytes as the caller knows them, not by the temporary file.
    if (e instanceof CaptureError) throw new CaptureError(`capture (${capture.length} bytes)`, e.reason);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function flowOf(v: PacketView): FlowSummary {
  const ports = v.protocol === IpProto.TCP || v.protocol === IpProto.UDP;
  const icmp = v.protocol === (v.ipVersion === 4 ? IpProto.ICMP : IpProto.ICMPV6);
  return {
    protocol: PROTOCOL_NAMES[v.protocol] ?? String(v.protocol),
    source: wordsToAddress(v.ipVersion, v.src),
    destination: wordsToAddress(v.ipVersion, v.dst),
    sourcePort: ports ? v.srcPort : null,
    destinationPort: ports ? v.dstPort : null,
    icmpType: icmp ? v.icmpType : null,
    icmpCode: icmp ? v.icmpCode : null,
  };
}
