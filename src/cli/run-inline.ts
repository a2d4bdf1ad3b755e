// `sgfw run --mode inline --inside IF --outside IF`: a bump in the wire. Both interfaces are
// captured with libpcap (`cap`), each frame judged, allowed frames injected out of the other one.
import { createWriteStream, type WriteStream } from 'node:fs';
import { CaptureError } from '../capture/capture-error.js';
import { LiveCapture } from '../capture/live-capture.js';
import { InlineBridge } from '../live/inline-bridge.js';
import { inlineMetricFamilies } from '../live/inline-metrics.js';
import { DropSampler } from '../observe/drop-sampler.js';
import { startMetricsServer, type MetricsServer } from '../observe/metrics-server.js';
import { renderExposition } from '../observe/metrics.js';
import { LinkType } from '../packet/link-types.js';
import { ExitCode } from './exit-codes.js';
import { RunFlowLog } from './run-flow-log.js';
import { dropLogTicker, dropPrivileges, startFailed, stopSignals } from './run-lifecycle.js';
import { openLiveModel, type LiveModel } from './run-model.js';
import { apiNote, type RunOptions } from './run-options.js';

export interface InlineFlags {
  inside: string;
  outside: string;
}

/**
 * Only frames that came in on an interface: a frame another socket sends out of it (the middle
 * host's own stack, another capture tool) is seen by packet sockets on the way out, and taking it
 * could send it round in a loop. (The kernel never hands a socket the frames it sent itself, so the
 * bridge's own injections are not seen either way.) libpcap compiles `inbound` on Linux to a kernel
 * filter on the packet type. One cost, measured with libpcap 1.10: right after a filter is set,
 * libpcap re-checks the next frame of its ring in userland, where the packet type is unknown, so
 * the first frame each interface receives after the start is lost (as if the link came up a moment
 * later; TCP, ARP and ping retry).
 */
export const INBOUND_ONLY = 'inbound';

/** Expired flows are reclaimed a slice at a time between frames, not on the per-packet path. */
const SWEEP_EVERY_MS = 1000;
const SWEEP_SLICE = 1 << 14;

export async function runInline(o: RunOptions, f: InlineFlags): Promise<number> {
  const { log, io } = o;
  let live: LiveModel;
  try {
    live = await openLiveModel({ stateFiles: o.stateFiles, api: o.api, log });
  } catch (e) {
    return startFailed(e, o);
  }
  const { dataplane } = live;
  const verdicts: WriteStream | null = o.verdictsFile ? createWriteStream(o.verdictsFile) : null;
  const sampler = new DropSampler(o.dropRate);
  const flowLog = RunFlowLog.open(o.flowLog, dataplane, live.view, log);
  const bridge = new InlineBridge(dataplane, LinkType.ETHERNET, { verdicts, drops: { sampler, logger: log }, flows: flowLog });

  let inside: LiveCapture | null = null;
  let outside: LiveCapture | null = null;
  let metrics: MetricsServer | null = null;
  try {
    // Both captures open and attach in one turn of the event loop: no frame is delivered before the
    // bridge knows where to send it.
    inside = new LiveCapture(f.inside, bridge.onInside, { filter: INBOUND_ONLY });
    outside = new LiveCapture(f.outside, bridge.onOutside, { filter: INBOUND_ONLY });
    for (const c of [inside, outside]) {
      if (c.linkType !== LinkType.ETHERNET) throw new CaptureError(c.device, `inline mode bridges Ethernet; this interface has link type ${c.linkType}`);
    }
    bridge.attach(inside, outside);
    if (o.metricsAt) {
      const render = (): string =>
        renderExposition(
          inlineMetricFamilies({
            dataplane,
            bridge,
            devices: [f.inside, f.outside],
            reloads: live.reloads ?? undefined,
            dropLogsSuppressed: () => sampler.suppressedTotal,
          }),
        );
      metrics = await startMetricsServer(o.metricsAt, render);
    }
  } catch (e) {
    bridge.detach();
    inside?.close();
    outside?.close();
    await metrics?.close();
    verdicts?.end();
    flowLog?.close();
    await live.close();
    return startFailed(e, o);
  }
  const captures = [inside, outside] as const;
  dropPrivileges(o);
  const interfaces = [...live.view.interfaces()].map((i) => i.interfaceId);
  log.info(
    {
      event: 'start', mode: 'inline', inside: f.inside, outside: f.outside, interfaces, modelVersion: dataplane.modelVersion,
      metrics: metrics?.address ?? null, api: live.api?.address ?? null,
    },
    'inline mode enforcing',
  );
  const ticker = dropLogTicker(sampler, o);
  const sweeper = setInterval(() => dataplane.conntrack.sweep(performance.now(), SWEEP_SLICE), SWEEP_EVERY_MS);
  sweeper.unref();

  const signals = stopSignals(() => {
    flowLog?.reopen();
    live.hangup();
  });
  io.stderr.write(
    `sgfw run: inline mode between ${f.inside} (inside) and ${f.outside} (outside), ${interfaces.length} managed interfaces` +
      `${metrics ? `, metrics on ${metrics.address.host}:${metrics.address.port}` : ''}${apiNote(live.api?.address)}; ` +
      `SIGINT/SIGTERM to stop${live.api ? '' : ', SIGHUP to reload'}\n`,
  );
  const signal = await signals.stopped;
  clearInterval(ticker);
  clearInterval(sweeper);
  // Closed in one turn, after the bridge forgets them: a frame still delivered goes nowhere.
  bridge.detach();
  for (const c of captures) c.close();
  await live.close();
  await metrics?.close();
  if (verdicts) await new Promise<void>((resolve) => verdicts.end(resolve));
  flowLog?.close();
  const sum = (a: Float64Array): number => a[0]! + a[1]!;
  log.info(
    {
      event: 'stop',
      signal,
      frames: bridge.frames,
      forwarded: sum(bridge.forwarded),
      dropped: sum(bridge.dropped),
      neighbourDiscovery: sum(bridge.neighbourDiscovery),
      truncated: sum(bridge.truncated),
      injectErrors: sum(bridge.injectErrors),
      failures: bridge.failures,
      lastError: bridge.lastError?.message ?? null,
      reloads: live.reloads?.reloads ?? 0,
      reloadFailures: live.reloads?.failures ?? 0,
    },
    'stopped',
  );
  io.stderr.write(
    `sgfw run: ${signal}: stopped; frames ${bridge.frames} forwarded ${sum(bridge.forwarded)} dropped ${sum(bridge.dropped)}` +
      (sum(bridge.injectErrors) ? ` inject errors ${sum(bridge.injectErrors)} (${bridge.lastError?.message})` : '') +
      '\n',
  );
  signals.release();
  return ExitCode.ok;
}
