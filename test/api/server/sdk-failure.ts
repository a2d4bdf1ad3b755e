// What an AWS SDK call that must fail threw: the EC2 error code (as the SDK names the exception),
// the HTTP status and the message; throws when the call succeeded.
export async function sdkFailure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('the call succeeded');
}
