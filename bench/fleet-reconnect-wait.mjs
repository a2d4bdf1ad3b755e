// How long one fleet agent takes to be back once etcd answers again: a 3-member etcd
// (scripts/etcd-cluster.sh, base port $FLEET_BENCH_ETCD_PORT or a random one below the ephemeral range) behind a TCP proxy
// (lib/tcp-proxy.mjs); per round the proxy refuses for 5 s, listens again, and the time until the
// agent logs `fleet-reconnected` is taken. That is the part of bench:fleet's resync that is the wait
// for the agent's next attempt (its jittered backoff), before any listing. Not run by the tests.
//   node bench/fleet-reconnect-wait.mjs [ROUNDS]   (FLEET_BENCH_BACKOFF_CAP_MS: the agent's backoffCapMs)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetAgent } from '../dist/fleet/agent.js';
import { startProxy } from './lib/tcp-proxy.mjs';

const ROUNDS = Number(process.argv[2] ?? 10);
const CAP = process.env.FLEET_BENCH_BACKOFF_CAP_MS === undefined ? undefined : Number(process.env.FLEET_BENCH_BACKOFF_CAP_MS);
const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'etcd-cluster.sh');
const dir = mkdtempSync(join(tmpdir(), 'sgfw-bench-etcd-'));
const base = Number(process.env.FLEET_BENCH_ETCD_PORT ?? 21000 + Math.floor(Math.random() * 1100) * 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const endpoints = execFileSync('bash', [SCRIPT, 'start', dir, String(base)], { encoding: 'utf8', timeout: 60_000 }).trim().split(',');
const proxy = await startProxy(endpoints);
const waits = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    let back;
    const agent = new FleetAgent({
      endpoints: proxy.endpoints(), prefix: '/sgfw-bench-wait/', hostId: 'h1', statusTtlSeconds: 0, reconcileIntervalMs: 0,
      ...(CAP !== undefined ? { backoffCapMs: CAP } : {}),
      onLog: (_m, f) => {
        if (f?.event === 'fleet-reconnected') back = performance.now();
      },
    });
    await agent.start();
    await sleep(300);
    await proxy.cut();
    await sleep(5000);
    await proxy.restore();
    const t0 = performance.now();
    while (back === undefined && performance.now() - t0 < 10_000) await sleep(5);
    waits.push(back === undefined ? Infinity : Math.round(back - t0));
    await agent.stop();
  }
} finally {
  await proxy.stop();
  execFileSync('bash', [SCRIPT, 'stop', dir], { timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
}
waits.sort((a, b) => a - b);
console.log(`backoff cap ${CAP ?? 'default (1000)'} ms: back after ${waits.join(', ')} ms (median ${waits[Math.floor((waits.length - 1) / 2)]})`);
