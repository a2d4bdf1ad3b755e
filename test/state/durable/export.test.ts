import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportCommand } from '../../../src/cli/export.js';
import { runCli } from '../../../src/cli/run-cli.js';
import { openDurableStore } from '../../../src/state/durable-store.js';
import { captureIo } from '../../cli/capture-io.js';
import { SeqIds, workloadCall } from './workload.js';

const root = mkdtempSync(join(tmpdir(), 'sgfw-export-'));

async function sgfw(...argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, io, [exportCommand]);
  return { code, out: io.out(), err: io.err() };
}

async function stateDir(calls: number): Promise<string> {
  const dir = join(root, `dir-${calls}`);
  const ids = new SeqIds();
  const store = await openDurableStore(dir, { service: { idGenerator: ids.next } });
  for (let i = 1; i <= calls; i++) {
    ids.begin(i);
    const { action, params } = workloadCall(i);
    await store.apply(action, params);
  }
  await store.close();
  return dir;
}

describe('sgfw export prints the state as AWS CLI JSON that --state reads back', () => {
  it('exports a state directory with 4-space indentation and the three AWS keys', async () => {
    const dir = await stateDir(12);
    const r = await sgfw('export', '--state-dir', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, { GroupName?: string }[]>;
    expect(Object.keys(doc)).toEqual(['SecurityGroups', 'NetworkInterfaces', 'PrefixLists']);
    expect(doc.SecurityGroups!.map((g) => g.GroupName)).toEqual(['default', 'g1', 'g7']);
    expect(doc.NetworkInterfaces).toHaveLength(2);
    expect(r.out).toMatch(/^\{\n {4}"SecurityGroups": \[\n {8}\{/);
  });

  it('round-trips: the export loaded with --state exports the same', async () => {
    const dir = await stateDir(17);
    const first = await sgfw('export', '--state-dir', dir);
    const file = join(root, 'export.json');
    writeFileSync(file, first.out);
    const second = await sgfw('export', '--state', file);
    expect(second.code).toBe(0);
    expect(second.out).toBe(first.out);
  });

  it('also exports the bundled state files unchanged in meaning', async () => {
    const once = await sgfw('export', '--state', 'pcaps/prefix-list/state.json');
    expect(once.code).toBe(0);
    const file = join(root, 'prefix-list.json');
    writeFileSync(file, once.out);
    expect((await sgfw('export', '--state', file)).out).toBe(once.out);
  });

  it('refuses a missing directory, an empty one, and both or neither flag', async () => {
    const missing = await sgfw('export', '--state-dir', join(root, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^sgfw export: .*nope: cannot read the state directory: no such file or directory\n$/);
    const empty = mkdtempSync(join(root, 'empty-'));
    expect((await sgfw('export', '--state-dir', empty)).err).toMatch(/no sgfw state here \(no snapshot\.json\)/);
    expect((await sgfw('export')).err).toMatch(/give either --state-dir DIR or --state FILE/);
    expect((await sgfw('export', '--state-dir', empty, '--state', 'x.json')).code).toBe(2);
  });
});
