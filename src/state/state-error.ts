// The one error family of state files (CONVENTIONS: one error class per family). The message is a
// single line naming the file, where in it, and what is wrong, so the CLI prints it as is:
//   state.json: SecurityGroups[0].IpPermissions[1].FromPort: expected a number, got "eighty"
//   state.json: SecurityGroups[1].GroupId: InvalidGroup.Duplicate: <EC2's message>
//   state.json:3:15: invalid JSON: unexpected '}', expected a value

export interface StateErrorDetail {
  /** the EC2 error code, when the model refused the content */
  readonly code?: string;
  /** 1-based position, for syntax errors */
  readonly line?: number;
  readonly column?: number;
}

export class StateError extends Error {
  override readonly name = 'StateError';
  readonly code: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(
    /** the file as the user named it (several, comma-separated, when the fault spans files) */
    readonly file: string,
    /** a JSON path such as `SecurityGroups[0].IpPermissions[1].FromPort`; '' when not about one place */
    readonly path: string,
    readonly problem: string,
    detail: StateErrorDetail = {},
  ) {
    super(formatMessage(file, path, problem, detail));
    this.code = detail.code;
    this.line = detail.line;
    this.column = detail.column;
  }
}

function formatMessage(file: string, path: string, problem: string, d: StateErrorDetail): string {
  const what = d.code === undefined ? problem : `${d.code}: ${problem}`;
  if (d.line !== undefined) return `${file}:${d.line}:${d.column ?? 1}: ${what}`;
  return path === '' ? `${file}: ${what}` : `${file}: ${path}: ${what}`;
}
