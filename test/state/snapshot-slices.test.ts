// The snapshot built and written a slice at a time (state/snapshot-slices.ts, json-slices.ts) is
// the one-piece snapshot byte for byte, whatever the service does while it is being built; and a
// durable store that snapshots in the background keeps every change made meanwhile.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SecurityGroupService } from '../../src/control/service.js';
import { countingIdGenerator } from '../../src/model/ids.js';
import { JOURNAL_FILE, SNAPSHOT_FILE, openDurableStore } from '../../src/state/durable-store.js';
import { stringifyInSlices } from '../../src/state/json-slices.js';
import { buildSnapshot, readSnapshot, writeSnapshot } from '../../src/state/snapshot-file.js';
import { buildSnapshotInSlices, writeSnapshotInSlices } from '../../src/state/snapshot-slices.js';
import { Slicer } from '../../src/state/slicer.js';
import { scanJournal } from '../../src/state/journal-file.js';
import { observable, referenceService } from './durable/workload.js';

const root = mkdtempSync(join(tmpdir(), 'sgfw-slices-'));

async function sliced(value: unknown, indent: number, depth: number): Promise<{ text: string; slices: number }> {
  let text = '';
  const slicer = new Slicer(0);
  await stringifyInSlices(value, indent, depth, slicer, (piece) => (text += piece));
  return { text, slices: slicer.slices };
}

describe('JSON written in slices is JSON.stringify\'s text', () => {
  it('for any JSON value, indent and walking depth', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.constantFrom(0, 1, 2, 4), fc.integer({ min: 0, max: 5 }), async (value, indent, depth) => {
        expect((await sliced(value, indent, depth)).text).toBe(JSON.stringify(value, null, indent));
      }),
      { numRuns: 300 },
    );
  });

  it('members that are undefined are left out of objects and are null in arrays, as JSON.stringify does', async () => {
    const value = { a: undefined, b: [1, undefined, { c: undefined, d: 'x\ny' }], e: {}, f: [] };
    for (const indent of [0, 1]) expect((await sliced(value, indent, 3)).text).toBe(JSON.stringify(value, null, indent));
  });

  it('yields between items when the slice has no time left', async () => {
    const { slices } = await sliced({ list: Array.from({ length: 50 }, (_, i) => ({ i })) }, 1, 2);
    expect(slices).toBeGreaterThanOrEqual(50);
  });
});

/** A state with what a snapshot must carry: group references, prefix lists (with history), IPv6, several CIDRs a permission, rule tags, client tokens. */
function richService(): SecurityGroupService {
  const s = referenceService(40);
  const a = s.createSecurityGroup({ GroupName: 'web', Description: 'web', VpcId: 'vpc-0a1b2c3d4e5f60718' }).GroupId;
  const b = s.createSecurityGroup({ GroupName: 'db', Description: 'db', VpcId: 'vpc-0a1b2c3d4e5f60718' }).GroupId;
  const pl = s.createManagedPrefixList({ PrefixListName: 'office', AddressFamily: 'IPv6', MaxEntries: 3, Entries: [{ Cidr: '2001:db8:1::/48' }] }).PrefixList!.PrefixListId!;
  s.modifyManagedPrefixList({ PrefixListId: pl, CurrentVersion: 1, AddEntries: [{ Cidr: '2001:db8:2::/48' }] });
  s.authorizeSecurityGroupIngress({
    GroupId: b,
    IpPermissions: [
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: a, Description: 'from web' }] },
      { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.1.0.0/16' }, { CidrIp: '10.2.0.0/16', Description: 'two' }], Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] },
      { IpProtocol: '-1', PrefixListIds: [{ PrefixListId: pl }] },
      { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '203.0.113.0/24' }] },
    ],
    TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'team', Value: 'db' }] }],
  });
  s.authorizeSecurityGroupEgress({ GroupId: a, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: b }] }] });
  s.call('CreateSecurityGroup', { GroupName: 'tok', Description: 'idempotent', VpcId: 'vpc-0a1b2c3d4e5f60718', ClientToken: 'tok-1' });
  return s;
}

const AT = { dir: '0123456789abcdef', journalSeq: 77, chain: 'fedcba9876543210' };
const captured = (s: SecurityGroupService) => ({ state: s.currentState, version: s.version, accountId: s.accountId, region: s.region });

describe('a snapshot built in slices', () => {
  it('is the one-piece snapshot, and its file is byte for byte the one-piece file', async () => {
    const s = richService();
    const whole = buildSnapshot(s, AT);
    const slicer = new Slicer(0);
    const prepared = await buildSnapshotInSlices(captured(s), AT, slicer);
    expect(slicer.slices).toBeGreaterThan(10);
    await writeSnapshot(join(root, 'whole.json'), root, whole);
    await writeSnapshotInSlices(join(root, 'sliced.json'), root, prepared, new Slicer(0));
    expect(readFileSync(join(root, 'sliced.json')).equals(readFileSync(join(root, 'whole.json')))).toBe(true);
    expect(await readSnapshot(join(root, 'sliced.json'))).toEqual(whole);
  });

  it('written again after changes, reuses what did not change and is still the one-piece file', async () => {
    // the groups' kept parts must follow every change: rules, tags, descriptions, and a referenced
    // group or prefix list deleted (its references turn stale, which the text shows)
    const s = richService();
    const ids = (s.describeSecurityGroups({}).SecurityGroups ?? []).map((g) => g.GroupId!);
    const named = (name: string) => s.describeSecurityGroups({ Filters: [{ Name: 'group-name', Values: [name] }] }).SecurityGroups![0]!.GroupId!;
    const web = named('web');
    const db = named('db');
    const steps: (() => unknown)[] = [
      () => undefined,
      () => s.authorizeSecurityGroupIngress({ GroupId: ids[3]!, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }),
      () => s.createTags({ Resources: [ids[5]!], Tags: [{ Key: 'k', Value: 'v' }] }),
      () => s.authorizeSecurityGroupIngress({ GroupId: web, IpPermissions: [{ IpProtocol: 'udp', FromPort: 9, ToPort: 9, UserIdGroupPairs: [{ GroupId: ids[7]! }] }] }),
      () => s.revokeSecurityGroupIngress({ GroupId: web, IpPermissions: [{ IpProtocol: 'udp', FromPort: 9, ToPort: 9, UserIdGroupPairs: [{ GroupId: ids[7]! }] }] }),
      () => s.deleteSecurityGroup({ GroupId: ids[7]! }),
      () => s.revokeSecurityGroupEgress({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: db }] }] }),
      () => s.updateSecurityGroupRuleDescriptionsIngress({ GroupId: db, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.1.0.0/16', Description: 'new' }] }] }),
    ];
    for (const [i, step] of steps.entries()) {
      step();
      const whole = buildSnapshot(s, AT);
      await writeSnapshot(join(root, `whole-${i}.json`), root, whole);
      await writeSnapshotInSlices(join(root, `sliced-${i}.json`), root, await buildSnapshotInSlices(captured(s), AT, new Slicer()), new Slicer());
      expect({ i, same: readFileSync(join(root, `sliced-${i}.json`)).equals(readFileSync(join(root, `whole-${i}.json`))) }).toEqual({ i, same: true });
    }
  });

  it('of a state without rules (or without groups) is the one-piece file too', async () => {
    const s = new SecurityGroupService({ idGenerator: countingIdGenerator() });
    for (const name of ['empty', 'bare']) {
      await writeSnapshot(join(root, `${name}-whole.json`), root, buildSnapshot(s, AT));
      await writeSnapshotInSlices(join(root, `${name}-sliced.json`), root, await buildSnapshotInSlices(captured(s), AT, new Slicer()), new Slicer());
      expect({ name, same: readFileSync(join(root, `${name}-sliced.json`)).equals(readFileSync(join(root, `${name}-whole.json`))) }).toEqual({ name, same: true });
      const { GroupId } = s.createSecurityGroup({ GroupName: name, Description: 'd', VpcId: 'vpc-0a1b2c3d4e5f60718' });
      s.revokeSecurityGroupEgress({ GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    }
  });

  it("shows a reference as stale, or no longer, when the group it names goes or comes", async () => {
    // imported with a reference to a group it does not hold (kept, reported stale); the group with
    // that id is created later (the ids here count up), and the kept part must not stay stale
    const s = new SecurityGroupService({ idGenerator: countingIdGenerator() });
    const owner = s.accountId;
    s.importSnapshot({
      SecurityGroups: [{
        GroupId: 'sg-000000000000000ff', GroupName: 'a', Description: 'd', OwnerId: owner, VpcId: 'vpc-0a1b2c3d4e5f60718',
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, UserIdGroupPairs: [{ GroupId: 'sg-00000000000000005', UserId: owner }] }],
        IpPermissionsEgress: [],
      }],
      NetworkInterfaces: [],
    });
    const files = async (name: string): Promise<boolean> => {
      await writeSnapshot(join(root, `${name}-whole.json`), root, buildSnapshot(s, AT));
      await writeSnapshotInSlices(join(root, `${name}-sliced.json`), root, await buildSnapshotInSlices(captured(s), AT, new Slicer()), new Slicer());
      return readFileSync(join(root, `${name}-sliced.json`)).equals(readFileSync(join(root, `${name}-whole.json`)));
    };
    expect(await files('stale')).toBe(true);
    expect(readFileSync(join(root, 'stale-sliced.json'), 'utf8')).toContain('"PeeringStatus": "deleted"');
    const { GroupId } = s.createSecurityGroup({ GroupName: 'b', Description: 'd', VpcId: 'vpc-0a1b2c3d4e5f60718' });
    expect(GroupId).toBe('sg-00000000000000005');
    expect(await files('fresh')).toBe(true);
    expect(readFileSync(join(root, 'fresh-sliced.json'), 'utf8')).not.toContain('PeeringStatus');
  });

  it('is of the state it captured, however the service changes while it is built', async () => {
    const s = new SecurityGroupService({ idGenerator: countingIdGenerator() });
    const first: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { GroupId } = s.createSecurityGroup({ GroupName: `g${i}`, Description: 'd', VpcId: 'vpc-0a1b2c3d4e5f60718' });
      s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: i, ToPort: i, IpRanges: [{ CidrIp: `10.${i}.0.0/16` }] }] });
      first.push(GroupId);
    }
    const expected = buildSnapshot(s, AT);
    // a change between every two slices: a new group with a rule, and the first group's rule revoked
    let n = 0;
    class Meddling extends Slicer {
      override async pause(): Promise<void> {
        const { GroupId } = s.createSecurityGroup({ GroupName: `late${n++}`, Description: 'd', VpcId: 'vpc-0a1b2c3d4e5f60718' });
        s.authorizeSecurityGroupIngress({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 9, ToPort: 9, IpRanges: [{ CidrIp: '10.9.0.0/16' }] }] });
        if (n === 1) s.revokeSecurityGroupIngress({ GroupId: first[0], IpPermissions: [{ IpProtocol: 'tcp', FromPort: 0, ToPort: 0, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }] });
        await super.pause();
      }
    }
    const prepared = await buildSnapshotInSlices(captured(s), AT, new Meddling(0));
    expect(n).toBeGreaterThan(10);
    await writeSnapshot(join(root, 'expected.json'), root, expected);
    await writeSnapshotInSlices(join(root, 'meddled.json'), root, prepared, new Meddling(0));
    expect(readFileSync(join(root, 'meddled.json')).equals(readFileSync(join(root, 'expected.json')))).toBe(true);
  });
});

describe('a durable store snapshots in the background', () => {
  it('changes made while the snapshot is built are journaled after it and recovered', async () => {
    const dir = join(root, 'store');
    const a = await openDurableStore(dir, { snapshotEvery: 1000 });
    const group = (i: number) => a.apply('CreateSecurityGroup', { GroupName: `g${i}`, Description: 'd' });
    await Promise.all(Array.from({ length: 10 }, (_, i) => group(i)));
    const snapshotted = a.snapshot();
    // let the snapshot take its place in the queue (it captures the state after the first 10 calls) …
    await new Promise((r) => setImmediate(r));
    // … then 20 more calls, all queued before the snapshot is done
    const later = Array.from({ length: 20 }, (_, i) => group(10 + i));
    await Promise.all([snapshotted, ...later]);
    const snapshot = (await readSnapshot(join(dir, SNAPSHOT_FILE)))!;
    const journal = scanJournal(readFileSync(join(dir, JOURNAL_FILE)), 2);
    const capturedAt = snapshot.journalSeq;
    expect(capturedAt).toBeGreaterThanOrEqual(10);
    expect(capturedAt).toBeLessThan(30);
    // the journal continues the snapshot with every entry since, whole and in order
    expect(journal.header?.base).toBe(capturedAt);
    expect(journal.entries.map((e) => e.seq)).toEqual(Array.from({ length: 30 - capturedAt }, (_, i) => capturedAt + 1 + i));
    expect(journal.damage).toBeUndefined();
    const before = observable(a.service);
    await a.close();
    const b = await openDurableStore(dir, { snapshotEvery: 1000 });
    expect(b.recovery).toEqual({ snapshotSeq: capturedAt, replayed: 30 - capturedAt, tornBytes: 0 });
    expect(observable(b.service)).toEqual(before);
    await b.close();
  });
});
