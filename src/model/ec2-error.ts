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

/**
 * An Ec2Error raised while importing a state document: `path` is the JSON path of the offending
 * value inside the imported document (`SecurityGroups[2].IpPermissions[0].IpRanges[1].CidrIp`), so
 * the state loader can name the file and the place.
 */
export class Ec2PathError extends Ec2Error {
  readonly path: string;

  constructor(error: Ec2Error, path: string) {
    super(error.code, error.message, error.httpStatus);
    this.path = path;
  }
}
