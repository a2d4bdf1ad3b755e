/** A failure the EC2 API would report: `code` is EC2's error code, `message` EC2-like. */
export class Ec2Error extends Error {
  readonly code: string;
  /** HTTP status the Query API answers with: 400 for client errors, 5xx for faults on our side. */
  readonly httpStatus: number;

  constructor(code: string, message: string, httpStatus = 400) {
    super(message);
    this.name = 'Ec2Error';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}
