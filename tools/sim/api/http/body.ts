import type { IncomingMessage } from 'node:http';
import { ApiError } from '../types.js';

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the whole request body, answering 413 when it exceeds the limit. */
export async function readBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) {
      req.resume();
      throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${maxBytes}`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'BadRequest', 'the request body is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(
      400,
      'BadRequest',
      `the body of the request was in an unknown format: ${(err as Error).message}`,
    );
  }
}

/** The media type without parameters, lower case. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}
