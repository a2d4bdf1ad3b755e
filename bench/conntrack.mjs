// Connection-tracking table at 1,000,000 concurrent flows: inserts/s, lookups/s (median of 5),
// heap bytes per flow, and what a full table does; the plain Map reference model is the peer.
// Run: npx tsc -p tsconfig.build.json && node --expose-gc bench/conntrack.mjs [flows] [--json] [--dist DIR]
// (--json: one object on stdout instead of the text, for bench/run.mjs; --dist: a `tsc --outDir`
// build to measure instead of dist/, to compare builds)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const distAt = argv.indexOf('--dist');
const DIST = distAt < 0 ? new URL('../dist/', import.meta.url).href : pathToFileURL(`${resolve(argv.splice(distAt, 2)[1])}/`).href;
const { ConntrackTable, ReferenceConntrack, CT_ESTABLISHED } = await import(new URL('conntrack/index.js', DIST).href);
const { PacketView } = await import(new URL('packet/packet-view.js', DIST).href);
// The huge-page allocator, as the cli wires it (a dist from before it was injected has none and
// places the records itself).
const { hugePageMemory } = await import(new URL('capture/huge-pages.js', DIST).href).catch(() => ({ hugePageMemory: undefined }));

const JSON_OUT = argv.includes('--json');
const FLOWS = Number(argv.find((a) => !a.startsWith('--')) ?? 1_000_000);
const say = JSON_OUT ? () => {} : (...a) => console.log(...a);
const RUNS = 5;
const TIMEOUTS = { tcpEstablished: 432000, udpStream: 180, udp: 30 };
const ME = 0x0a000005; // 10.0.0.5
const view = new PacketView();
view.ipVersion = 4;

/** Flow i: the instance talks UDP to 203.0.x.y from port 1024 + (i % 60000). */
function fill(i, reply) {
  const peer = (0xcb000000 + Math.floor(i / 60000)) >>> 0;
  const port = 1024 + (i % 60000);
  view.protocol = 17;
  if (reply) {
    view.src[0] = peer;
    view.dst[0] = ME;
    view.srcPort = 53;
    view.dstPort = port;
  } else {
    view.src[0] = ME;
    view.dst[0] = peer;
    view.srcPort = port;
    view.dstPort = 53;
  }
}


// Lookups go through the flows in a shuffled order: packets of many flows interleave in no
// relation to the order the flows began, and a table whose records happen to sit in insertion
// order would otherwise be measured on sequential memory.
const order = new Int32Array(FLOWS);
{
  for (let i = 0; i < FLOWS; i++) order[i] = i;
  let x = 0x9e3779b9;
  for (let i = FLOWS - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

function gc() {
  if (globalThis.gc) globalThis.gc();
}

function memory() {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function rate(n, ms) {
  return Math.round((n / ms) * 1000);
}

function fmt(n) {
  return n.toLocaleString('en-US');
}

function benchTable(capacity) {
  const before = memory();
  const ct = new ConntrackTable({ capacity, memory: hugePageMemory });
  // The dataplane's calls: the time in the shared clock, and the insert after a missed lookup.
  const trackMiss = (ct.trackMissNow ?? ct.trackNow).bind(ct);
  ct.clock[0] = 1000;
  let t0 = performance.now();
  for (let i = 0; i < FLOWS; i++) {
    fill(i, false);
    if (ct.lookupNow(0, view) === 0) trackMiss(0, view, TIMEOUTS, true);
  }
  const insertMs = performance.now() - t0;
  // The records live in a huge-page mapping or a WebAssembly memory, neither of which
  // process.memoryUsage().arrayBuffers counts: add the table's own size to what the heap grew by.
  const bytes = memory() - before + ct.byteLength;
  if (ct.size !== FLOWS) throw new Error(`expected ${FLOWS} flows, table holds ${ct.size}`);

  const lookupMs = [];
  for (let r = 0; r < RUNS; r++) {
    t0 = performance.now();
    let hits = 0;
    ct.clock[0] = 2000 + r;
    for (let i = 0; i < FLOWS; i++) {
      fill(order[i], true);
      if (ct.lookupNow(0, view) === CT_ESTABLISHED) hits++;
    }
    lookupMs.push(performance.now() - t0);
    if (hits !== FLOWS) throw new Error(`lookup found ${hits} of ${FLOWS}`);
  }
  const missMs = [];
  for (let r = 0; r < RUNS; r++) {
    t0 = performance.now();
    ct.clock[0] = 3000;
    for (let i = 0; i < FLOWS; i++) {
      fill(order[i] + 10_000_000, true);
      ct.lookupNow(0, view);
    }
    missMs.push(performance.now() - t0);
  }
  return { ct, insertMs, bytes, lookupMs: median(lookupMs), missMs: median(missMs) };
}

function benchReference() {
  const before = memory();
  const ref = new ReferenceConntrack();
  let t0 = performance.now();
  for (let i = 0; i < FLOWS; i++) {
    fill(i, false);
    if (ref.lookup(0, view, true, 1000) === 0) ref.track(0, view, true, 1000, TIMEOUTS);
  }
  const insertMs = performance.now() - t0;
  const bytes = memory() - before;
  const lookupMs = [];
  for (let r = 0; r < RUNS; r++) {
    t0 = performance.now();
    for (let i = 0; i < FLOWS; i++) {
      fill(order[i], true);
      ref.lookup(0, view, false, 2000 + r);
    }
    lookupMs.push(performance.now() - t0);
  }
  return { insertMs, bytes, lookupMs: median(lookupMs) };
}

function benchFull() {
  const capacity = FLOWS;
  const out = {};
  for (const evictUnreplied of [false, true]) {
    const ct = new ConntrackTable({ capacity, evictUnreplied, memory: hugePageMemory });
    for (let i = 0; i < capacity; i++) {
      fill(i, false);
      ct.track(0, view, true, 0, TIMEOUTS);
      // half the flows get an answer, so half are candidates for eviction
      if (i % 2 === 0) {
        fill(i, true);
        ct.lookup(0, view, false, 0);
      }
    }
    ct.sweep(0, capacity); // one full pass: the table learns nothing expires before 30 s
    const extra = 200_000;
    let t0 = performance.now();
    let accepted = 0;
    for (let i = 0; i < extra; i++) {
      fill(capacity + i, false);
      if (ct.track(0, view, true, 10_000, TIMEOUTS)) accepted++;
    }
    const floodMs = performance.now() - t0;
    // 31 s later every unanswered flow (30 s) has expired: new flows reclaim them
    t0 = performance.now();
    let afterExpiry = 0;
    for (let i = 0; i < extra; i++) {
      fill(capacity + extra + i, false);
      if (ct.track(0, view, true, 31_000, TIMEOUTS)) afterExpiry++;
    }
    const reclaimMs = performance.now() - t0;
    out[evictUnreplied ? 'evict' : 'refuse'] = {
      accepted,
      refused: ct.insertFailures,
      evictions: ct.evictions,
      floodRate: rate(extra, floodMs),
      afterExpiry,
      expired: ct.expired,
      reclaimRate: rate(extra, reclaimMs),
    };
  }
  return out;
}

const capacity = 1 << 20;
say(`conntrack: ${fmt(FLOWS)} concurrent UDP/IPv4 flows, table capacity ${fmt(capacity)}, node ${process.version}`);
const t = benchTable(capacity);
say(`  table      insert (lookup miss + track): ${fmt(rate(FLOWS, t.insertMs))}/s`);
say(`  table      lookup hit  (median of ${RUNS}): ${fmt(rate(FLOWS, t.lookupMs))}/s`);
say(`  table      lookup miss (median of ${RUNS}): ${fmt(rate(FLOWS, t.missMs))}/s`);
say(`  table      heap: ${fmt(t.bytes)} bytes measured = ${(t.bytes / FLOWS).toFixed(1)} bytes/flow; arrays ${(t.ct.byteLength / capacity).toFixed(1)} bytes/slot`);
const tableBytesPerSlot = t.ct.byteLength / capacity;
t.ct.clear();
const tableLookupRate = rate(FLOWS, t.lookupMs);
const tableInsertRate = rate(FLOWS, t.insertMs);
t.ct = null;
gc();
const r = benchReference();
say(`  reference  insert: ${fmt(rate(FLOWS, r.insertMs))}/s, lookup hit (median of ${RUNS}): ${fmt(rate(FLOWS, r.lookupMs))}/s, heap ${(r.bytes / FLOWS).toFixed(1)} bytes/flow`);
say(`  ratio      table/reference: inserts ×${(tableInsertRate / rate(FLOWS, r.insertMs)).toFixed(1)}, lookups ×${(tableLookupRate / rate(FLOWS, r.lookupMs)).toFixed(1)}, memory ×${(r.bytes / t.bytes).toFixed(1)} smaller`);
gc();
const full = benchFull();
for (const [mode, f] of Object.entries(full)) {
  say(
    `  full (${mode.padEnd(6)}) 200,000 new flows into a full table of live flows: ${fmt(f.accepted)} tracked, ${fmt(f.refused)} refused, ${fmt(f.evictions)} evictions, ${fmt(f.floodRate)} attempts/s; ` +
      `after the unanswered flows expire: ${fmt(f.afterExpiry)} tracked (${fmt(f.expired)} expired reclaimed), ${fmt(f.reclaimRate)} inserts/s`,
  );
}

if (JSON_OUT) {
  console.log(
    JSON.stringify({
      flows: FLOWS,
      capacity,
      insertsPerSec: tableInsertRate,
      lookupHitsPerSec: tableLookupRate,
      lookupMissesPerSec: rate(FLOWS, t.missMs),
      heapBytesPerFlow: t.bytes / FLOWS,
      arrayBytesPerSlot: tableBytesPerSlot,
      reference: { insertsPerSec: rate(FLOWS, r.insertMs), lookupHitsPerSec: rate(FLOWS, r.lookupMs), heapBytesPerFlow: r.bytes / FLOWS },
      full,
    }),
  );
}
