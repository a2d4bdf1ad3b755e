// Reads a request body up to a limit, so one oversized request cannot exhaust the server's memory.

import type { IncomingMessage } from 'node:http';
import { Ec2Error } from '../control/ec2-errors.js';

/** EC2's own requests are small; 1 MiB leaves room for the largest rule sets a client sends at once. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function bodyTooLarge(limit: number): Ec2Error {
  return new Ec2Error('RequestEntityTooLarge', `The request body is larger than ${limit} bytes`, 413);
}

/**
 * The whole body; rejects with a 413 Ec2Error past `limit` bytes. The rest of an oversized body is
 * read and dropped before the answer: answering while the client still sends makes HTTP clients on
 * a kept-alive connection wait forever or report a reset instead of the 413.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = Number(req.headers['content-length'] ?? 0) > limit ? limit + 1 : 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => (size > limit ? reject(bodyTooLarge(limit)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
