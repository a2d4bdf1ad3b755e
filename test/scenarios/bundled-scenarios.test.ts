// The seed scenarios, frame by frame: the checked-in captures replayed with their state and
// timeline must get exactly the verdicts the scenario spells out (each with its seed sentence).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceFromStateFiles } from '../../src/cli/state-flag.js';
import { replay } from '../../src/replay/replay-run.js';
import { readTimeline } from '../../src/replay/timeline.js';
import { SCENARIOS, writeScenario } from '../../scripts/pcap-scenarios.js';

const PCAPS = join(import.meta.dirname, '..', '..', 'pcaps');

describe.each(SCENARIOS)('the bundled scenario "$name"', (scenario) => {
  const dir = join(PCAPS, scenario.name);

  it('is the capture the generator writes, byte for byte', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sgfw-scenario-'));
    writeScenario(scenario, tmp);
    expect(readFileSync(join(tmp, `${scenario.name}.pcap`)).equals(readFileSync(join(dir, `${scenario.name}.pcap`)))).toBe(true);
    if (scenario.timeline) {
      expect(readFileSync(join(tmp, 'timeline.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'timeline.jsonl'), 'utf8'));
    }
  });

  it('gets the verdict the seeds give, on every frame', async () => {
    const service = await serviceFromStateFiles([join(dir, 'state.json')]);
    const out = mkdtempSync(join(tmpdir(), 'sgfw-verdicts-'));
    const verdictsFile = join(out, 'verdicts.jsonl');
    const summary = await replay(service, {
      captures: [join(dir, `${scenario.name}.pcap`)],
      timeline: scenario.timeline ? readTimeline(join(dir, 'timeline.jsonl')) : [],
      verdictsFile,
    });
    expect(summary.failure).toBeUndefined();
    const got = readFileSync(verdictsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const want = scenario.frames.map((f, i) => ({ frame: i + 1, reason: f.expect, why: f.why }));
    expect(got.map((g, i) => ({ frame: g.frame, reason: g.reason, why: want[i]?.why }))).toEqual(want);
    for (const g of got) expect(g.verdict).toBe(['rule', 'rule-untracked', 'tracked', 'related', 'unmanaged', 'not-ip', 'fragment'].includes(g.reason) ? 'allow' : 'drop');
  });
});
