// `sgfw run --mode inline --inside IF --outside IF`: a bump in the wire. Both interfaces are
// captured, each frame judged, allowed frames injected out of the other one. Two capture methods:
// `afpacket` (native-bindings/afpacket: a TPACKET_V3 ring per interface, frames judged a ring block
// at a time and the allowed ones sent in one sendmmsg, the kernel's drop counters exported) and
// `pcap` (libpcap through `cap`: one callback and one pcap_sendpacket per frame, no drop counters).
import { AfPacketSocket, ringVnetHeaders } from '../capture/afpacket.js';
import { CaptureError } from '../capture/capture-error.js';
import { defaultCaptureMethod, type CaptureMethod } from '../capture/capture-method.js';
import { LiveCapture } from '../capture/live-capture.js';
import { InlineBridge, Side, type FramePort } from '../live/inline-bridge.js';
import { inlineMetricFamilies, type CaptureCounts } from '../live/inline-metrics.js';
import type { MetricsServer } from '../observe/metrics-server.js';
import { LinkType } from '../packet/link-types.js';
import { ExitCode } from './exit-codes.js';
import { dropLogTicker, dropPrivileges, logOneThread, startFailed, stopSignals } from './run-lifecycle.js';
import { managedInterfaces, metricsNote, modelSourceFields, startRun } from './run-start.js';
import type { RunOptions } from './run-options.js';
import { ThreadRun } from './run-thread.js';

export interface InlineFlags {
  inside: string;
  outside: string;
  /** undefined: afpacket when its addon is built, else pcap */
  capture?: CaptureMethod;
  /** why one thread judges although more cores are there (libpcap), logged before the ready line */
  oneThreadBecause?: string | null;
}

/** One side of the bridge, whichever the capture method. */
interface InlineSide {
  readonly device: string;
  readonly linkType: number;
  readonly port: FramePort;
  /** the kernel's counters for the capture socket; null when the method has none (pcap) */
  stats(): CaptureCounts | null;
  close(): void;
}

function openSide(method: CaptureMethod, device: string, bridge: InlineBridge, side: Side, vnetHeader: boolean): InlineSide {
  if (method === 'pcap') {
    const c = new LiveCapture(device, side === Side.INSIDE ? bridge.onInside : bridge.onOutside, { filter: INBOUND_ONLY });
    return { device, linkType: c.linkType, port: c, stats: () => null, close: () => c.close() };
  }
  const onBatch = side === Side.INSIDE ? bridge.onInsideBatch : bridge.onOutsideBatch;
  // Incoming frames only, by the socket itself (PACKET_IGNORE_OUTGOING): no first frame is lost.
  // With vnet headers, offloaded frames arrive whole and go out whole (inline-bridge.ts).
  const s = new AfPacketSocket(device, (b) => onBatch(b.data, b.meta, b.count), { vnetHeader });
  return { device, linkType: s.linkType, port: s, stats: () => s.stats(), close: () => s.close() };
}

/**
 * With `--capture pcap`, only frames that came in on an interface: a frame another socket sends out of it (the middle
 * host's own stack, another capture tool) is seen by packet sockets on the way out, and taking it
 * could send it round in a loop. (The kernel never hands a socket the frames it sent itself, so the
 * bridge's own injections are not seen either way.) libpcap compiles `inbound` on Linux to a kernel
 * filter on the packet type. One cost, measured with libpcap 1.10: right after a filter is set,
 * libpcap re-checks the next frame of its ring in userland, where the packet type is unknown, so
 * the first frame each interface receives after the start is lost (as if the link came up a moment
 * later; TCP, ARP and ping retry).
 */
export const INBOUND_ONLY = 'inbound';

/**
 * Said at start when frames go out without their vnet header (libpcap; a kernel before 5.6): what
 * must be off for TCP to get through, since nothing here can see a veth peer's offloads.
 */
function withoutOffloads(method: CaptureMethod, f: Pick<InlineFlags, 'inside' | 'outside'>): string {
  const why = method === 'pcap' ? '--capture pcap' : `this kernel (before 5.6)`;
  return `${why} forwards frames without their offload header: keep GRO and LRO off on ${f.inside} and ${f.outside} ` +
    `(ethtool -K DEV gro off lro off) and checksum offload off on a veth's peer (ethtool -K PEER tx off), or TCP will not get through` +
    (method === 'pcap' ? '; --capture afpacket needs neither' : '');
}

/** Expired flows are reclaimed a slice at a time between frames, not on the per-packet path. */
const SWEEP_EVERY_MS = 1000;
const SWEEP_SLICE = 1 << 14;

export async function runInline(o: RunOptions, f: InlineFlags): Promise<number> {
  const { log } = o;
  const started = await startRun(o, 'enforcing');
  if (typeof started === 'number') return started;
  const { systemd, live } = started;
  const { dataplane } = live;
  const outputs = ThreadRun.open(o, live);
  const { verdicts, sampler, flowLog } = outputs;
  const method = f.capture ?? defaultCaptureMethod();
  const vnetHeaders = method === 'afpacket' && ringVnetHeaders();
  const bridge = new InlineBridge(dataplane, LinkType.ETHERNET, { verdicts, drops: { sampler, logger: log }, flows: flowLog, vnetHeaders });

  let inside: InlineSide | null = null;
  let outside: InlineSide | null = null;
  let metrics: MetricsServer | null = null;
  const startedAt = Date.now();
  try {
    // Both captures open and attach in one turn of the event loop: no frame is delivered before the
    // bridge knows where to send it.
    inside = openSide(method, f.inside, bridge, Side.INSIDE, vnetHeaders);
    outside = openSide(method, f.outside, bridge, Side.OUTSIDE, vnetHeaders);
    for (const c of [inside, outside]) {
      if (c.linkType !== LinkType.ETHERNET) throw new CaptureError(c.device, `inline mode bridges Ethernet; this interface has link type ${c.linkType}`);
    }
    bridge.attach(inside.port, outside.port);
    const sides = [inside, outside] as const;
    metrics = await outputs.serveMetrics('inline', startedAt, () =>
      inlineMetricFamilies({
        dataplane,
        bridge,
        verdicts: bridge.counters,
        devices: [f.inside, f.outside],
        reloads: live.reloads ?? undefined,
        dropLogsSuppressed: () => sampler.suppressedTotal,
        captureStats: (side) => sides[side]!.stats(),
      }),
    );
  } catch (e) {
    bridge.detach();
    inside?.close();
    outside?.close();
    await metrics?.close();
    outputs.abandon();
    await live.close();
    return startFailed(e, o);
  }
  const captures = [inside, outside] as const;
  dropPrivileges(o);
  const interfaces = managedInterfaces(live);
  log.info(
    {
      event: 'start', mode: 'inline', capture: method, offloads: vnetHeaders, inside: f.inside, outside: f.outside, interfaces, modelVersion: dataplane.modelVersion,
      conntrackMemory: dataplane.conntrack.memoryKind,
      metrics: metrics?.address ?? null, ...modelSourceFields(live),
    },
    'inline mode enforcing',
  );
  const ticker = dropLogTicker(sampler, o);
  const sweeper = setInterval(() => dataplane.conntrack.sweep(performance.now(), SWEEP_SLICE), SWEEP_EVERY_MS);
  sweeper.unref();

  const signals = stopSignals(() => outputs.hangup(), systemd);
  logOneThread(o, f.oneThreadBecause);
  if (!vnetHeaders) log.warn({ event: 'offloads', offloads: false, capture: method }, withoutOffloads(method, f));
  // The ready line: a log record like every other line on stderr (tests and supervisors wait for it).
  log.info(
    { event: 'ready', mode: 'inline', workers: 1 },
    `inline mode between ${f.inside} (inside) and ${f.outside} (outside) (capture: ${method}), ${interfaces.length} managed interfaces` +
      `${metricsNote(metrics)}${live.readyNote}; ` +
      `SIGINT/SIGTERM to stop${live.hangupHint}`,
  );
  systemd.ready(`inline between ${f.inside} and ${f.outside}, ${interfaces.length} managed interfaces, model version ${dataplane.modelVersion}`);
  const signal = await signals.stopped;
  clearInterval(ticker);
  clearInterval(sweeper);
  // Closed in one turn, after the bridge forgets them: a frame still delivered goes nowhere. The
  // kernel's counters are read first, up to the close.
  bridge.detach();
  const captured = captures.map((c) => c.stats());
  for (const c of captures) c.close();
  await live.close();
  await metrics?.close();
  await outputs.close();
  const sum = (a: Float64Array): number => a[0]! + a[1]!;
  const captureDrops = captured.every((c) => c === null) ? null : captured.reduce((n, c) => n + (c?.drops ?? 0), 0);
  log.info(
    {
      event: 'stop',
      signal,
      frames: bridge.frames,
      forwarded: sum(bridge.forwarded),
      dropped: sum(bridge.dropped),
      neighbourDiscovery: sum(bridge.neighbourDiscovery),
      truncated: sum(bridge.truncated),
      offloaded: sum(bridge.offloaded),
      offloadedSegments: sum(bridge.offloadedSegments),
      injectErrors: sum(bridge.injectErrors),
      failures: bridge.failures,
      captureDrops,
      lastError: bridge.lastError?.message ?? null,
      reloads: live.reloads?.reloads ?? 0,
      reloadFailures: live.reloads?.failures ?? 0,
    },
    `${signal}: stopped; frames ${bridge.frames} forwarded ${sum(bridge.forwarded)} dropped ${sum(bridge.dropped)}` +
      (captureDrops ? ` capture drops ${captureDrops}` : '') +
      (sum(bridge.injectErrors) ? ` inject errors ${sum(bridge.injectErrors)} (${bridge.lastError?.message})` : ''),
  );
  signals.release();
  return ExitCode.ok;
}
