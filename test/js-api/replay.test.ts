// The JS API as a test suite uses it: `import { replay } from 'sgfw'` (the package by its name,
// through package.json `exports`: dist/, built by the vitest globalSetup), and `require('sgfw')`
// (the CommonJS bundle a jest suite without ESM gets). Its verdicts are those `sgfw replay
// --verdicts` writes, with each frame's flow beside them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay, type FrameVerdict } from 'sgfw';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../cli/capture-io.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MARY = join(ROOT, 'pcaps', 'mary');
const STATE = join(MARY, 'state.json');
const CAPTURE = join(MARY, 'mary.pcap');
const TIMELINE = join(MARY, 'timeline.jsonl');

/** What `sgfw replay --verdicts` writes for the same input, one object per frame. */
async function cliVerdicts(...flags: string[]): Promise<unknown[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'sgfw-js-api-')), 'v.jsonl');
  expect(await main(['replay', '--state', STATE, '--verdicts', file, ...flags, CAPTURE], captureIo())).toBe(0);
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
}

const withoutFlow = (frames: FrameVerdict[]) => frames.map(({ flow: _flow, ...rest }) => rest);

describe("replay() of 'sgfw'", () => {
  it('returns every frame verdict, as sgfw replay --verdicts writes it, and the flow of each', async () => {
    const result = await replay({ capture: CAPTURE, state: STATE });
    expect(withoutFlow(result.frames)).toEqual(await cliVerdicts());
    expect(result.allowed + result.dropped).toBe(result.frames.length);
    // Mary's first frame: a web client reaching her web server (pcaps/mary, scripts/make-pcaps.ts)
    expect(result.frames[0]).toEqual({
      frame: 1,
      verdict: 'allow',
      reason: 'rule-untracked',
      interfaces: ['eni-0f1e2d3c4b5a60011'],
      rules: [expect.stringMatching(/^sgr-/)],
      flow: { protocol: 'tcp', source: '198.51.100.20', destination: '10.0.1.10', sourcePort: 40000, destinationPort: 80, icmpType: null, icmpCode: null },
    });
  });

  it('takes the capture as bytes and the state as documents, and applies a timeline', async () => {
    const state = JSON.parse(readFileSync(STATE, 'utf8')) as Record<string, unknown>;
    const fromBytes = await replay({ capture: readFileSync(CAPTURE), state: [state], timeline: TIMELINE });
    const fromFiles = await replay({ capture: CAPTURE, state: STATE, timeline: TIMELINE });
    expect(fromBytes).toEqual(fromFiles);
    expect(withoutFlow(fromFiles.frames)).toEqual(await cliVerdicts('--timeline', TIMELINE));
    expect(fromFiles.frames).not.toEqual((await replay({ capture: CAPTURE, state: STATE })).frames);
  });

  it('rejects a bad capture, state or timeline call with one line naming it', async () => {
    await expect(replay({ capture: Buffer.from('nope'), state: STATE })).rejects.toThrow(/^capture \(4 bytes\): not a pcap or pcapng file/);
    await expect(replay({ capture: CAPTURE, state: [{ SecurityGroups: 'no' }] })).rejects.toThrow(/state\[0\]/);
    const refused = replay({ capture: CAPTURE, state: STATE, timeline: [{ beforeFrame: 2, Action: 'RevokeSecurityGroupIngress', Parameters: { GroupId: 'sg-0000000000000dead' } }] });
    await expect(refused).rejects.toMatchObject({ code: 'InvalidGroup.NotFound', message: expect.stringMatching(/^timeline:1: RevokeSecurityGroupIngress before frame 2 failed/) });
  });

  it("require('sgfw') gives the same verdicts (the CommonJS bundle, for jest)", async () => {
    const script = `require('sgfw').replay({ capture: ${JSON.stringify(CAPTURE)}, state: ${JSON.stringify(STATE)} }).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(await replay({ capture: CAPTURE, state: STATE }));
  });
});
