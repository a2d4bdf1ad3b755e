// Simulated fleet agents in a process of their own (bench/fleet-propagation.mjs --processes K):
// FleetAgent + Dataplane for host-FROM … host-(FROM+COUNT-1), each with its own etcd client, every
// applied revision reported to the parent over IPC, so the parent can measure propagation with the
// agents spread over several processes (the one-process figures are the simulator's limit).
//   startAgentProcess({ endpoints, prefix, from, count, onReport }) → { stop() }
// The child (this file run with fork): { op: 'stop' } ends it; it sends { op: 'ready' } once every
// agent has started and { op: 'r', i, rev, changed } for each applied change.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (process.send !== undefined && process.argv[2] === '--child') {
  const { Dataplane } = await import('../../dist/dataplane/dataplane.js');
  const { FleetAgent } = await import('../../dist/fleet/agent.js');
  const o = JSON.parse(process.argv[3]);
  const agents = [];
  for (let i = o.from; i < o.from + o.count; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, o.from + o.count - i) }, async (_, k) => {
      const at = i + k;
      const agent = new FleetAgent({ endpoints: o.endpoints, prefix: o.prefix, hostId: `host-${at}`, statusTtlSeconds: 0, reconcileIntervalMs: 0, onLog: () => undefined });
      agents.push(agent);
      await agent.start();
      agent.attach(new Dataplane(agent.model, { conntrackCapacity: 256 }));
      agent.onApplied((rev, change) => {
        const changed = change === undefined || change.groupIds.length + change.interfaceIds.length + change.prefixListIds.length > 0;
        process.send({ op: 'r', i: at, rev, changed });
      });
      process.send({ op: 'r', i: at, rev: agent.appliedRevision, changed: true });
    }));
  }
  process.send({ op: 'ready' });
  process.on('message', async (m) => {
    if (m.op !== 'stop') return;
    await Promise.all(agents.map((a) => a.stop()));
    process.exit(0);
  });
}

export function startAgentProcess({ endpoints, prefix, from, count, onReport }) {
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify({ endpoints, prefix, from, count })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let ready;
  const started = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`agent process ${from}…${from + count - 1} exited (${code})`)));
  });
  child.on('message', (m) => {
    if (m.op === 'r') onReport(m.i, m.rev, m.changed);
    else if (m.op === 'ready') ready();
  });
  return {
    started,
    stop: () => new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.send({ op: 'stop' });
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    }),
  };
}
