// JSON.stringify a slice at a time, for documents too large to serialise in one go on a thread that
// also answers the API (a 150,000-rule snapshot is ~30 MB of JSON: hundreds of milliseconds in one
// call). The text is JSON.stringify(value, null, indent)'s, character for character: containers
// down to `depth` levels are walked here, item by item, and everything below is handed to
// JSON.stringify whole and re-indented (a JSON string never holds a raw newline, so every newline
// in its output starts a line to indent). Between items the slicer may yield to the event loop.
// Plain data only (what JSON.parse gives, plus undefined members): no toJSON, Map or replacer.
// `textOf` may stand in the text of an object the caller already has serialised (a snapshot's
// groups that did not change since the last one, snapshot-slices.ts).
import type { Slicer } from './slicer.js';

/** The text of an object at `level` (nesting depth) with `indent`, or undefined: walk it. */
export type KnownText = (value: object, indent: number, level: number) => string | undefined;

/** Appends the text of `value` to `out` (piece by piece) as JSON.stringify(value, null, indent) would. */
export async function stringifyInSlices(value: unknown, indent: number, depth: number, slicer: Slicer, out: (piece: string) => void, textOf?: KnownText): Promise<void> {
  await emit(value, 0, indent, depth, slicer, out, textOf);
}

/** JSON.stringify(value, null, indent) as it reads `level` containers deep in a larger document. */
export const nestedText = (value: unknown, level: number, indent: number): string => {
  const text = JSON.stringify(value, null, indent);
  return indent === 0 || level === 0 ? text : text.replace(/\n/g, `\n${' '.repeat(level * indent)}`);
};

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
const skipped = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

async function emit(value: unknown, level: number, indent: number, depth: number, slicer: Slicer, out: (piece: string) => void, textOf?: KnownText): Promise<void> {
  const known = textOf !== undefined && value !== null && typeof value === 'object' ? textOf(value, indent, level) : undefined;
  if (known !== undefined) {
    out(known);
    return;
  }
  if (level >= depth || value === null || typeof value !== 'object') {
    out(nestedText(value, level, indent));
    return;
  }
  const open = indent === 0 ? '' : `\n${' '.repeat((level + 1) * indent)}`;
  const close = indent === 0 ? '' : `\n${' '.repeat(level * indent)}`;
  const separator = `,${open}`;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out('[]');
      return;
    }
    out(`[${open}`);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out(separator);
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') out(nestedText(skipped(item) ? null : item, level + 1, indent));
      else await emit(item, level + 1, indent, depth, slicer, out, textOf);
      if (slicer.due) await slicer.pause();
    }
    out(`${close}]`);
    return;
  }
  const keys = Object.keys(value).filter((k) => !skipped((value as Record<string, unknown>)[k]));
  if (keys.length === 0) {
    out('{}');
    return;
  }
  out(`{${open}`);
  const colon = indent === 0 ? ':' : ': ';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out(`${i > 0 ? separator : ''}${JSON.stringify(k)}${colon}`);
    await emit((value as Record<string, unknown>)[k], level + 1, indent, depth, slicer, out, textOf);
    if (slicer.due) await slicer.pause();
  }
  out(`${close}}`);
}
