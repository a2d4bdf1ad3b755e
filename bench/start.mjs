// Issue 18 points 2 and 5: how fast sgfw starts and how much memory a small replay takes, and
// `replay --each` over the tcpdump corpus, each beside its peer in the same run:
//   node -e 0                       vs  sgfw --version, sgfw --help       (target ≤ 1.5×)
//   node -e 0                       vs  sgfw replay of Mary's 12 frames   (target ≤ 2.5×, ≤ 80 MB RSS)
//   tcpdump -r FILE, once per file  vs  sgfw replay --each FILE…          (528 captures, target ≤ 3×)
// and, with --before PATH/bin/sgfw.js (another build, e.g. the commit before this work, built
// with tsc), the same sgfw commands run by it. Each command runs under GNU time (`/usr/bin/time
// -f`: user, system, max RSS; its CPU figures tick in 10 ms, so their mean is given) with the wall
// time taken around it; the commands interleaved round by round, rotating the order; wall and RSS
// are medians. Needs `npm run build` (dist/ and dist/bundle/).
//
//   node bench/start.mjs [--rounds N] [--each-rounds N] [--before PATH/bin/sgfw.js] [--json FILE]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, median, table } from './lib/stats.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'tcpdump-tests');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROUNDS = Number(opt('--rounds', 15));
const EACH_ROUNDS = Number(opt('--each-rounds', 3));
const JSON_OUT = opt('--json', undefined);
const BEFORE = opt('--before', undefined);

if (!existsSync(join(ROOT, 'dist', 'bundle', 'main.js'))) throw new Error('run npm run build first (dist/bundle/main.js is missing)');
const node = process.execPath;
const bin = join(ROOT, 'bin', 'sgfw.js');
const MARY = ['--state', join(ROOT, 'pcaps/mary/state.json'), join(ROOT, 'pcaps/mary/mary.pcap')];

/** One run under GNU time: { wall, user, sys, cpu (s), rssMB }. */
function measure(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const last = r.stderr.trim().split('\n').at(-1);
  const [user, sys, rssKB] = last.split(' ').map(Number);
  if (![user, sys, rssKB].every(Number.isFinite)) throw new Error(`${argv.join(' ')}: no timing (${r.stderr.slice(-300)})`);
  return { wall, user, sys, cpu: user + sys, rssMB: rssKB / 1024 };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Runs `commands` ({ name, argv }) interleaved `rounds` times, rotating the order; medians. */
function interleaved(commands, rounds) {
  const runs = new Map(commands.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < commands.length; i++) {
      const c = commands[(i + r) % commands.length];
      runs.get(c.name).push(measure(c.argv));
    }
  }
  return commands.map((c) => {
    const xs = runs.get(c.name);
    const m = (k) => median(xs.map((x) => x[k]));
    return { name: c.name, wall: m('wall'), cpu: mean(xs.map((x) => x.cpu)), rssMB: m('rssMB'), runs: xs.length };
  });
}

const start = interleaved(
  [
    { name: 'node -e 0', argv: [node, '-e', '0'] },
    { name: 'sgfw --version', argv: [node, bin, '--version'] },
    { name: 'sgfw --help', argv: [node, bin, '--help'] },
    { name: 'sgfw replay mary (12 frames)', argv: [node, bin, 'replay', ...MARY] },
    ...(BEFORE ? [
      { name: 'before: sgfw --version', argv: [node, BEFORE, '--version'] },
      { name: 'before: sgfw replay mary', argv: [node, BEFORE, 'replay', ...MARY] },
    ] : []),
  ],
  ROUNDS,
);

const files = readdirSync(CORPUS).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(CORPUS, f));
const tcpdumpLoop = ['sh', '-c', 'for f in "$@"; do tcpdump -n -r "$f" >/dev/null 2>&1; done', 'sh', ...files];
const each = interleaved(
  [
    { name: `tcpdump -r, once per file (${files.length})`, argv: tcpdumpLoop },
    { name: `sgfw replay --each (${files.length})`, argv: [node, bin, 'replay', '--each', '--json', ...MARY.slice(0, 2), ...files] },
  ],
  EACH_ROUNDS,
);

const base = start[0];
const ratio = (r, to, k) => (r[k] / to[k]).toFixed(2);
const rows = [...start.map((r) => ({ ...r, vsWall: ratio(r, base, 'wall'), vsCpu: ratio(r, base, 'cpu') })), ...each.map((r) => ({ ...r, vsWall: ratio(r, each[0], 'wall'), vsCpu: ratio(r, each[0], 'cpu') }))];
const ms = (s) => `${(s * 1000).toFixed(0)} ms`;
console.log(table(
  `start-up and --each (wall and RSS medians, CPU means; ratios vs node -e 0, and vs the tcpdump loop for the last two; ${ROUNDS} / ${EACH_ROUNDS} rounds, interleaved)`,
  [['command', 'name'], ['wall', 'wall', ms], ['CPU (user+sys)', 'cpu', ms], ['max RSS', 'rssMB', (x) => `${x.toFixed(0)} MB`], ['wall ×', 'vsWall'], ['CPU ×', 'vsCpu']],
  rows,
));
const facts = machine(`node bench/start.mjs ${args.join(' ')}`.trim());
console.log(`\n${JSON.stringify(facts)}`);
if (JSON_OUT) writeFileSync(JSON_OUT, `${JSON.stringify({ machine: facts, rows }, null, 2)}\n`);
