// The AF_PACKET capture method's ceiling: a bridge that reads each side's TPACKET_V3 ring with the
// same AfPacketSocket as `sgfw run --mode inline --capture afpacket` (dist/capture/afpacket.js, the
// same ring defaults unless told) and sends every whole frame of a batch out of the other side in
// one sendBatch, judging nothing. `--vnet`: with vnet headers, as inline mode opens its sockets
// (offloaded super-frames forwarded whole, each frame sent with its header).
// Run (root, in the namespace holding both interfaces):
//   node bench/lib/afpacket-bridge.mjs INSIDE_IF OUTSIDE_IF [--block-size BYTES] [--block-count N] [--timeout-ms MS] [--vnet]
import { AfPacketFlag, AfPacketMeta, AfPacketSocket, AFPACKET_META_STRIDE, AFPACKET_VNET_HEADER_LENGTH } from '../../dist/capture/afpacket.js';

const args = process.argv.slice(2);
const [insideDev, outsideDev] = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--') && args[i - 1] !== '--vnet'));
if (!insideDev || !outsideDev) {
  console.error('usage: node bench/lib/afpacket-bridge.mjs INSIDE_IF OUTSIDE_IF [--block-size BYTES] [--block-count N] [--timeout-ms MS]');
  process.exit(2);
}
function option(name) {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const v = Number(args[at + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`afpacket-bridge: ${name} ${args[at + 1]}: not a positive integer`);
    process.exit(2);
  }
  return v;
}
const options = {};
if (option('--block-size') !== undefined) options.blockSize = option('--block-size');
if (option('--block-count') !== undefined) options.blockCount = option('--block-count');
if (option('--timeout-ms') !== undefined) options.blockTimeoutMs = option('--timeout-ms');
if (args.includes('--vnet')) options.vnetHeader = true;
const headroom = options.vnetHeader ? AFPACKET_VNET_HEADER_LENGTH : 0;

let frames = 0;
let truncated = 0;
const sockets = [null, null];
const out = [new Int32Array(2), new Int32Array(2)];

/** Every whole frame of the batch on side `from`, out of the other side in one sendBatch. */
function forward(from) {
  const to = 1 - from;
  return (batch) => {
    const { count, meta, data } = batch;
    let o = out[from];
    if (o.length < count * 2) o = out[from] = new Int32Array(count * 2);
    let n = 0;
    for (let i = 0; i < count; i++) {
      const m = i * AFPACKET_META_STRIDE;
      frames++;
      if ((meta[m + AfPacketMeta.FLAGS] & AfPacketFlag.TRUNCATED) !== 0) {
        truncated++;
        continue;
      }
      o[n * 2] = meta[m + AfPacketMeta.OFFSET] - headroom;
      o[n * 2 + 1] = meta[m + AfPacketMeta.LENGTH] + headroom;
      n++;
    }
    if (n > 0 && sockets[to] !== null) sockets[to].sendBatch(data, o, n);
  };
}

try {
  sockets[0] = new AfPacketSocket(insideDev, forward(0), options);
  sockets[1] = new AfPacketSocket(outsideDev, forward(1), options);
} catch (e) {
  for (const s of sockets) s?.close();
  console.error(`afpacket-bridge: ${e.message}`);
  process.exit(1);
}

function stop(signal) {
  const st = sockets.map((s) => s.stats());
  for (const s of sockets) s.close();
  const sum = (k) => st[0][k] + st[1][k];
  process.stderr.write(
    `afpacket-bridge: ${signal}: frames ${frames} sent ${sum('sent')} send errors ${sum('sendErrors')} truncated ${truncated}` +
      ` capture drops ${sum('drops')} batches ${sum('batches')}\n`,
  );
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const ring = `${options.blockCount ?? 'default'} blocks of ${options.blockSize ?? 'default'} bytes, ${options.blockTimeoutMs ?? 'default'} ms timeout`;
process.stderr.write(`afpacket-bridge: bridging ${insideDev} and ${outsideDev} (${ring}); SIGINT/SIGTERM to stop\n`);
