// EC2 Query form parameters → the `--cli-input-json` shaped params object the control-plane
// service takes. The wire names come from served-shapes.ts (botocore's EC2 serializer rules):
// `IpPermissions.1.Groups.1.GroupId` becomes `{ IpPermissions: [{ UserIdGroupPairs: [{ GroupId }] }] }`.
// A parameter the action does not have (a misspelt member, `IpPermissions.1.IpRange.1.CidrIp`, a
// list index that is not a number, a value given where only members or items can be,
// `IpPermissions.1=x`) is refused as EC2 refuses it, with UnknownParameter "The parameter … is not
// recognized", naming it whole: dropping it would answer a call other than the one asked (a
// describe unfiltered, an authorize of nothing). Action and Version are the protocol's own; SigV4's
// query fields never reach here (server.ts takes them out).
import { Ec2Errors } from '../control/ec2-errors.js';
import { REQUEST_SHAPES } from './served-shapes.js';
import { queryName, type Scalar, type Shape, type StructShape } from './shape-kinds.js';

interface ParamNode {
  value: string | undefined;
  children: Map<string, ParamNode> | undefined;
  /** the first form key that made this node, as given: named when the node is not recognized */
  key: string;
}

function newNode(key: string): ParamNode {
  return { value: undefined, children: undefined, key };
}

/** Parameters of every EC2 Query request, not of the action's input shape. */
const PROTOCOL_PARAMS = new Set(['Action', 'Version']);

/** Splits `A.1.B` keys into a tree; the first occurrence of a repeated key wins. */
function paramTree(form: URLSearchParams | Record<string, string>): ParamNode {
  const root = newNode('');
  const entries = form instanceof URLSearchParams ? form.entries() : Object.entries(form);
  for (const [key, value] of entries) {
    let node = root;
    for (const part of key.split('.')) {
      node.children ??= new Map();
      let next = node.children.get(part);
      if (next === undefined) {
        next = newNode(key);
        node.children.set(part, next);
      }
      node = next;
    }
    if (node.value === undefined) node.value = String(value);
  }
  return root;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function decodeScalar(shape: Scalar, value: string, path: string): unknown {
  if (shape === 'string' || shape === 'timestamp') return value;
  if (shape === 'double') {
    const n = Number(value);
    if (!DECIMAL.test(value.trim()) || !Number.isFinite(n)) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${value}' for ${path}. It must be a number.`);
    }
    return n;
  }
  if (shape === 'integer') {
    const n = Number(value);
    if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(n)) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${value}' for ${path}. It must be an integer.`);
    }
    return n;
  }
  const lower = value.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw Ec2Errors.invalidParameterValue(`Invalid value '${value}' for ${path}. It must be true or false.`);
}

/** undefined when the node carries nothing this shape can hold (a list given as a plain value). */
function decodeNode(shape: Shape, node: ParamNode, path: string): unknown {
  if (typeof shape === 'string') return node.value === undefined ? undefined : decodeScalar(shape, node.value, path);
  if (shape.kind === 'list') {
    const items: [number, ParamNode][] = [];
    for (const [k, child] of node.children ?? []) {
      if (!/^\d+$/.test(k)) throw Ec2Errors.unknownParameter(child.key);
      const index = Number(k);
      if (index < 1 || !Number.isSafeInteger(index)) {
        throw Ec2Errors.invalidParameterValue(`Invalid list index ${k} in ${path}.${k}: lists start at 1.`);
      }
      items.push([index, child]);
    }
    if (items.length === 0) {
      // `Name=` is botocore's empty list; any other value is not how a list is given
      if (node.value !== undefined && node.value !== '') throw Ec2Errors.unknownParameter(path);
      return node.value === '' ? [] : undefined;
    }
    items.sort((a, b) => a[0] - b[0]);
    const out: unknown[] = [];
    for (const [index, child] of items) {
      const v = decodeNode(shape.member, child, `${path}.${index}`);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  if (node.children === undefined) {
    if (node.value !== undefined && node.value !== '') throw Ec2Errors.unknownParameter(path);
    return undefined;
  }
  return decodeStruct(shape, node, `${path}.`);
}

function decodeStruct(shape: StructShape, node: ParamNode, prefix: string, allowed: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known = new Set<string>(allowed);
  for (const [name, member] of Object.entries(shape.members)) {
    const wire = queryName(name, member);
    known.add(wire);
    const child = node.children?.get(wire);
    if (child === undefined) continue;
    const v = decodeNode(member.shape, child, prefix + wire);
    if (v !== undefined) out[name] = v;
  }
  for (const [wire, child] of node.children ?? []) if (!known.has(wire)) throw Ec2Errors.unknownParameter(child.key);
  for (const name of shape.required) {
    if (out[name] === undefined) throw Ec2Errors.missingParameter(prefix + queryName(name, shape.members[name]!));
  }
  return out;
}

/** The EC2 actions (and sgfw's own) whose parameters this module decodes. */
export const QUERY_ACTIONS: readonly string[] = Object.keys(REQUEST_SHAPES);

/**
 * Decodes an EC2 Query request's parameters for `action`. Integers and booleans become numbers and
 * booleans; lists keep the order of their 1-based indexes. Throws Ec2Error: InvalidAction for an
 * action sgfw does not serve, UnknownParameter for a parameter it does not have, InvalidParameterValue for a malformed value, MissingParameter (with
 * the parameter's wire name, `Entry.2.Cidr`) for a required one that is absent.
 */
export function decodeQueryParams(action: string, form: URLSearchParams | Record<string, string>): Record<string, unknown> {
  const shape = Object.hasOwn(REQUEST_SHAPES, action) ? REQUEST_SHAPES[action] : undefined;
  if (shape === undefined) throw Ec2Errors.invalidAction(action);
  return decodeStruct(shape, paramTree(form), '', PROTOCOL_PARAMS);
}
