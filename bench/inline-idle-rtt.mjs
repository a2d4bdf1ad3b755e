// The round trip an idle inline bridge adds: pings (20 ms apart, so each crosses alone) from the outside
// host to the inside host through `sgfw run --mode inline` (2 workers; and with --realtime-workers) and
// through the kernel bridge + nftables + conntrack, each started afresh per round, every veth at its
// default offloads, the 1,000 rules of bench/live.mjs. No load: what a request/response exchange pays.
// sgfw's TPACKET_V3 ring hands a block to the reader when it is full or when its 2 ms timer fires, so a
// lone frame waits for the timer on each side (BENCHMARKS.md "what limits inline mode", issue 18).
//
// Run (root): npm run build && node bench/inline-idle-rtt.mjs [--rounds 3] [--pings 200]
// Namespaces and interfaces start with SGBL_NS_PREFIX (default sgbl), deleted at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addNs, delNs, inNs, PREFIX, veth } from './lib/netns.mjs';
import { makeRules, nftRuleset, stateDocument } from './live.mjs';

const SGFW = fileURLToPath(new URL('../bin/sgfw.js', import.meta.url));

/** `ping -q`'s "min/avg/max/mdev" in ms, or null when nothing came back. */
function rtt(text) {
  const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(text);
  return m ? { min: Number(m[1]), avg: Number(m[2]), max: Number(m[3]) } : null;
}

async function main() {
  const args = process.argv.slice(2);
  const int = (name, d) => (args.includes(name) ? Number.parseInt(args[args.indexOf(name) + 1], 10) : d);
  const rounds = int('--rounds', 3);
  const pings = int('--pings', 200);
  const tag = String(process.pid % 100000);
  const [o, m, i] = ['o', 'm', 'i'].map((x) => `${PREFIX}-r${x}-${tag}`);
  const [devO, devMo, devI, devMi] = ['ro', 'rmo', 'ri', 'rmi'].map((x) => `${PREFIX}${x}${tag}`);
  const dir = mkdtempSync(join(tmpdir(), 'sgbl-rtt-'));
  const rules = makeRules(1000, 5, 1);
  const state = join(dir, 'state.json');
  writeFileSync(state, JSON.stringify(stateDocument(rules)));
  const cleanup = () => {
    for (const ns of [o, m, i]) delNs(ns);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const ns of [o, m, i]) addNs(ns);
    veth(o, devO, m, devMo);
    veth(i, devI, m, devMi);
    inNs(o, 'ip', ['addr', 'add', '10.77.1.2/24', 'dev', devO]);
    inNs(o, 'ip', ['route', 'add', '10.77.2.0/24', 'dev', devO]);
    inNs(i, 'ip', ['addr', 'add', '10.77.2.2/24', 'dev', devI]);
    inNs(i, 'ip', ['route', 'add', '10.77.1.0/24', 'dev', devI]);
    for (const d of [devMo, devMi]) {
      inNs(m, 'sysctl', ['-qw', `net.ipv6.conf.${d}.disable_ipv6=1`]);
      inNs(m, 'ip', ['link', 'set', d, 'promisc', 'on']);
    }
    const ping = (n) => spawnSync('ip', ['netns', 'exec', o, 'ping', '-n', '-q', '-c', String(n), '-i', '0.02', '-W', '1', '10.77.2.2'], { encoding: 'utf8', timeout: 60_000 }).stdout ?? '';
    const filters = {
      'sgfw --workers 2': ['--workers', '2'],
      'sgfw --workers 2 --realtime-workers': ['--workers', '2', '--realtime-workers'],
      'kernel bridge + nftables': null,
    };
    const results = new Map(Object.keys(filters).map((k) => [k, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [label, flags] of Object.entries(filters)) {
        let child = null;
        if (flags) {
          child = spawn('ip', ['netns', 'exec', m, process.execPath, SGFW, 'run', '--mode', 'inline', '--inside', devMi, '--outside', devMo, '--state', state, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
          await new Promise((resolve, reject) => {
            let seen = '';
            child.stderr.on('data', (d) => {
              seen += d;
              if (seen.includes('SIGINT/SIGTERM to stop')) resolve();
            });
            child.on('close', (code) => reject(new Error(`${label} exited ${code}: ${seen.slice(-300)}`)));
          });
        } else {
          inNs(m, 'ip', ['link', 'add', `${PREFIX}rbr${tag}`, 'type', 'bridge']);
          inNs(m, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=1']);
          for (const d of [devMo, devMi]) inNs(m, 'ip', ['link', 'set', d, 'master', `${PREFIX}rbr${tag}`]);
          inNs(m, 'ip', ['link', 'set', `${PREFIX}rbr${tag}`, 'up']);
          inNs(m, 'nft', ['-f', '-'], { input: nftRuleset(rules) });
        }
        try {
          ping(5); // the neighbours and the flow
          const r = rtt(ping(pings));
          results.get(label).push(r);
          console.error(`round ${round + 1}: ${label}: ${r ? `${r.min} / ${r.avg} / ${r.max} ms (min / avg / max)` : 'no answer'}`);
        } finally {
          if (child) {
            child.removeAllListeners('close');
            child.kill('SIGTERM');
            await new Promise((resolve) => child.on('close', resolve));
          } else {
            inNs(m, 'nft', ['delete', 'table', 'inet', 'sgbl']);
            inNs(m, 'ip', ['link', 'del', `${PREFIX}rbr${tag}`]);
          }
        }
      }
    }
    console.log(`idle round trip through each filter, ${pings} pings 20 ms apart, ${rounds} rounds (ms: min / avg / max per round)`);
    for (const [label, rs] of results) console.log(`${label.padEnd(40)} ${rs.map((r) => (r ? `${r.min} / ${r.avg} / ${r.max}` : '—')).join('   ')}`);
  } finally {
    cleanup();
  }
}

await main();
