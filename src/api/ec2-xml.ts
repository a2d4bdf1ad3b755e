// The service's AWS CLI shaped results → EC2 XML responses, element names from served-shapes.ts
// (botocore's output `locationName`s), so the AWS CLI and SDKs parse back the same object. Fields a
// result has but the EC2 shape does not (sgfw's `Stale`) are left out rather than printed under a
// name no client reads.
import { RESPONSE_SHAPES } from './served-shapes.js';
import { xmlName, type Scalar, type Shape, type StructShape } from './shape-kinds.js';

export const EC2_XML_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Escapes text for an XML element body or attribute; drops characters XML 1.0 cannot carry. */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

function scalarText(shape: Scalar, value: unknown): string | undefined {
  if (shape === 'boolean') return typeof value === 'boolean' ? String(value) : undefined;
  if (shape === 'integer') return typeof value === 'number' && Number.isFinite(value) ? String(Math.trunc(value)) : undefined;
  if (shape === 'double') return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  // EC2 prints times as ISO 8601 in UTC (`2024-01-02T03:04:05.000Z`)
  if (shape === 'timestamp' && value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? xmlEscape(String(value)) : undefined;
}

/** The body of an element holding `value`; undefined when the value does not fit the shape. */
function body(shape: Shape, value: unknown): string | undefined {
  if (typeof shape === 'string') return scalarText(shape, value);
  if (shape.kind === 'list') {
    if (!Array.isArray(value)) return undefined;
    let out = '';
    for (const item of value) {
      const inner = body(shape.member, item);
      if (inner !== undefined) out += `<item>${inner}</item>`;
    }
    return out;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return members(shape, value as Record<string, unknown>);
}

function members(shape: StructShape, value: Record<string, unknown>): string {
  let out = '';
  for (const [name, member] of Object.entries(shape.members)) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    const inner = body(member.shape, v);
    if (inner === undefined) continue;
    const tag = xmlName(name, member);
    out += inner === '' ? `<${tag}/>` : `<${tag}>${inner}</${tag}>`;
  }
  return out;
}

/**
 * An EC2 XML response for `action`'s result. An action answering only `return` says
 * `<return>true</return>` on success even when the service returned `{}` (ModifyNetworkInterfaceAttribute),
 * as EC2 does. An action without a response table gets just its requestId.
 */
export function renderXmlResponse(action: string, result: unknown, requestId: string): string {
  const shape = Object.hasOwn(RESPONSE_SHAPES, action) ? RESPONSE_SHAPES[action] : undefined;
  const name = xmlEscape(action);
  let inner = '';
  if (shape !== undefined) {
    const value = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {};
    const withReturn = shape.members.Return !== undefined && value.Return === undefined ? { ...value, Return: true } : value;
    inner = members(shape, withReturn);
  }
  return `${XML_DECLARATION}<${name}Response xmlns="${EC2_XML_NAMESPACE}"><requestId>${xmlEscape(requestId)}</requestId>${inner}</${name}Response>`;
}

/** EC2's error document (note `RequestID`, not `requestId`, as EC2 spells it here). */
export function renderXmlError(code: string, message: string, requestId: string): string {
  return (
    `${XML_DECLARATION}<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
    `</Error></Errors><RequestID>${xmlEscape(requestId)}</RequestID></Response>`
  );
}
