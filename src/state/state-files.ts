// Reads `--state FILE` arguments: each file parsed and checked on its own (errors name the file and
// JSON path), then all merged in argument order and handed to the model in one import, which is
// all-or-nothing. The model's semantic errors come back with a path into the merged document; the
// origin table maps that path back to the file and index the user wrote.

import { readFileSync } from 'node:fs';
import { Ec2Error } from '../model/ec2-error.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { ShapeError } from './json-shape.js';
import { STATE_KEYS, readStateDocument, type StateDocument, type StateKey } from './state-document.js';
import { StateError } from './state-error.js';

/** The part of SecurityGroupService that loading needs. */
export interface StateImporter {
  importSnapshot(doc: StateDocument): unknown;
}

export interface StateFile {
  readonly file: string;
  readonly doc: StateDocument;
}

interface Origin {
  readonly file: string;
  readonly index: number;
}

export interface MergedState {
  readonly doc: StateDocument;
  /** for each key, where each merged element came from */
  readonly origins: Readonly<Record<StateKey, readonly Origin[]>>;
  readonly files: readonly string[];
}

/** Parses and checks one file's text; `file` only names it in errors. */
export function parseStateText(text: string, file: string): StateDocument {
  // Windows editors and PowerShell's `> file` may leave a byte-order mark; JSON.parse refuses it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    const at = findJsonSyntaxError(body);
    if (at === undefined) throw new StateError(file, '', `invalid JSON: ${(e as Error).message}`);
    throw new StateError(file, '', `invalid JSON: ${at.problem}`, { line: at.line, column: at.column });
  }
  try {
    return readStateDocument(value);
  } catch (e) {
    if (e instanceof ShapeError) throw new StateError(file, e.path, e.problem);
    throw e;
  }
}

export function readStateFile(file: string): StateDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new StateError(file, '', `cannot read the file: ${describeFsError(e)}`);
  }
  return parseStateText(text, file);
}

const ID_FIELD: Record<StateKey, string> = {
  SecurityGroups: 'GroupId',
  NetworkInterfaces: 'NetworkInterfaceId',
  PrefixLists: 'PrefixListId',
};

/** Concatenates the files' arrays in order; the same id twice (in one file or across files) is an error. */
export function mergeStateFiles(files: readonly StateFile[]): MergedState {
  const doc: StateDocument = {};
  const origins = { SecurityGroups: [] as Origin[], NetworkInterfaces: [] as Origin[], PrefixLists: [] as Origin[] };
  for (const key of STATE_KEYS) {
    const seen = new Map<string, Origin>();
    const merged: unknown[] = [];
    for (const { file, doc: part } of files) {
      const items = part[key] as readonly Record<string, unknown>[] | undefined;
      if (items === undefined) continue;
      items.forEach((item, index) => {
        const id = item[ID_FIELD[key]] as string;
        const first = seen.get(id);
        if (first !== undefined) {
          throw new StateError(
            file,
            `${key}[${index}].${ID_FIELD[key]}`,
            `${id} is already defined at ${first.file}: ${key}[${first.index}]`,
          );
        }
        seen.set(id, { file, index });
        origins[key].push({ file, index });
        merged.push(item);
      });
    }
    if (files.some((f) => f.doc[key] !== undefined)) (doc as Record<string, unknown>)[key] = merged;
  }
  return { doc, origins, files: files.map((f) => f.file) };
}

const MERGED_PATH = /^(?:\$\.?)?(SecurityGroups|NetworkInterfaces|PrefixLists)\[(\d+)\](.*)$/;

/** Maps a path in the merged document back to the file and the path inside it. */
export function locateInFiles(merged: MergedState, path: string): { file: string; path: string } {
  const m = MERGED_PATH.exec(path);
  if (m !== null) {
    const key = m[1] as StateKey;
    const origin = merged.origins[key][Number(m[2])];
    if (origin !== undefined) return { file: origin.file, path: `${key}[${origin.index}]${m[3]}` };
  }
  return { file: merged.files.join(', '), path: path.replace(/^\$\.?/, '') };
}

/**
 * Reads every file, merges them and imports the result into `service`. Throws StateError (one
 * line: file, JSON path, problem, and the EC2 code for semantic errors); on error nothing is imported.
 */
export async function loadStateFiles(paths: readonly string[], service: StateImporter): Promise<MergedState> {
  return importStateFiles(paths.map((file) => ({ file, doc: readStateFile(file) })), service);
}

/** As loadStateFiles, for documents already read (each named by `file` in errors). */
export async function importStateFiles(files: readonly StateFile[], service: StateImporter): Promise<MergedState> {
  const merged = mergeStateFiles(files);
  try {
    await service.importSnapshot(merged.doc);
  } catch (e) {
    if (e instanceof Ec2Error) {
      // `path` is the model's JSON path into the imported document, when it knows one
      const path = (e as Ec2Error & { path?: unknown }).path;
      const where = locateInFiles(merged, typeof path === 'string' ? path : '');
      throw new StateError(where.file, where.path, e.message, { code: e.code });
    }
    throw e;
  }
  return merged;
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return (e as Error).message;
}
