// The one STS action sgfw answers: GetCallerIdentity, which Ansible's amazon.aws modules call before
// every task (issue 8). Its Account is the OwnerId of the groups.

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The account root is the only principal sgfw knows: every credential acts as the account. */
export function renderCallerIdentity(accountId: string, requestId: string): string {
  const account = escapeXml(accountId);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<GetCallerIdentityResponse xmlns="${STS_NAMESPACE}"><GetCallerIdentityResult>` +
    `<Arn>arn:aws:iam::${account}:root</Arn><UserId>${account}</UserId><Account>${account}</Account>` +
    `</GetCallerIdentityResult><ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata>` +
    `</GetCallerIdentityResponse>`
  );
}

/** STS's error shape (`ErrorResponse`), not EC2's: botocore and the JS SDK parse each by protocol. */
export function renderStsError(code: string, message: string, httpStatus: number, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${httpStatus >= 500 ? 'Receiver' : 'Sender'}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}
