// The AF_XDP prototype bridge (issue 18 item 6): inline mode's judging on AF_XDP sockets instead of
// AF_PACKET rings. Each interface gets an XDP program that redirects every frame to an XDP socket
// (native-bindings/afxdp: one UMEM shared by both sockets, so an allowed frame goes out of the other
// interface without a copy in user space); each RX batch is judged by the real InlineBridge and
// Dataplane (dist/, the same onBatch the AF_PACKET ring feeds, the same meta layout) and the allowed
// frames are queued on the other socket's TX ring, one wakeup per batch. `--judge-nothing` forwards
// every frame (the capture method's ceiling). A prototype: `sgfw` never loads it.
// Run (root, in the namespace holding both interfaces):
//   node bench/lib/xdp-bridge.mjs INSIDE_IF OUTSIDE_IF (--state FILE | --judge-nothing)
//        [--xdp-mode auto|native|generic] [--bind auto|copy|zerocopy] [--queue N]
// Exit 3 (and one line saying why) when the afxdp addon is not built or the kernel refuses AF_XDP.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADDON = join(ROOT, 'native-bindings', 'afxdp', 'build', 'Release', 'afxdp.node');

/** Why the prototype cannot run here, or null: the addon must be built and we must be root. */
export function xdpUnavailable() {
  if (process.getuid?.() !== 0) return `needs root (XDP programs, AF_XDP sockets); running as uid ${process.getuid?.()}`;
  if (!existsSync(ADDON)) return `the afxdp addon is not built (${ADDON}): run 'node scripts/build-addons.mjs' (needs g++, make, python3 and linux-libc-dev's linux/if_xdp.h)`;
  return null;
}

/** The addon, loaded (throws with xdpUnavailable's reason when it cannot be). */
export function loadAfXdp() {
  const why = xdpUnavailable();
  if (why) throw new Error(why);
  return createRequire(import.meta.url)(ADDON);
}

/**
 * UMEM frames (32 MiB of 2 KiB frames: the memory of the AF_PACKET bridge's two 16 MiB rings), each
 * socket's ring sizes, and frames per JS call.
 */
const FRAMES = 16384;
const FRAME_SIZE = 2048;
const RING = 4096;
const META_FRAMES = 256;

/**
 * Opens the two sides (INSIDE = 0, OUTSIDE = 1, as InlineBridge's Side) on one shared UMEM and calls
 * `onBatch(side, data, meta, count)` per RX batch; `send(side, frames, count)` queues frames of it.
 */
export function openXdpPair(inside, outside, onBatch, { xdpMode = 'auto', bind = 'auto', queue = 0 } = {}) {
  const addon = loadAfXdp();
  const metaBuffer = new ArrayBuffer(META_FRAMES * addon.META_STRIDE * 4);
  const meta = new Int32Array(metaBuffer);
  let data = null;
  const b = new addon.Bridge(FRAMES, FRAME_SIZE, RING, metaBuffer, (side, count) => onBatch(side, data, meta, count));
  try {
    b.open(inside, queue, xdpMode, bind);
    b.open(outside, queue, xdpMode, bind);
  } catch (e) {
    b.close();
    throw e;
  }
  data = Buffer.from(b.data());
  return {
    start: () => b.start(),
    send: (side, frames, count) => b.sendBatch(side, frames, count),
    stats: () => b.stats(),
    close: () => b.close(),
  };
}

async function main() {
  const args = process.argv.slice(2);
  const value = (name, dflt) => {
    const at = args.indexOf(name);
    return at < 0 ? dflt : args[at + 1];
  };
  const [insideDev, outsideDev] = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--') && args[i - 1] !== '--judge-nothing'));
  const judgeNothing = args.includes('--judge-nothing');
  const stateFile = value('--state');
  if (!insideDev || !outsideDev || (!judgeNothing && !stateFile)) {
    console.error('usage: node bench/lib/xdp-bridge.mjs INSIDE_IF OUTSIDE_IF (--state FILE | --judge-nothing) [--xdp-mode auto|native|generic] [--bind auto|copy|zerocopy] [--queue N]');
    process.exit(2);
  }
  const why = xdpUnavailable();
  if (why) {
    console.error(`xdp-bridge: unavailable: ${why}`);
    process.exit(3);
  }
  let bridge = null;
  let dataplane = null;
  if (!judgeNothing) {
    const dist = (p) => import(join(ROOT, 'dist', p));
    const [{ serviceFromStateFiles }, { Dataplane }, { hugePageMemory }, { InlineBridge }, { LinkType }] = await Promise.all([
      dist('cli/state-flag.js'), dist('dataplane/dataplane.js'), dist('capture/huge-pages.js'), dist('live/inline-bridge.js'), dist('packet/link-types.js'),
    ]);
    dataplane = new Dataplane(await serviceFromStateFiles([stateFile]), { recordMemory: hugePageMemory });
    bridge = new InlineBridge(dataplane, LinkType.ETHERNET);
  }
  let frames = 0;
  const all = [new Int32Array(META_FRAMES * 2), new Int32Array(META_FRAMES * 2)];
  let pair = null;
  const forwardAll = (side, data, meta, count) => {
    frames += count;
    const o = all[side];
    for (let i = 0; i < count; i++) {
      o[i * 2] = meta[i * 4];
      o[i * 2 + 1] = meta[i * 4 + 1];
    }
    pair.send(1 - side, o, count);
  };
  const judge = (side, data, meta, count) => bridge.onBatch(side, data, meta, count);
  try {
    pair = openXdpPair(insideDev, outsideDev, judgeNothing ? forwardAll : judge, {
      xdpMode: value('--xdp-mode', 'auto'), bind: value('--bind', 'auto'), queue: Number(value('--queue', '0')),
    });
  } catch (e) {
    console.error(`xdp-bridge: unavailable: ${e.message}`);
    process.exit(3);
  }
  if (bridge) {
    // A port sends out of its own side: InlineBridge hands a batch from one side to the other's port.
    // Only frames of the UMEM can go (`data` is always it); `send` of a single copied frame cannot.
    bridge.attach({ send: () => false, sendBatch: (_d, f, n) => pair.send(0, f, n) }, { send: () => false, sendBatch: (_d, f, n) => pair.send(1, f, n) });
    setInterval(() => dataplane.conntrack.sweep(performance.now(), 1 << 14), 1000).unref();
  }
  pair.start();
  const stop = (signal) => {
    const st = pair.stats();
    pair.close();
    const sum = (k) => st.reduce((a, s) => a + (s[k] ?? 0), 0);
    const judged = bridge ? ` judged ${bridge.frames} forwarded ${bridge.forwarded[0] + bridge.forwarded[1]} dropped ${bridge.dropped[0] + bridge.dropped[1]}` : ` frames ${frames}`;
    process.stderr.write(
      `xdp-bridge: ${signal}:${judged} rx ${sum('rxFrames')} batches ${sum('rxBatches')} tx queued ${sum('txQueued')} completed ${sum('txCompleted')}` +
        ` refused ${sum('txRefused')} kicks ${sum('kicks')} (again ${sum('kickAgain')}) fill-empty ${sum('fillEmpty')} rx-full ${sum('rxRingFull')} rx-dropped ${sum('rxDropped')}\n`,
    );
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const st = pair.stats();
  const modes = st.map((s) => `${s.device}: ${s.native ? 'native' : 'generic'} XDP, ${s.zeroCopy ? 'zero-copy' : 'copy'} socket, TX budget ${s.budget || 'default'}`).join('; ');
  process.stderr.write(`xdp-bridge: bridging ${insideDev} and ${outsideDev} (${judgeNothing ? 'judging nothing' : `judging with ${stateFile}`}; ${modes}); SIGINT/SIGTERM to stop\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
