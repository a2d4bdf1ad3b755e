// Issue 6 item 5: a change to a group referenced by ~1,000 rules, made through the service while
// the pipeline judges frames: the time until it is in force (service.call, which runs
// Dataplane.applyModel synchronously from onChange, and the rebuild alone: lastRebuildMs), and a
// frame-by-frame comparison with the reference evaluator, which reads the live model, across
// every swap. Probe frames from the toggled interface flip from drop to allow as it joins.
// Also reported: the call's CPU time, and how many classifiers each change compiled (the
// Dataplane's private rule-set cache; interfaces with the same groups share one compile). The
// same run again with a prefix list in place of the group: its entries change instead.
// CHANGE_LATENCY_ALL=1 adds every change's call and rebuild times (the max is usually the first,
// cold JIT, or one that met a garbage collection).
import { hugePageMemory } from '../dist/capture/huge-pages.js';
import { Dataplane } from '../dist/dataplane/dataplane.js';
import { ReferenceEvaluator } from '../dist/dataplane/reference-evaluator.js';
import { isAllowed } from '../dist/dataplane/verdict.js';
import { SecurityGroupService } from '../dist/control/service.js';
import { buildFrame } from '../dist/packet/frame-builder.js';
import { groupId, ifaceV4, interfaceId, makeFrames, makeModel, stateDocument } from './lib/workload.mjs';
import { median } from './lib/stats.mjs';

const PREFIX_LIST = `pl-${'0c'.repeat(8)}0`;

/**
 * `kind` 'group': a group referenced by ~840 rules changes membership (an interface joins or
 * leaves it) or gains/loses an ingress rule. 'prefix-list': the same rules reference a customer
 * prefix list instead (IPv4, the members' addresses as /32s), and the toggled interface's /32 is
 * added to and removed from it with ModifyManagedPrefixList. EC2 counts a reference as MaxEntries
 * rules, so that run raises the service's per-group rule quota.
 */
function runScenario({ quick = false, kind = 'group' } = {}) {
  const changes = quick ? 6 : 20;
  const between = quick ? 300 : 1_000; // frames judged between two changes
  const model = makeModel({ rules: 1000, refsTo: 0, seed: 3 });
  const referencing = model.rules.filter((r) => r.peer.group === 0).length;
  const lists = kind === 'prefix-list';
  const svc = new SecurityGroupService(lists ? { limits: { inboundRulesPerGroup: 5_000 } } : {});
  const doc = stateDocument(model);
  if (lists) {
    for (const g of doc.SecurityGroups) {
      for (const perm of g.IpPermissions) {
        if (perm.UserIdGroupPairs.length === 0 || perm.UserIdGroupPairs[0].GroupId !== groupId(0)) continue;
        perm.UserIdGroupPairs = [];
        perm.PrefixListIds = [{ PrefixListId: PREFIX_LIST }];
      }
    }
    const entries = model.members[0].map((i) => ({ Cidr: `${ifaceV4(i)}/32` }));
    doc.PrefixLists = [{ PrefixListId: PREFIX_LIST, PrefixListName: 'bench', AddressFamily: 'IPv4', MaxEntries: 20, Version: 1, Entries: entries }];
  }
  svc.importSnapshot(doc);
  const dp = new Dataplane(svc, { conntrackCapacity: 1 << 18, recordMemory: hugePageMemory });
  const ref = new ReferenceEvaluator(svc);
  svc.onChange((c) => dp.applyModel(c));
  const w = makeFrames(model, { frames: changes * between, concurrent: 5_000 });
  // the toggled interface: not in group 0; probes go from it to a member of a group whose rule references group 0
  const toggled = model.ifaces.find((i) => !i.groups.includes(0));
  const rule = model.rules.find((r) => r.peer.group === 0 && r.proto === 6 && r.group !== 0 && model.members[r.group].some((i) => i !== toggled.index));
  const target = model.members[rule.group].find((i) => i !== toggled.index);
  const callMs = [];
  const callCpuMs = [];
  const rebuildMs = [];
  const compiledPerChange = [];
  let misjudged = 0;
  let judged = 0;
  const probes = { inGroup: [0, 0], outOfGroup: [0, 0] }; // [allowed, total]
  let member = false;
  let sport = 20000;
  let listVersion = 1;
  const judgeBoth = (linkType, data, off, len, now) => {
    const a = dp.judge(linkType, data, off, len, now);
    const b = ref.judge(linkType, data, off, len, now);
    judged++;
    if (isAllowed(a) !== isAllowed(b)) misjudged++;
    return isAllowed(a);
  };
  for (let c = 0; c < changes; c++) {
    for (let i = c * between; i < (c + 1) * between; i++) {
      judgeBoth(1, w.data, w.offsets[i], w.lengths[i], w.timesMs[i]);
      if (i % 50 === 0) {
        const probe = buildFrame({ src: ifaceV4(toggled.index), dst: ifaceV4(target), proto: 'tcp', sport: sport++, dport: rule.from, flags: 'S' });
        const ok = judgeBoth(1, probe, 0, probe.length, w.timesMs[i]);
        const p = member ? probes.inGroup : probes.outOfGroup;
        p[0] += ok ? 1 : 0;
        p[1]++;
      }
    }
    member = !member;
    const compiledBefore = dp.ruleSets.compiled;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (lists) {
      const entry = [{ Cidr: `${ifaceV4(toggled.index)}/32` }];
      svc.call('ModifyManagedPrefixList', { PrefixListId: PREFIX_LIST, CurrentVersion: listVersion++, ...(member ? { AddEntries: entry } : { RemoveEntries: entry }) });
    } else if (c % 4 < 2) {
      // alternate the two kinds of change the issue names
      svc.call('ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: interfaceId(toggled.index), Groups: (member ? [...toggled.groups, 0] : toggled.groups).map(groupId) });
    } else {
      member = !member; // membership unchanged: an ingress rule on the referenced group itself
      svc.call(c % 4 === 2 ? 'AuthorizeSecurityGroupIngress' : 'RevokeSecurityGroupIngress', { GroupId: groupId(0), IpPermissions: [{ IpProtocol: 'tcp', FromPort: 7777, ToPort: 7777, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }] });
    }
    callMs.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    // CPU time of the call: on a shared, loaded machine wall time also counts waits for a core
    callCpuMs.push((cpu.user + cpu.system) / 1000);
    rebuildMs.push(dp.lastRebuildMs);
    compiledPerChange.push(dp.ruleSets.compiled - compiledBefore);
  }
  return {
    referencingRules: referencing,
    changes,
    callMsMedian: median(callMs),
    callMsMax: Math.max(...callMs),
    ...(process.env.CHANGE_LATENCY_ALL ? { callMs: callMs.map((x) => +x.toFixed(2)), rebuildMs: rebuildMs.map((x) => +x.toFixed(2)) } : {}),
    callCpuMsMedian: median(callCpuMs),
    callCpuMsMax: Math.max(...callCpuMs),
    // classifiers compiled per change (shared by interfaces with the same groups; reused per direction when unchanged)
    classifiersCompiledMedian: median(compiledPerChange),
    classifiersCompiledMax: Math.max(...compiledPerChange),
    interfaces: model.ifaces.length,
    rebuildMsMedian: median(rebuildMs),
    rebuildMsMax: Math.max(...rebuildMs),
    framesJudged: judged,
    misjudged,
    probesAllowedWhileMember: `${probes.inGroup[0]}/${probes.inGroup[1]}`,
    probesAllowedWhileNot: `${probes.outOfGroup[0]}/${probes.outOfGroup[1]}`,
  };
}

/** The group scenario's figures at the top level (as bench/run.mjs reads them), the prefix list's under `prefixList`. */
export function runChangeLatency({ quick = false } = {}) {
  return { ...runScenario({ quick, kind: 'group' }), prefixList: runScenario({ quick, kind: 'prefix-list' }) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(runChangeLatency({ quick: process.argv.includes('--quick') }), null, 2));
}
