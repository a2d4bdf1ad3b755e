// Issue 15: a live mode never starts with less than it last enforced. `sgfw run --listen` attaches
// the API with `enforcing`, which records beside the state directory what the dataplane follows
// and refuses (fail closed) a directory that is behind it; `sgfw serve` enforces nothing and does not.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachApi } from '../../src/cli/api-attach.js';
import { ACK_FILE } from '../../src/state/ack-file.js';
import { JOURNAL_FILE, SNAPSHOT_FILE } from '../../src/state/durable-store.js';
import { enforcedMarkFile } from '../../src/state/enforced-mark.js';

const root = mkdtempSync(join(tmpdir(), 'sgfw-enforced-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const listen = { host: '127.0.0.1', port: 0 };

async function liveRun(dir: string, groups: string[]): Promise<number> {
  const api = await attachApi({ stateDir: dir, listen, enforcing: true });
  for (const g of groups) await api.store.apply('CreateSecurityGroup', { GroupName: g, Description: g });
  const seq = api.store.seq;
  await api.close();
  return seq;
}

describe('a live start refuses a state directory behind what it last enforced', () => {
  it('an emptied directory, or an older copy of it, is refused until the record is removed', async () => {
    const dir = join(root, 'state');
    expect(await liveRun(dir, ['a', 'b'])).toBe(2);
    const backup = join(root, 'backup');
    cpSync(dir, backup, { recursive: true });
    expect(await liveRun(dir, ['c'])).toBe(3);
    const mark = enforcedMarkFile(dir);
    expect(JSON.parse(readFileSync(mark, 'utf8'))).toMatchObject({ format: 'sgfw-enforced/1', seq: 3 });

    // the older copy
    for (const f of [SNAPSHOT_FILE, JOURNAL_FILE, ACK_FILE]) cpSync(join(backup, f), join(dir, f));
    await expect(attachApi({ stateDir: dir, listen, enforcing: true })).rejects.toThrow(
      new RegExp(`^${mark}: this host last enforced entry 3 of state directory [0-9a-f]+, but ${dir} holds entry 2 of state directory [0-9a-f]+: refusing to enforce less \\(fail closed\\); restore ${dir}, or remove ${mark} to enforce what it holds$`),
    );
    // the emptied directory (which would otherwise start a new, empty state)
    for (const f of [SNAPSHOT_FILE, JOURNAL_FILE, ACK_FILE]) unlinkSync(join(dir, f));
    await expect(attachApi({ stateDir: dir, listen, enforcing: true })).rejects.toThrow(/holds entry 0 of state directory .*refusing to enforce less/);
    expect(existsSync(join(dir, 'lock'))).toBe(false);

    // sgfw serve enforces nothing: it starts
    const served = await attachApi({ stateDir: dir, listen });
    await served.close();
    // a damaged record fails closed too
    writeFileSync(mark, '{"format":"sgfw-enforced/1","dir":"x"');
    await expect(attachApi({ stateDir: dir, listen, enforcing: true })).rejects.toThrow(/not a record of what this host last enforced \(damaged\?\); refusing to start/);
    // accepting the directory as it is: remove the record
    unlinkSync(mark);
    expect(await liveRun(dir, ['d'])).toBe(1);
    expect(JSON.parse(readFileSync(mark, 'utf8'))).toMatchObject({ seq: 1 });
  });
});
