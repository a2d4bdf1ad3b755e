// Issue 6 item 3: `sgfw replay` on the pipeline's capture, written to a temp pcap, against
// `tcpdump -r FILE -w /dev/null -F FILTER` with a stateless BPF filter built from the same rules,
// at 10, 100 and 1,000 rules. Whole-process wall times (node start-up and BPF compile included),
// medians of repeated spawnSync runs, interleaved; compile time alone from `tcpdump -d`.
//
// The BPF expresses each group's rules for its members, both directions: for ingress
// `dst host <member> and <proto/port> and src <peer>`, for egress the mirror. Group references
// expand to their members' addresses. It is stateless: it cannot admit responses as sgfw does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../dist/capture/pcap-writer.js';
import { makeFrames, makeModel, stateDocument, ifaceV4, ifaceV6 } from './lib/workload.mjs';
import { median } from './lib/stats.mjs';

const ROOT = new URL('..', import.meta.url).pathname;

function protoClause(r, dir) {
  const side = dir; // 'dst' for ingress ports (the member's port), mirrored for egress
  if (r.proto === -1) return '';
  if (r.proto === 6 || r.proto === 17) {
    const p = r.proto === 6 ? 'tcp' : 'udp';
    return r.from === r.to ? `${p} ${side} port ${r.from}` : `${p} ${side} portrange ${r.from}-${r.to}`;
  }
  if (r.proto === 1) return 'icmp';
  return `(ip proto ${r.proto} or ip6 proto ${r.proto})`;
}

function peerClause(m, r, side) {
  if (r.peer.group !== undefined) {
    const hosts = m.members[r.peer.group].flatMap((i) => [`${side} host ${ifaceV4(i)}`, `${side} host ${ifaceV6(i)}`]);
    return `(${hosts.join(' or ')})`;
  }
  if (r.peer.cidr === '0.0.0.0/0') return 'ip';
  if (r.peer.cidr === '::/0') return 'ip6';
  return `${side} net ${r.peer.cidr}`;
}

/** The stateless BPF text for model `m`. */
export function bpfFor(m) {
  const parts = [];
  m.members.forEach((members, g) => {
    if (!members.length) return;
    const rules = m.rules.filter((r) => r.group === g);
    for (const egress of [false, true]) {
      const own = egress ? 'src' : 'dst';
      const peer = egress ? 'dst' : 'src';
      const rs = rules.filter((r) => r.egress === egress);
      if (!rs.length) continue;
      const hosts = members.flatMap((i) => [`${own} host ${ifaceV4(i)}`, `${own} host ${ifaceV6(i)}`]).join(' or ');
      const clauses = rs.map((r) => [protoClause(r, 'dst'), peerClause(m, r, peer)].filter(Boolean).join(' and '));
      parts.push(`((${hosts}) and (${clauses.map((c) => `(${c})`).join(' or ')}))`);
    }
  });
  return parts.join(' or\n');
}

function time(cmd, args, timeoutMs) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  return { ms, status: r.status, signal: r.signal, error: r.error?.code, stderr: (r.stderr ?? '').slice(-300), stdout: r.stdout ?? '' };
}

export function runReplay({ quick = false } = {}) {
  // --quick: a small capture, 10 rules only, one run each: BPF compile alone takes ~20 s at 100+ rules
  const frames = quick ? 20_000 : 1_000_000;
  const runs = quick ? 1 : 3;
  const sizes = quick ? [10] : [10, 100, 1000];
  const tcpdumpTimeout = quick ? 15_000 : 180_000;
  const dir = mkdtempSync(join(tmpdir(), 'sgfw-bench-replay-'));
  const hasTcpdump = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).status === 0;
  const rows = [];
  try {
    const w = makeFrames(makeModel({ rules: 1000 }), { frames, concurrent: quick ? 20_000 : 100_000 });
    const capture = join(dir, 'bench.pcap');
    const writer = new PcapWriter(capture, 1, { nanosecond: true });
    for (let i = 0; i < w.count; i++) {
      const t = w.timesMs[i];
      const sec = Math.floor(t / 1000);
      writer.write({ linkType: 1, tsSec: sec, tsNanos: Math.round((t - sec * 1000) * 1e6), caplen: w.lengths[i], origLen: w.lengths[i], data: w.data, offset: w.offsets[i] });
    }
    writer.close();
    const sizeMB = statSync(capture).size / 1e6;

    for (const n of sizes) {
      const m = makeModel({ rules: n });
      const state = join(dir, `state-${n}.json`);
      writeFileSync(state, JSON.stringify(stateDocument(m)));
      const filter = join(dir, `filter-${n}.bpf`);
      const bpf = bpfFor(m);
      writeFileSync(filter, bpf);
      const row = { rules: n, frames: w.count, captureMB: sizeMB, bpfChars: bpf.length };
      const sg = [];
      const td = [];
      let sgOut = null;
      // compile alone: tcpdump -d prints the program and exits
      const compile = hasTcpdump ? time('tcpdump', ['-r', capture, '-d', '-F', filter], tcpdumpTimeout) : null;
      if (compile) {
        row.bpfCompileMs = compile.status === 0 ? compile.ms : null;
        row.bpfInstructions = compile.status === 0 ? compile.stdout.split('\n').filter(Boolean).length : null;
        if (compile.status !== 0) row.tcpdumpNote = compile.signal ? `compile killed after ${tcpdumpTimeout / 1000} s (${compile.signal})` : `compile failed: ${compile.stderr.trim().split('\n').pop()}`;
      }
      const tcpdumpWorks = compile && compile.status === 0;
      for (let r = 0; r < runs; r++) {
        const a = time(process.execPath, [join(ROOT, 'bin/sgfw.js'), 'replay', '--json', '--state', state, capture], 600_000);
        if (a.status !== 0) throw new Error(`sgfw replay exited ${a.status}: ${a.stderr}`);
        sg.push(a.ms);
        sgOut ??= JSON.parse(a.stdout);
        if (tcpdumpWorks) {
          const b = time('tcpdump', ['-r', capture, '-w', '/dev/null', '-F', filter], tcpdumpTimeout);
          if (b.status !== 0) {
            row.tcpdumpNote = `exit ${b.status ?? b.signal}: ${b.stderr.trim().split('\n').pop()}`;
            break;
          }
          td.push(b.ms);
        }
      }
      row.sgfwMs = median(sg);
      row.sgfwFramesPerSec = w.count / (row.sgfwMs / 1000);
      row.sgfwAllowed = sgOut.allowed;
      row.tcpdumpMs = td.length ? median(td) : null;
      row.ratio = td.length ? row.tcpdumpMs / row.sgfwMs : null; // > 1: sgfw faster
      if (!hasTcpdump) row.tcpdumpNote = 'tcpdump not installed: skipped';
      rows.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, runs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(runReplay({ quick: process.argv.includes('--quick') }), null, 2));
}
