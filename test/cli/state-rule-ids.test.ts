// Rule ids of state files read from disk follow from the rules (ServiceOptions.ruleIdsFromContent):
// a verdict file, a log line or a flow record names the same sgr- id from one run to the next.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { isResourceId } from '../../src/model/ids.js';
import { SecurityGroupService } from '../../src/control/service.js';
import { loadStateFiles } from '../../src/state/index.js';

const ALBERT = join(import.meta.dirname, '..', '..', 'pcaps', 'albert', 'state.json');
const dir = mkdtempSync(join(tmpdir(), 'sgfw-rule-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ruleIds(service: SecurityGroupService): Map<string, string> {
  const ids = new Map<string, string>();
  for (const g of service.groups()) {
    for (const r of [...g.ingress, ...g.egress]) ids.set(`${g.groupId} ${r.egress} ${r.protocol} ${r.fromPort} ${r.toPort} ${JSON.stringify(r.peer)}`, r.ruleId);
  }
  return ids;
}

describe('rule ids of state files', () => {
  it('are well-formed, distinct, and the same on every load of the same file', async () => {
    const a = ruleIds(await serviceFromStateFiles([ALBERT]));
    const b = ruleIds(await serviceFromStateFiles([ALBERT]));
    expect(a.size).toBeGreaterThan(2);
    for (const id of a.values()) expect(isResourceId('sgr', id)).toBe(true);
    expect(new Set(a.values()).size).toBe(a.size);
    expect(b).toEqual(a);
  });

  it('keep the ids of unchanged rules when another rule is added before them', async () => {
    const state = JSON.parse(readFileSync(ALBERT, 'utf8'));
    const group = state.SecurityGroups[0];
    group.IpPermissions.unshift({ IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, IpRanges: [{ CidrIp: '198.51.100.0/24' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] });
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify(state));
    const before = ruleIds(await serviceFromStateFiles([ALBERT]));
    const after = ruleIds(await serviceFromStateFiles([edited]));
    expect(after.size).toBe(before.size + 1);
    for (const [rule, id] of before) expect(after.get(rule)).toBe(id);
  });

  it('are drawn at random where EC2 issues them (a service built for the API)', async () => {
    const load = async (): Promise<Map<string, string>> => {
      const s = new SecurityGroupService();
      await loadStateFiles([ALBERT], s);
      return ruleIds(s);
    };
    const a = await load();
    const b = await load();
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [rule, id] of a) expect(b.get(rule)).not.toBe(id);
  });
});
