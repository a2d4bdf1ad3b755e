// A create retried with its ClientToken after the server restarted still answers the first call:
// the tokens come back from the journal (replayed calls) and from a snapshot (its clientTokens).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDurableStore } from '../../../src/state/durable-store.js';
import { Ec2Error } from '../../../src/model/ec2-error.js';

const request = { PrefixListName: 'office', AddressFamily: 'IPv4', MaxEntries: 5, Entries: [{ Cidr: '198.51.100.0/24' }], ClientToken: 'retry-me' };

async function retriedAfterRestart(snapshotFirst: boolean): Promise<void> {
  const dir = join(mkdtempSync(join(tmpdir(), 'sgfw-tokens-')), 'state');
  const a = await openDurableStore(dir, { snapshotEvery: 1000 });
  const first = await a.apply('CreateManagedPrefixList', request);
  if (snapshotFirst) await a.snapshot();
  await a.close();

  const b = await openDurableStore(dir);
  expect(b.recovery.replayed).toBe(snapshotFirst ? 0 : 1);
  expect(await b.apply('CreateManagedPrefixList', request)).toEqual(first);
  expect([...b.service.currentState.prefixLists.keys()]).toHaveLength(1);
  const e = await b.apply('CreateManagedPrefixList', { ...request, MaxEntries: 9 }).catch((x: unknown) => x);
  expect(e instanceof Ec2Error ? e.code : e).toBe('IdempotentParameterMismatch');
  await b.close();
}

describe('client tokens survive a restart', () => {
  it('from the journal', () => retriedAfterRestart(false));
  it('from a snapshot', () => retriedAfterRestart(true));

  it('a snapshot with a damaged clientTokens list refuses to load, naming the place', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sgfw-tokens-')), 'state');
    const a = await openDurableStore(dir, { snapshotEvery: 1000 });
    await a.apply('CreateManagedPrefixList', request);
    await a.snapshot();
    await a.close();
    const file = join(dir, 'snapshot.json');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"clientTokens"');
    const outer = JSON.parse(text) as { checksum: string; snapshot: { clientTokens: unknown[] } };
    outer.snapshot.clientTokens = [{ token: 'x' }];
    // a correct checksum, so the shape check is what refuses it
    const { createHash } = await import('node:crypto');
    outer.checksum = `sha256:${createHash('sha256').update(JSON.stringify(outer.snapshot)).digest('hex')}`;
    writeFileSync(file, `${JSON.stringify(outer, null, 1)}\n`);
    await expect(openDurableStore(dir)).rejects.toThrow(/clientTokens\[0\]/);
  });
});
