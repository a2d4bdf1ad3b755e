// A small reader for EC2's XML answers (elements, text, no mixed content), so a test can compare
// the element names, their order and their text with an expected tree, field by field.

export interface XmlNode {
  readonly name: string;
  /** text of a leaf element ('' for `<x/>` and `<x></x>`) */
  readonly text?: string;
  readonly children?: readonly XmlNode[];
}

/** An element with children, or a leaf with text. */
export function el(name: string, content: string | readonly XmlNode[] = []): XmlNode {
  return typeof content === 'string' ? { name, text: content } : content.length === 0 ? { name, text: '' } : { name, children: content };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, e: string) => (e.startsWith('#') ? String.fromCharCode(Number(e.slice(1))) : ENTITIES[e]!));
}

/** Parses a document into its root element; attributes are dropped, whitespace between elements ignored. */
export function parseXml(xml: string): XmlNode {
  const tokens = xml.replace(/^<\?xml[^>]*\?>/, '').match(/<[^>]+>|[^<]+/g) ?? [];
  const stack: { name: string; children: XmlNode[]; text: string }[] = [{ name: '#root', children: [], text: '' }];
  for (const t of tokens) {
    const top = stack[stack.length - 1]!;
    if (t.startsWith('</')) {
      const done = stack.pop()!;
      if (done.name !== t.slice(2, -1).trim()) throw new Error(`mismatched </${t.slice(2, -1)}> for <${done.name}>`);
      stack[stack.length - 1]!.children.push(done.children.length > 0 ? { name: done.name, children: done.children } : { name: done.name, text: unescape(done.text) });
    } else if (t.startsWith('<')) {
      const name = /^<([^\s/>]+)/.exec(t)![1]!;
      if (t.endsWith('/>')) top.children.push({ name, text: '' });
      else stack.push({ name, children: [], text: '' });
    } else if (t.trim() !== '') {
      top.text += t;
    }
  }
  if (stack.length !== 1 || stack[0]!.children.length !== 1) throw new Error('not one well-formed root element');
  return stack[0]!.children[0]!;
}

/** The child elements named `name` (one level down). */
export function childrenNamed(node: XmlNode, name: string): XmlNode[] {
  return (node.children ?? []).filter((c) => c.name === name);
}

/** Replaces `$NAME` placeholders in every text of an expected tree. */
export function substitute(node: XmlNode, values: Record<string, string>): XmlNode {
  const sub = (s: string) => s.replace(/\$([A-Z_]+)/g, (m, k: string) => values[k] ?? m);
  return node.children !== undefined ? { name: node.name, children: node.children.map((c) => substitute(c, values)) } : { name: node.name, text: sub(node.text ?? '') };
}
