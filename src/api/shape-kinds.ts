// What an EC2 API shape is, as sgfw's tables (api/ec2-shapes.ts, generated from botocore's model,
// and api/served-shapes.ts) hold it, and how one table drives both directions, as botocore's does
// (serialize.py EC2Serializer, parsers.py EC2QueryParser):
// - request parameter name = `queryName`, else `locationName` with its first letter capitalised,
//   else the member name; lists are `Name.N` (1-based, flattened, no `member`).
// - response element name = `locationName`, else the member name; lists are `<name><item>…</item></name>`.

/** botocore's scalar types as sgfw reads and prints them: long is an integer, float a double, blob a string. */
export type Scalar = 'string' | 'integer' | 'boolean' | 'double' | 'timestamp';
export interface ListShape { readonly kind: 'list'; readonly member: Shape }
export interface StructShape {
  readonly kind: 'structure';
  readonly members: Readonly<Record<string, Member>>;
  readonly required: readonly string[];
}
export type Shape = Scalar | ListShape | StructShape;
export interface Member { readonly shape: Shape; readonly loc?: string; readonly query?: string }

/** A member: its shape, then botocore's `locationName` and `queryName` when the model has them. */
export type MemberSpec = Shape | readonly [Shape, string?, string?];

export function list(member: Shape): ListShape {
  return { kind: 'list', member };
}

export function struct(members: Record<string, MemberSpec>, required: readonly string[] = []): StructShape {
  const out: Record<string, Member> = {};
  for (const [name, spec] of Object.entries(members)) {
    if (typeof spec === 'string' || !Array.isArray(spec)) out[name] = { shape: spec as Shape };
    else {
      const [shape, loc, query] = spec as readonly [Shape, string?, string?];
      out[name] = { shape, ...(loc !== undefined ? { loc } : {}), ...(query !== undefined ? { query } : {}) };
    }
  }
  return { kind: 'structure', members: out, required };
}

/** The parameter name a member has in an EC2 Query request. */
export function queryName(name: string, m: Member): string {
  if (m.query !== undefined) return m.query;
  if (m.loc !== undefined) return m.loc[0]!.toUpperCase() + m.loc.slice(1);
  return name;
}

/** The element name a member has in an EC2 XML response. */
export function xmlName(name: string, m: Member): string {
  return m.loc ?? name;
}
