// The capture method's ceiling: a bridge that captures on each side with `cap` and injects every
// frame out of the other side, judging nothing. Same capture settings as `sgfw run --mode inline`
// (src/capture/live-capture.ts, src/cli/run-inline.ts): the `inbound` filter, a 16 MB kernel ring,
// a 65,535-byte frame buffer, one 'packet' callback per frame, pcap_sendpacket per frame.
// Run (root, in the namespace holding both interfaces): node bench/lib/cap-bridge.mjs INSIDE OUTSIDE
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Cap } = require('cap');

const [insideDev, outsideDev] = process.argv.slice(2);
if (!insideDev || !outsideDev) {
  console.error('usage: node bench/lib/cap-bridge.mjs INSIDE_IF OUTSIDE_IF');
  process.exit(2);
}

const RING_BYTES = 16 << 20;
const FRAME_BYTES = 65535;
let frames = 0;
let sent = 0;
let sendErrors = 0;

function open(dev) {
  const cap = new Cap();
  const buffer = Buffer.alloc(FRAME_BYTES);
  cap.open(dev, 'inbound', RING_BYTES, buffer);
  return { cap, buffer };
}

const inside = open(insideDev);
const outside = open(outsideDev);
function forward(from, to) {
  const { buffer } = from;
  return (nbytes, truncated) => {
    frames++;
    if (truncated) return;
    try {
      to.cap.send(buffer, nbytes);
      sent++;
    } catch {
      sendErrors++;
    }
  };
}
inside.cap.on('packet', forward(inside, outside));
outside.cap.on('packet', forward(outside, inside));

function stop(signal) {
  inside.cap.close();
  outside.cap.close();
  process.stderr.write(`cap-bridge: ${signal}: frames ${frames} sent ${sent} send errors ${sendErrors}\n`);
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.stderr.write(`cap-bridge: bridging ${insideDev} and ${outsideDev}; SIGINT/SIGTERM to stop\n`);
