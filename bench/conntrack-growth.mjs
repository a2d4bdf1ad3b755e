// Issue 18 item 3: the conntrack table grows with its flows. 1,000,000 new UDP flows go into a
// table of capacity 2^20 as the dataplane puts them (lookupNow misses, trackMissNow inserts),
// each insert timed on its own; then the bytes per flow at 1M flows, and what a sweep gives back
// once they expire. The peer, in the same process and rounds (alternating): the same table
// reserved whole up front (initialSlots = all of them), as it was before it grew.
// Run: npx tsc -p tsconfig.build.json && node --expose-gc bench/conntrack-growth.mjs [flows] [--rounds N]
import { hugePageMemory } from '../dist/capture/huge-pages.js';
import { ConntrackTable } from '../dist/conntrack/index.js';
import { PacketView } from '../dist/packet/packet-view.js';
import { median } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const roundsAt = argv.indexOf('--rounds');
const ROUNDS = roundsAt < 0 ? 3 : Number(argv.splice(roundsAt, 2)[1]);
const FLOWS = Number(argv[0] ?? 1_000_000);
const CAPACITY = 1 << 20;
const TIMEOUTS = { tcpEstablished: 432000, udpStream: 180, udp: 30 };
const ME = 0x0a000005;
const view = new PacketView();
view.ipVersion = 4;
view.protocol = 17;

function fill(i) {
  view.src[0] = ME;
  view.dst[0] = (0xcb000000 + Math.floor(i / 60000)) >>> 0;
  view.srcPort = 1024 + (i % 60000);
  view.dstPort = 53;
}

/** After a collection and a turn of the event loop: the huge-page addon unmaps a buffer in its finalizer, which runs then. */
async function memory() {
  globalThis.gc?.();
  await new Promise((r) => setImmediate(r));
  globalThis.gc?.();
  await new Promise((r) => setImmediate(r));
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers };
}

async function run(grows) {
  const before = await memory();
  const ct = new ConntrackTable({ capacity: CAPACITY, memory: hugePageMemory, ...(grows ? {} : { initialSlots: 1 << 21 }) });
  const ns = new Float64Array(FLOWS);
  ct.clock[0] = 1000;
  const t0 = process.hrtime.bigint();
  let last = t0;
  for (let i = 0; i < FLOWS; i++) {
    fill(i);
    if (ct.lookupNow(0, view) === 0) ct.trackMissNow(0, view, TIMEOUTS, true);
    const now = process.hrtime.bigint();
    ns[i] = Number(now - last);
    last = now;
  }
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (ct.size !== FLOWS) throw new Error(`expected ${FLOWS} flows, the table holds ${ct.size}`);
  const after = await memory();
  const slots = ct.slots;
  const tableBytes = ct.byteLength;
  const resizes = ct.resizes;
  const memoryKind = ct.memoryKind;
  const sorted = Float64Array.from(ns).sort();
  const q = (p) => sorted[Math.min(FLOWS - 1, Math.floor(p * FLOWS))];
  let worstAt = 0;
  for (let i = 1; i < FLOWS; i++) if (ns[i] > ns[worstAt]) worstAt = i;
  const slowest = [...sorted.slice(-5)].reverse().map((x) => Math.round(x / 1000));
  // what the table gives back once its flows expire: sweep until nothing is left
  const s0 = process.hrtime.bigint();
  let sweeps = 0;
  let worstSweepNs = 0;
  while (ct.size > 0 || ct.byteLength > ct.minSlots * 64) {
    const a = process.hrtime.bigint();
    ct.sweep(1000 + 31_000, 1 << 14);
    const d = Number(process.hrtime.bigint() - a);
    if (d > worstSweepNs) worstSweepNs = d;
    if (++sweeps > 10_000) break;
  }
  const sweptMs = Number(process.hrtime.bigint() - s0) / 1e6;
  const emptied = await memory();
  return {
    grows,
    nsPerInsert: (totalMs * 1e6) / FLOWS,
    medianNs: q(0.5),
    p999Ns: q(0.999),
    p99999Ns: q(0.99999),
    maxUs: ns[worstAt] / 1000,
    worstAt,
    slowestUs: slowest,
    over100us: sorted.filter((x) => x > 100_000).length,
    over1ms: sorted.filter((x) => x > 1_000_000).length,
    resizes,
    slots,
    tableBytesPerFlow: tableBytes / FLOWS,
    rssBytesPerFlow: (after.rss - before.rss) / FLOWS,
    memoryKind,
    sweeps,
    sweptMs,
    worstSweepUs: worstSweepNs / 1000,
    bytesAfterExpiry: ct.byteLength,
    rssGivenBackMB: (after.rss - emptied.rss) / 1e6,
  };
}

const results = { grows: [], reserved: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const grows of r % 2 === 0 ? [true, false] : [false, true]) results[grows ? 'grows' : 'reserved'].push(await run(grows));
}
for (const [name, rs] of Object.entries(results)) {
  const m = (k) => median(rs.map((x) => x[k]));
  console.log(
    `${name}: ${m('nsPerInsert').toFixed(0)} ns/insert; per insert median ${m('medianNs').toFixed(0)} ns, p99.9 ${(m('p999Ns') / 1000).toFixed(1)} µs, ` +
      `p99.999 ${(m('p99999Ns') / 1000).toFixed(1)} µs, worst ${rs.map((x) => x.maxUs.toFixed(0)).join('/')} µs (at insert ${rs.map((x) => x.worstAt).join('/')}), ` +
      `> 100 µs: ${rs.map((x) => x.over100us).join('/')}, > 1 ms: ${rs.map((x) => x.over1ms).join('/')}; slowest five (µs) ${rs.map((x) => x.slowestUs.join(' ')).join(' | ')}`,
  );
  console.log(
    `  at ${FLOWS} flows: ${rs[0].slots} slots after ${rs[0].resizes} resizes, table ${m('tableBytesPerFlow').toFixed(1)} B/flow, RSS grew ${m('rssBytesPerFlow').toFixed(1)} B/flow (${rs.map((x) => x.rssBytesPerFlow.toFixed(0)).join('/')}), ${rs[0].memoryKind}; ` +
      `all expired: ${m('sweeps')} sweeps of 16k slots, ${m('sweptMs').toFixed(0)} ms in all, worst sweep ${m('worstSweepUs').toFixed(0)} µs, table then ${(m('bytesAfterExpiry') / 1048576).toFixed(1)} MiB, RSS given back ${m('rssGivenBackMB').toFixed(0)} MB`,
  );
}
