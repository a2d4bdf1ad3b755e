import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NfqVerdict } from '../../src/capture/nfqueue.js';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { HostEnforcer } from '../../src/live/host-enforcer.js';
import { diffModels } from '../../src/dataplane/model-diff.js';
import { ReplaceableModel } from '../../src/live/host-model.js';
import { StateReloader } from '../../src/live/host-reload.js';
import { createLogger } from '../../src/observe/logger.js';
import { albertStateFile, batchOf, openPort } from './host-batches.js';

async function setup() {
  const file = albertStateFile();
  const model = new ReplaceableModel(await serviceFromStateFiles([file]));
  const dataplane = new Dataplane(model);
  let now = 1000;
  const enforcer = new HostEnforcer(dataplane, null, () => now);
  const logged: string[] = [];
  const reloader = new StateReloader([file], model, dataplane, createLogger('info', { write: (s: string) => void logged.push(s) }));
  const verdict = (spec: Parameters<typeof batchOf>[0][number]): number => {
    const b = batchOf([spec]);
    now += 10;
    enforcer.judgeBatch(b);
    return b.verdicts[0];
  };
  return { file, model, dataplane, reloader, verdict, logs: () => logged.map((l) => JSON.parse(l)) };
}

const tcp = (src: string, dst: string, sport: number, dport: number, flags: string) => ({ src, dst, proto: 'tcp', sport, dport, flags }) as const;

describe('SIGHUP reloads the state files', () => {
  it('a port opened in the state file is open for the next connection', async () => {
    const t = await setup();
    expect(t.verdict(tcp('198.51.100.7', '10.0.0.10', 40000, 8080, 'S'))).toBe(NfqVerdict.DROP);
    const state = JSON.parse(readFileSync(t.file, 'utf8'));
    state.SecurityGroups[0].IpPermissions.push(openPort(8080));
    writeFileSync(t.file, JSON.stringify(state));
    const versionBefore = t.dataplane.modelVersion;
    expect(await t.reloader.reload()).not.toBeNull();
    expect(t.verdict(tcp('198.51.100.7', '10.0.0.10', 40001, 8080, 'S'))).toBe(NfqVerdict.ACCEPT);
    expect(t.dataplane.modelVersion).toBeGreaterThan(versionBefore);
    expect(t.logs()).toMatchObject([{ event: 'reload', groupsChanged: ['sg-0a1b2c3d4e5f60001'], groupsAdded: [], interfacesChanged: [], msg: 'state reloaded; rules changed' }]);
  });

  it('a tracked connection survives the removal of its rule; new ones are refused', async () => {
    const t = await setup();
    expect(t.verdict(tcp('203.0.113.5', '10.0.0.10', 40000, 22, 'S'))).toBe(NfqVerdict.ACCEPT);
    expect(t.verdict(tcp('10.0.0.10', '203.0.113.5', 22, 40000, 'SA'))).toBe(NfqVerdict.ACCEPT);
    const state = JSON.parse(readFileSync(t.file, 'utf8'));
    state.SecurityGroups[0].IpPermissions = state.SecurityGroups[0].IpPermissions.filter((p: { FromPort?: number }) => p.FromPort !== 22);
    writeFileSync(t.file, JSON.stringify(state));
    expect(await t.reloader.reload()).not.toBeNull();
    expect(t.verdict(tcp('203.0.113.5', '10.0.0.10', 40000, 22, 'A'))).toBe(NfqVerdict.ACCEPT);
    expect(t.verdict(tcp('203.0.113.5', '10.0.0.10', 40002, 22, 'S'))).toBe(NfqVerdict.DROP);
  });

  it('a broken state file keeps the rules in force and logs one error naming the file', async () => {
    const t = await setup();
    const version = t.dataplane.modelVersion;
    writeFileSync(t.file, '{"SecurityGroups": [');
    expect(await t.reloader.reload()).toBeNull();
    expect(t.dataplane.modelVersion).toBe(version);
    expect(t.verdict(tcp('203.0.113.5', '10.0.0.10', 40000, 22, 'S'))).toBe(NfqVerdict.ACCEPT);
    expect(t.verdict(tcp('198.51.100.7', '10.0.0.10', 40001, 22, 'S'))).toBe(NfqVerdict.DROP);
    const logs = t.logs();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ event: 'reload-failed', file: t.file, level: 50 });
    expect(String(logs[0].msg)).toContain(t.file);
    expect([t.reloader.reloads, t.reloader.failures]).toEqual([0, 1]);
  });

  it('an unchanged file reloads with nothing changed, and the version still moves on', async () => {
    const t = await setup();
    const before = t.model.version;
    await t.reloader.reload();
    expect(t.model.version).toBeGreaterThan(before);
    const log = t.logs()[0];
    expect(log.msg).toBe('state reloaded; nothing changed');
    for (const k of ['groupsAdded', 'groupsRemoved', 'groupsChanged', 'interfacesAdded', 'interfacesRemoved', 'interfacesChanged', 'prefixListsChanged']) {
      expect(log[k], k).toEqual([]);
    }
  });
});

describe('a reload log says what changed', () => {
  it('names added, removed and changed groups and interfaces, ignoring rule ids', async () => {
    const a = await serviceFromStateFiles([albertStateFile()]);
    const b = await serviceFromStateFiles([
      albertStateFile((s) => {
        s.NetworkInterfaces[0].PrivateIpAddress = '10.0.0.11';
        s.NetworkInterfaces[0].PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: '10.0.0.11' }];
      }),
    ]);
    expect(diffModels(a, b)).toMatchObject({ groupsChanged: [], interfacesChanged: ['eni-0a1b2c3d4e5f60001'] });
    const c = await serviceFromStateFiles([albertStateFile((s) => (s.NetworkInterfaces = []))]);
    expect(diffModels(a, c)).toMatchObject({ interfacesRemoved: ['eni-0a1b2c3d4e5f60001'], interfacesAdded: [] });
    expect(diffModels(c, a)).toMatchObject({ interfacesAdded: ['eni-0a1b2c3d4e5f60001'] });
  });
});
