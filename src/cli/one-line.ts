// One error, one line: what the CLI prints of an error message, its control characters escaped.

/**
 * The message with its control characters escaped as JSON writes them (a newline as `\\n`): an
 * error quotes what the user gave (a CIDR, a file name, a flag's value), and a newline or escape
 * sequence in that must not break the one line the error is, nor drive the terminal.
 */
export function oneLine(message: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
