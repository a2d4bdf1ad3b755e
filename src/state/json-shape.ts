// Small readers that check one JSON value's shape and name the exact path when it is wrong. The
// state reader builds on them; they know nothing about EC2.

export class ShapeError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

export type JsonObject = Record<string, unknown>;
export type Reader<T> = (value: unknown, path: string) => T;

export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** How a wrong value is shown in a message: strings and numbers as JSON, containers by kind. */
export function showValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    return shown;
  }
  return String(value);
}

function wrong(path: string, expected: string, value: unknown): ShapeError {
  return new ShapeError(path === '' ? '(top level)' : path, `expected ${expected}, got ${showValue(value)}`);
}

export const readObject: Reader<JsonObject> = (value, path) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw wrong(path, 'an object', value);
  return value as JsonObject;
};

export const readString: Reader<string> = (value, path) => {
  if (typeof value !== 'string') throw wrong(path, 'a string', value);
  return value;
};

export const readInteger: Reader<number> = (value, path) => {
  if (typeof value !== 'number') throw wrong(path, 'a number', value);
  if (!Number.isInteger(value)) throw wrong(path, 'an integer', value);
  return value;
};

export const readBoolean: Reader<boolean> = (value, path) => {
  if (typeof value !== 'boolean') throw wrong(path, 'true or false', value);
  return value;
};

export function readOneOf<T extends string>(choices: readonly T[]): Reader<T> {
  return (value, path) => {
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      throw wrong(path, choices.map((c) => JSON.stringify(c)).join(' or '), value);
    }
    return value as T;
  };
}

export function readList<T>(item: Reader<T>): Reader<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw wrong(path, 'an array', value);
    return value.map((v, i) => item(v, `${path}[${i}]`));
  };
}

/** A field that must be present (AWS CLI output always carries it). */
export function required<T>(o: JsonObject, key: string, path: string, read: Reader<T>): T {
  const p = childPath(path, key);
  if (!Object.prototype.hasOwnProperty.call(o, key)) throw new ShapeError(p, 'required field is missing');
  return read(o[key], p);
}

/** A field that may be absent; when present it must have the right shape (null is not absent). */
export function optional<T>(o: JsonObject, key: string, path: string, read: Reader<T>): T | undefined {
  if (!Object.prototype.hasOwnProperty.call(o, key)) return undefined;
  return read(o[key], childPath(path, key));
}

export interface Field {
  readonly read: Reader<unknown>;
  readonly required: boolean;
}
export const req = (read: Reader<unknown>): Field => ({ read, required: true });
export const opt = (read: Reader<unknown>): Field => ({ read, required: false });

/**
 * A reader for an object with the given fields, checked in the order written. The result holds
 * only those fields, and only when present: unknown fields are dropped, absent ones stay absent.
 */
export function readRecord<T>(fields: Readonly<Record<string, Field>>): Reader<T> {
  return (value, path) => {
    const o = readObject(value, path);
    const out: Record<string, unknown> = {};
    for (const [key, f] of Object.entries(fields)) {
      const v = f.required ? required(o, key, path, f.read) : optional(o, key, path, f.read);
      if (v !== undefined) out[key] = v;
    }
    return out as T;
  };
}
