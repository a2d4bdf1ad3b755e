// Every export of src/ is used somewhere (src/, test/, scripts/, bench/, bin/): an export nothing
// uses is dead code. An export used only in its own file is allowed: most are the option and result
// types of exported functions, which callers need to name. scripts/dead-exports.ts
// finds them (`npx vite-node scripts/dead-exports.ts` prints the same list).
import { describe, expect, it } from 'vitest';
import { type DeadExport, findDeadExports, formatDeadExport } from '../scripts/dead-exports.js';

describe('exports of src/', { timeout: 240_000 }, () => {
  let dead: DeadExport[] | undefined;
  const found = (): DeadExport[] => (dead ??= findDeadExports());

  it('none is unused everywhere, its own file included', () => {
    expect(found().filter((d) => d.kind === 'unused').map(formatDeadExport)).toEqual([]);
  });
});
