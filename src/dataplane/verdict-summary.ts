// What a dataplane has judged so far, for summaries (replay, monitor) and flow logs. Off the
// per-packet path: these allocate.
import type { ModelView } from '../model/model-view.js';
import type { FlowSink } from '../observe/flow-log.js';
import { IpProto } from '../packet/packet-view.js';
import { wordsToAddress } from './address-words.js';
import type { Dataplane } from './dataplane.js';
import { isAllowed, REASON_NAMES } from './verdict.js';

export interface VerdictSummary {
  allowed: number;
  dropped: number;
  byReason: Record<string, number>;
  interfaces: { interfaceId: string; allowed: number; dropped: number }[];
}

export function summarizeVerdicts(dataplane: Dataplane, model: ModelView): VerdictSummary {
  const byReason: Record<string, number> = {};
  let allowed = 0;
  let dropped = 0;
  dataplane.reasonCounts.forEach((n, reason) => {
    if (n === 0) return;
    byReason[REASON_NAMES[reason]] = n;
    if (isAllowed(reason)) allowed += n;
    else dropped += n;
  });
  const interfaces: VerdictSummary['interfaces'] = [];
  for (const eni of model.interfaces()) {
    const compiled = dataplane.interfaceById(eni.interfaceId);
    if (!compiled) continue;
    const [a, d] = dataplane.interfaceCounters(compiled.index);
    interfaces.push({ interfaceId: eni.interfaceId, allowed: a, dropped: d });
  }
  return { allowed, dropped, byReason, interfaces };
}

/** Flow-log observations of the last judged frame, one per managed interface it touched. */
export function recordFlows(dataplane: Dataplane, flows: FlowSink, timeSeconds: number, accepted: boolean): void {
  const v = dataplane.view;
  const srcaddr = wordsToAddress(v.ipVersion, v.src);
  const dstaddr = wordsToAddress(v.ipVersion, v.dst);
  const ports = v.protocol === IpProto.TCP || v.protocol === IpProto.UDP;
  for (const index of [dataplane.lastSourceInterface, dataplane.lastDestinationInterface]) {
    if (index < 0) continue;
    flows.add({
      interfaceId: dataplane.interfaceAt(index)?.interfaceId ?? '?',
      srcaddr,
      dstaddr,
      srcport: ports ? v.srcPort : 0,
      dstport: ports ? v.dstPort : 0,
      protocol: v.protocol,
      bytes: v.ipLength,
      time: timeSeconds,
      accepted,
    });
  }
}
