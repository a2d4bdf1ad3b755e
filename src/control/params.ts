// Request parameters as `--cli-input-json` gives them: an object (or nothing), whose lists of ids
// must be lists of strings. The EC2 error for a malformed request comes from here.
import { Ec2Errors } from '../model/errors.js';

export type Params = Record<string, unknown>;

export function asParams(p: unknown): Params {
  if (p === undefined || p === null) return {};
  if (typeof p !== 'object' || Array.isArray(p)) throw Ec2Errors.invalidParameterValue('the request parameters must be an object');
  return p as Params;
}

export function stringList(v: unknown, name: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw Ec2Errors.invalidParameterValue(`${name} must be a list of strings`);
  return v as string[];
}
