// The bundled CLI (dist/bundle/, scripts/bundle.mjs; built by the vitest globalSetup as by
// `npm run build`) behaves as tsc's dist/: the same output for the same command, and every file it
// finds by a path relative to itself (native addons, package.json, scripts/) where dist/ finds it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BUNDLE = join(ROOT, 'dist', 'bundle');

/** `node -e` running `main(argv)` of one build, printing what it wrote and its exit code. */
function runBuild(mainFile: string, argv: string[]): { code: number | null; out: string; err: string } {
  const script = `import(${JSON.stringify(mainFile)}).then(async (m) => { process.exitCode = await m.main(${JSON.stringify(argv)}); })`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the bundled CLI', () => {
  it('prints what dist/ prints for a replay with a timeline, and so does bin/sgfw.js', () => {
    expect(existsSync(join(BUNDLE, 'main.js'))).toBe(true);
    const argv = ['replay', '--json', '--state', 'pcaps/mary/state.json', '--timeline', 'pcaps/mary/timeline.jsonl', 'pcaps/mary/mary.pcap'];
    const bundled = runBuild(join(BUNDLE, 'main.js'), argv);
    const compiled = runBuild(join(ROOT, 'dist', 'cli', 'main.js'), argv);
    expect(bundled.err).toBe('');
    expect(bundled).toEqual(compiled);
    expect(JSON.parse(bundled.out).frames).toBeGreaterThan(0);
    const bin = spawnSync(process.execPath, ['bin/sgfw.js', ...argv], { cwd: ROOT, encoding: 'utf8' });
    expect(bin.stdout).toBe(bundled.out);
  });

  it('starts its worker threads from the bundle: replay --workers 2 prints what one thread prints', () => {
    const argv = ['replay', '--json', '--state', 'pcaps/mary/state.json', '--timeline', 'pcaps/mary/timeline.jsonl', 'pcaps/mary/mary.pcap'];
    for (const name of ['replay-worker.js', 'host-worker.js', 'inline-worker.js', 'monitor-worker.js']) expect(existsSync(join(BUNDLE, name)), name).toBe(true);
    const one = runBuild(join(BUNDLE, 'main.js'), argv);
    const two = runBuild(join(BUNDLE, 'main.js'), [...argv, '--workers', '2']);
    expect(two.err).toBe('');
    const { workers, ...rest } = JSON.parse(two.out) as { workers?: unknown[] };
    expect(workers).toHaveLength(2);
    expect(rest).toEqual(JSON.parse(one.out));
  });

  it('finds native addons, package.json and scripts where dist/ does: two folders below the root', () => {
    const relative = new Set<string>();
    // the CLI's chunks (ESM) and sgfw.cjs (the JS API for require(), its own URL in __sgfwFileUrl)
    for (const f of readdirSync(BUNDLE)) {
      for (const m of readFileSync(join(BUNDLE, f), 'utf8').matchAll(/new URL\("(\.\.\/[^"]+)", (?:import\.meta\.url|__sgfwFileUrl)\)/g)) relative.add(m[1]);
    }
    // the four addons, package.json (the version), scripts/build-addons.mjs (the fix for a missing addon)
    expect([...relative].filter((p) => p.includes('native-bindings/')).length).toBeGreaterThanOrEqual(4);
    for (const p of relative) {
      expect(resolve(BUNDLE, p), p).toBe(resolve(ROOT, 'dist', 'capture', p));
      if (!p.includes('/build/Release/')) expect(existsSync(resolve(BUNDLE, p)), p).toBe(true);
    }
    expect(relative).toContain('../../package.json');
  });
});
