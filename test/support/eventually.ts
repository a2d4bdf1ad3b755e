// Polls a condition until it holds: what a test waits for when the system under test gets there on
// its own time (an agent catching up, a process writing its ready line).

/**
 * Calls `check` every `everyMs` until it returns something other than `false`, and returns that; a
 * throw counts as "not yet" and is named in the timeout's message if it was the last thing seen.
 */
export async function eventually<T>(
  check: () => T | false | Promise<T | false>,
  ms = 15_000,
  what = 'condition',
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== false) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
