// `sgfw state verify DIR` and `sgfw state recover DIR --accept-loss`: check a state directory
// (issue 15: state that proves itself), and bring a damaged one back to what can be proven,
// saying exactly what is lost. `sgfw serve` and `sgfw run --listen` refuse a damaged directory and
// point here.
import { stat } from 'node:fs/promises';
import { StateError } from '../state/state-error.js';
import { recoverStateDir, type RecoveryOutcome } from '../state/state-recover.js';
import { verifyStateDir } from '../state/state-verify.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/**
 * DIR must be a directory that exists: `verify` of a mistyped path would otherwise say "no state
 * yet" and exit 0, and `recover` would fail on its lock file's name.
 */
async function checkDirectory(dir: string): Promise<void> {
  const s = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw new StateError(dir, '', `cannot read the directory (${e.code ?? e.message})`);
  });
  if (s === undefined) throw new StateError(dir, '', 'no such directory (sgfw serve --store DIR makes it at its first start)');
  if (!s.isDirectory()) throw new StateError(dir, '', 'not a directory');
}

const entries = (n: number): string => `${n} ${n === 1 ? 'entry' : 'entries'}`;

function printRecovery(io: CliIo, dir: string, r: RecoveryOutcome, accepted: boolean): void {
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  for (const p of r.problems) out(`problem: ${p}`);
  const base = r.snapshotSeq === undefined ? 'the empty state' : `snapshot.json at entry ${r.snapshotSeq}`;
  out(`${accepted ? 'kept' : 'would keep'}: the state as of entry ${r.keptSeq} (${base}${r.replayed > 0 ? `, then ${entries(r.replayed)} of the journal` : ''})`);
  const lostCount = r.lostSnapshotUpTo + r.lost.length;
  if (lostCount === 0) out(`${accepted ? 'lost' : 'would lose'}: no acknowledged entry`);
  else {
    const from = r.lostSnapshotUpTo > 0 ? 1 : r.lost[0]!.seq;
    out(`${accepted ? 'lost' : 'would lose'}: ${entries(lostCount)}, ${from}..${r.lost.at(-1)?.seq ?? r.lostSnapshotUpTo}`);
    if (r.lostSnapshotUpTo > 0) out(`  entries 1..${r.lostSnapshotUpTo}: held only by snapshot.json, which does not check out`);
    for (const l of r.lost) {
      out(l.entry === undefined ? `  entry ${l.seq}: no readable line holds it` : `  entry ${l.seq}: ${l.entry.action} (ids ${l.entry.ids.length === 0 ? 'none' : l.entry.ids.join(', ')})`);
    }
  }
  if (r.tornBytes > 0) out(`dropped: a torn last line of ${r.tornBytes} bytes`);
  if (r.movedTo !== undefined) out(`the files as they were are in ${r.movedTo}`);
  if (!accepted) out(`nothing was changed; run \`sgfw state recover ${dir} --accept-loss\` to do it`);
}

export const stateCommand: Command = {
  name: 'state',
  summary: 'Verify a state directory, or recover a damaged one to what can be proven',
  description: [
    'sgfw state verify DIR prints every problem of the state directory, one line each, and exits 1;',
    'or one line saying what it holds, and exits 0. It reads without the lock, so it works beside a',
    'running sgfw serve. A DIR that is missing or not a directory exits 2 (a mistyped path is not "no state yet").',
    'sgfw state recover DIR --accept-loss rewrites DIR to what can be proven: snapshot.json if it',
    'checks out, then the journal entries that chain on it. It prints what is kept and every',
    'acknowledged entry that is lost (its action and ids, where a line still shows them), and moves',
    'the files as they were to DIR/damaged-<time>/. Without --accept-loss it only prints that.',
    'It takes the directory\'s lock: stop the server first.',
  ].join('\n'),
  flags: [{ name: 'accept-loss', kind: 'boolean', description: 'recover: rewrite DIR, losing what cannot be proven' }],
  positional: { name: 'verify|recover DIR', description: 'what to do, and the state directory', min: 2, max: 2 },
  async run(args, { io }) {
    const [what, dir] = args.positionals as [string, string];
    if (what !== 'verify' && what !== 'recover') throw new UsageError(`unknown subcommand '${what}' (expected 'verify' or 'recover')`);
    if (what === 'verify' && args.boolean('accept-loss')) throw new UsageError('--accept-loss belongs to recover');
    await checkDirectory(dir);
    if (what === 'verify') {
      const v = await verifyStateDir(dir);
      for (const p of v.problems) io.stdout.write(`${p}\n`);
      if (v.problems.length > 0) return ExitCode.failed;
      io.stdout.write(`${v.summary}\n`);
      return ExitCode.ok;
    }
    const accepted = args.boolean('accept-loss');
    const r = await recoverStateDir(dir, { dryRun: !accepted });
    if (!r.needed) {
      io.stdout.write(`${dir}: proves itself; nothing to recover\n`);
      return ExitCode.ok;
    }
    printRecovery(io, dir, r, accepted);
    return accepted ? ExitCode.ok : ExitCode.failed;
  },
};
